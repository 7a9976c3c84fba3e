// Learning-rate schedules as functions of progress: constant, step decay, exponential decay, cosine
// annealing, each optionally preceded by a linear warm-up.
export type ScheduleName = 'constant' | 'step' | 'exponential' | 'cosine';
export const SCHEDULES: readonly ScheduleName[] = ['constant', 'step', 'exponential', 'cosine'];

export interface ScheduleOptions {
  readonly base: number;
  readonly epochs: number;
  /** Warm-up length in steps: lr grows linearly from base/warmup to base. */
  readonly warmupSteps?: number;
  /** step: multiply by gamma every stepEpochs; exponential: multiply by gamma every epoch. */
  readonly gamma?: number;
  readonly stepEpochs?: number;
  /** cosine: the floor the rate anneals to. */
  readonly minLr?: number;
}

export const makeSchedule =
  (name: ScheduleName, o: ScheduleOptions) =>
  (epoch: number, step: number, stepsPerEpoch: number): number => {
    const global = epoch * stepsPerEpoch + step;
    const warm = o.warmupSteps ?? 0;
    if (global < warm) return (o.base * (global + 1)) / warm;
    const gamma = o.gamma ?? (name === 'step' ? 0.1 : 0.9);
    switch (name) {
      case 'constant':
        return o.base;
      case 'step':
        return o.base * gamma ** Math.floor(epoch / (o.stepEpochs ?? Math.max(1, Math.floor(o.epochs / 3))));
      case 'exponential':
        return o.base * gamma ** epoch;
      case 'cosine': {
        // η = η_min + ½(η − η_min)(1 + cos(π·progress))
        const total = Math.max(1, o.epochs * stepsPerEpoch - warm);
        const progress = Math.min(1, (global - warm) / total);
        const lo = o.minLr ?? 0;
        return lo + 0.5 * (o.base - lo) * (1 + Math.cos(Math.PI * progress));
      }
    }
  };
