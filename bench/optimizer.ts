// What the optimizer is worth, per training workload: the step compiled with every pass and codegen
// step on, with each one switched off in turn, and with all of them off. For each configuration:
// compile time from source to a ready step (the compiler already warm; the cold first compile of a
// process is reported apart), kernels, arena, peak memory against the minimum a step needs
// (codegen/stats.ts), and steps per second.
import { compileOrThrow } from '../compiler/index.js';
import { Trainer } from '../compiler/api/trainer.js';
import { programStats, type ProgramStats } from '../compiler/codegen/stats.js';
import { CODEGEN_STEPS } from '../compiler/codegen/schedule.js';
import { PIPELINE, PRE_GRAD } from '../compiler/passes/index.js';
import type { Tensor } from '../runtime/tensor.js';
import { median } from './timing.js';

export interface Workload {
  readonly name: string;
  readonly source: string;
  readonly model: string;
  readonly batch: Record<string, Tensor>;
  /** Items per step (samples or tokens), for the throughput column. */
  readonly items: number;
  readonly unit: string;
}

export interface ConfigRow {
  readonly config: string;
  readonly compileMs: number;
  readonly stats: ProgramStats;
  readonly perSecond: number;
}

export const SWITCHES: readonly string[] = [...new Set([...PRE_GRAD, ...PIPELINE].map((p) => p.name)), ...Object.keys(CODEGEN_STEPS)];

/** Source → model → training step specialized for the batch, not run. */
const compileStep = (w: Workload, disable: readonly string[]) => {
  const t0 = performance.now();
  const model = compileOrThrow(w.source).model(w.model, { seed: 0, passes: { disable } });
  const trainer = new Trainer(model);
  const spec = trainer.compile(w.batch)[0]!;
  return { ms: performance.now() - t0, trainer, spec };
};

const throughput = (trainer: Trainer, w: Workload, minSeconds: number): number => {
  let n = 0;
  const t0 = performance.now();
  while (n < 2 || performance.now() - t0 < minSeconds * 1000) {
    trainer.step(w.batch);
    n++;
  }
  return (n * w.items) / ((performance.now() - t0) / 1000);
};

/**
 * Every configuration compiled (three times from source; the median compile time counts), then timed
 * in `rounds` interleaved rounds, keeping each one's best round: the machine's noise hits all alike.
 */
export const optimizerReport = (w: Workload, rounds = 3, minSeconds = 0.25): ConfigRow[] => {
  const configs: [string, string[]][] = [['all on', []], ...SWITCHES.map((s): [string, string[]] => [`without ${s}`, [s]]), ['all off', [...SWITCHES]]];
  const compiled = configs.map(([config, disable]) => {
    const runs = [compileStep(w, disable), compileStep(w, disable), compileStep(w, disable)];
    const { trainer, spec } = runs[2]!;
    trainer.step(w.batch);
    return {
      config,
      trainer,
      compileMs: median(runs.map((r) => r.ms)),
      stats: programStats(spec.fn, spec.env, spec.schedule, spec.plan, spec.source),
      perSecond: 0,
    };
  });
  for (let r = 0; r < rounds; r++) for (const c of compiled) c.perSecond = Math.max(c.perSecond, throughput(c.trainer, w, minSeconds));
  return compiled.map(({ trainer: _t, ...row }) => row);
};

export const printOptimizerReport = (w: Workload, rows: readonly ConfigRow[]): void => {
  const base = rows[0]!;
  console.log(`\n${w.name}: what each pass and codegen step is worth`);
  console.log(
    `  ${'configuration'.padEnd(20)} ${'compile ms'.padStart(10)} ${'kernels'.padStart(8)} ${'arena KiB'.padStart(10)}` +
      ` ${'peak/min'.padStart(9)} ${w.unit.padStart(12)} ${'vs all on'.padStart(9)}`,
  );
  for (const r of rows) {
    const ratio = r.stats.minimumBytes ? (r.stats.peakBytes / r.stats.minimumBytes).toFixed(2) : '—';
    console.log(
      `  ${r.config.padEnd(20)} ${r.compileMs.toFixed(1).padStart(10)} ${String(r.stats.kernels).padStart(8)}` +
        ` ${(r.stats.arenaBytes / 1024).toFixed(0).padStart(10)} ${ratio.padStart(9)} ${Math.round(r.perSecond).toLocaleString('en-US').padStart(12)}` +
        ` ${`${(r.perSecond / base.perSecond).toFixed(2)}×`.padStart(9)}`,
    );
  }
};
