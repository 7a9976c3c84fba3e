// The files of one training run: the checkpoint (latest state), `<base>.best.safetensors` (lowest
// validation loss), with --keep K the K most recent numbered checkpoints `<base>.step<T>.safetensors`,
// the JSONL log and the curves SVG. Every save writes log, curves and checkpoint through the atomic
// writer, log first: a crash between them leaves a log at most one epoch ahead, which a resume trims
// to the checkpoint's epoch.
import { existsSync, linkSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DataError } from '../../runtime/data/errors.js';
import type { RngState } from '../../runtime/random.js';
import { removeStaleTempFiles } from '../../runtime/write.js';
import type { EpochReport, RunState } from '../api/fit.js';
import type { Model } from '../api/model.js';
import type { Trainer } from '../api/trainer.js';
import { saveCheckpoint } from './checkpoints.js';
import { curvesSvg } from './curves.js';
import { writeAtomic } from './io.js';

export interface RunPaths {
  readonly checkpoint: string;
  readonly best: string;
  readonly log: string;
  readonly curves: string;
}

export const runPaths = (checkpoint: string, log?: string): RunPaths => {
  const base = checkpoint.replace(/\.safetensors$/, '');
  return { checkpoint, best: `${base}.best.safetensors`, log: log ?? `${base}.log.jsonl`, curves: `${base}.curves.svg` };
};

/** The log's epoch reports, only those up to `upTo` epochs (what the checkpoint being resumed has). */
export const readLog = (path: string, upTo: number): EpochReport[] => {
  if (!existsSync(path)) return [];
  const out: EpochReport[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch {
      continue;
    } // a line cut by a crash
    if (typeof r === 'object' && r !== null && Number.isInteger((r as EpochReport).epoch) && (r as EpochReport).epoch <= upTo) out.push(r as EpochReport);
  }
  return out;
};

const isRng = (v: unknown): v is RngState => {
  const r = v as RngState;
  return (
    typeof r === 'object' &&
    r !== null &&
    Array.isArray(r.s) &&
    r.s.length === 4 &&
    r.s.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) &&
    r.s.some((w) => w !== 0) &&
    (r.spare === null || typeof r.spare === 'number')
  );
};
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The run state stored in a checkpoint's metadata, validated (it comes from a file). */
export const parseRunState = (text: string, file: string): RunState => {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new DataError(file, `its run state is not JSON: ${(e as Error).message}`);
  }
  const r = v as RunState;
  const acc = r?.acc as unknown as Record<string, unknown> | undefined;
  const ok =
    typeof r === 'object' &&
    r !== null &&
    isCount(r.epoch) &&
    isCount(r.step) &&
    isRng(r.rng) &&
    isRng(r.augRng) &&
    typeof acc === 'object' &&
    acc !== null &&
    ['loss', 'correct', 'labelled', 'seen', 'normSum', 'clipped', 'seconds'].every((k) => typeof acc[k] === 'number') &&
    typeof acc['sums'] === 'object' &&
    acc['sums'] !== null &&
    Object.values(acc['sums'] as object).every((x) => typeof x === 'number') &&
    (r.best === null || typeof r.best === 'number') &&
    isCount(r.since) &&
    (r.bestEpoch === undefined || isCount(r.bestEpoch)) &&
    typeof r.done === 'boolean';
  if (!ok) throw new DataError(file, 'its run state is malformed (epoch, step, random state, sums, early stopping)');
  return r;
};

export class RunFiles {
  private reports: EpochReport[];
  private bestVal: number;

  /** `resumed`: the log to continue (the resumed checkpoint's), trimmed to its epochs. */
  constructor(
    readonly paths: RunPaths,
    private readonly keep: number,
    resumed?: { epochs: number; log: string; bestVal?: number },
  ) {
    removeStaleTempFiles([paths.checkpoint, paths.best, paths.log, paths.curves]);
    this.reports = resumed ? readLog(resumed.log, resumed.epochs) : [];
    this.bestVal = resumed?.bestVal ?? Infinity;
  }

  get epochs(): readonly EpochReport[] {
    return this.reports;
  }

  /** Records an epoch; on a lower validation loss than ever, writes the parameters to the best checkpoint. */
  addEpoch(r: EpochReport, model: Model, info: Record<string, string>): void {
    this.reports.push(r);
    if (r.valLoss === undefined || !(r.valLoss < this.bestVal)) return;
    this.bestVal = r.valLoss;
    saveCheckpoint(model, undefined, this.paths.best, { info: { ...info, best_epoch: String(r.epoch), best_val_loss: String(r.valLoss) } });
  }

  /** Writes log, curves (once there is an epoch) and the checkpoint with the run state. */
  save(model: Model, trainer: Trainer, state: RunState, info: Record<string, string>, best?: Readonly<Record<string, Float32Array>>): void {
    writeAtomic(this.paths.log, this.reports.map((r) => JSON.stringify(r) + '\n').join(''));
    if (this.reports.length) writeAtomic(this.paths.curves, curvesSvg(`${model.name}: training curves`, this.reports));
    const meta = { ...info, run: JSON.stringify(state), ...(Number.isFinite(this.bestVal) ? { best_val_loss: String(this.bestVal) } : {}) };
    saveCheckpoint(model, trainer, this.paths.checkpoint, { info: meta, ...(best ? { best } : {}) });
    if (this.keep > 0) this.rotate(trainer.t);
  }

  /** Keeps the `keep` most recent numbered copies (hard links of the checkpoint just written). */
  private rotate(t: number): void {
    const base = basename(this.paths.checkpoint).replace(/\.safetensors$/, '');
    const dir = dirname(this.paths.checkpoint);
    const copy = join(dir, `${base}.step${t}.safetensors`);
    rmSync(copy, { force: true });
    linkSync(this.paths.checkpoint, copy);
    const re = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.step(\\d+)\\.safetensors$`);
    const numbered = readdirSync(dir)
      .flatMap((n) => {
        const m = re.exec(n);
        return m ? [{ n, t: Number(m[1]) }] : [];
      })
      .sort((a, b) => b.t - a.t);
    for (const old of numbered.slice(this.keep)) rmSync(join(dir, old.n), { force: true });
  }
}
