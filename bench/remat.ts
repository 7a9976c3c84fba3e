// Rematerialization for `npm run bench`: examples/char_lstm.dlm at T = 512 (batch 16) trained with every
// step stored and with scan(…, checkpoint = k): the carry stored every k steps, each segment recomputed
// in the backward loop, the embedding, input projection, readout and per-step loss computed in the step
// (passes/sinkRows.ts). Reports the step time (median of five interleaved passes of ≥ 1 s), the step's arena and its
// largest live set, each against storing, and issue 17's target: an arena under 8 MiB at ≤ 1.4× the
// step time of storing. tests/remat_sink.test.ts asserts the memory plan; the time is only measured here.
// Alone: npx esbuild bench/remat.ts --bundle --platform=node --format=esm --packages=external --outfile=dist/remat.js && node dist/remat.js
// (`node dist/remat.js --checkpoints 0,16` runs only those; `--passes N` and `--seconds S` set the passes and their length; `--cpu` times CPU)
import { readFileSync } from 'node:fs';
import { compileOrThrow } from '../compiler/index.js';
import { Trainer } from '../compiler/api/trainer.js';
import type { Tensor } from '../runtime/tensor.js';
import { cpuPass, median, pass } from './timing.js';

export const REMAT = { T: 512, B: 16 };
export const REMAT_TARGET = { arenaBytes: 8 * 1048576, timeRatio: 1.4 };

/** char_lstm's own source with its sequence length set to T and the LSTM's loop checkpointed every k steps. */
export const rematSource = (checkpoint: number, T = REMAT.T): string => {
  const src = readFileSync(new URL('../examples/char_lstm.dlm', import.meta.url), 'utf8');
  const call = /seq\.lstm\(cell, embed\(x\), seq\.zeros_state\(x, 96\), seq\.zeros_state\(x, 96\)\)/;
  const out = src.replace(/i32\[B, 16\]/g, `i32[B, ${T}]`).replace(call, (m) => `${m.slice(0, -1)}, checkpoint = ${checkpoint})`);
  if (!call.test(src) || !out.includes(`i32[B, ${T}]`)) throw new Error('bench/remat.ts: examples/char_lstm.dlm lost the shape this benchmark rewrites');
  return out;
};

export interface RematRow {
  readonly checkpoint: number;
  readonly stepMs: number;
  readonly arenaBytes: number;
  readonly peakLiveBytes: number;
  readonly compileMs: number;
}

export const rematBatch = (T = REMAT.T, B = REMAT.B): Record<string, Tensor> => {
  // letters 1–26 in words of 3 to 9, separated by 0; the next character as the target
  const x = new Int32Array(B * T),
    y = new Int32Array(B * T);
  let s = 12345;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) x[b * T + t] = rnd() < 0.15 ? 0 : 1 + Math.floor(rnd() * 26);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) y[b * T + t] = t + 1 < T ? x[b * T + t + 1]! : -1;
  return { x: { data: x, shape: [B, T] }, y: { data: y, shape: [B, T] } };
};

/** `cpu`: each pass's time is this process's CPU time (what a step costs whatever the machine's load) instead of wall time. */
export const rematReport = (checkpoints: readonly number[] = [0, 8, 16, 32, 64], passes = 5, minSeconds = 1, cpu = false): RematRow[] => {
  const batch = rematBatch();
  const steps = checkpoints.map((checkpoint) => {
    const t0 = performance.now();
    const trainer = new Trainer(compileOrThrow(rematSource(checkpoint)).model('CharLSTM', { seed: 0 }));
    const spec = trainer.compile(batch)[0]!;
    const compileMs = performance.now() - t0;
    trainer.step(batch);
    return { checkpoint, trainer, plan: spec.plan, compileMs, times: [] as number[] };
  });
  for (let p = 0; p < passes; p++)
    for (const s of steps)
      s.times.push(
        (cpu ? cpuPass : pass)(() => {
          s.trainer.step(batch);
        }, minSeconds),
      );
  return steps.map((s) => ({
    checkpoint: s.checkpoint,
    stepMs: median(s.times) * 1000,
    arenaBytes: s.plan.arenaSize * 4,
    peakLiveBytes: s.plan.peakLive * 4,
    compileMs: s.compileMs,
  }));
};

/** The checkpointed rows that meet the target (arena < 8 MiB at ≤ 1.4× storing's step time), best time first. */
export const rematTarget = (rows: readonly RematRow[]): { readonly ok: boolean; readonly best?: RematRow } => {
  const base = rows.find((r) => r.checkpoint === 0);
  const meets = rows
    .filter((r) => r.checkpoint > 0 && base && r.arenaBytes < REMAT_TARGET.arenaBytes && r.stepMs <= REMAT_TARGET.timeRatio * base.stepMs)
    .sort((a, b) => a.stepMs - b.stepMs);
  return meets.length ? { ok: true, best: meets[0]! } : { ok: false };
};

export const REMAT_TARGET_NAME = `char_lstm T = ${REMAT.T}: a checkpointed step's arena < 8 MiB at ≤ ${REMAT_TARGET.timeRatio}× the step time of storing`;

export const printRematReport = (rows: readonly RematRow[]): void => {
  const base = rows.find((r) => r.checkpoint === 0) ?? rows[0]!;
  const mib = (b: number) => `${(b / 1048576).toFixed(2)} MiB`;
  console.log(`\nrematerialization: examples/char_lstm.dlm training (embedding 24, LSTM 96, 27 classes, T ${REMAT.T}, B ${REMAT.B}), Adam`);
  const heads = [
    ['step ms', 9],
    ['× stored', 9],
    ['arena', 10],
    ['× stored', 9],
    ['live peak', 10],
    ['× stored', 9],
    ['compile ms', 10],
  ] as const;
  console.log(`  ${'scan'.padEnd(18)} ${heads.map(([h, w]) => h.padStart(w)).join(' ')}  target`);
  for (const r of rows) {
    const name = r.checkpoint ? `checkpoint = ${r.checkpoint}` : 'every step stored';
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2).padStart(8)}×`;
    const meets = r.arenaBytes < REMAT_TARGET.arenaBytes && r.stepMs <= REMAT_TARGET.timeRatio * base.stepMs;
    const cells = [
      r.stepMs.toFixed(1).padStart(9),
      ratio(r.stepMs, base.stepMs),
      mib(r.arenaBytes).padStart(10),
      ratio(r.arenaBytes, base.arenaBytes),
      mib(r.peakLiveBytes).padStart(10),
      ratio(r.peakLiveBytes, base.peakLiveBytes),
      r.compileMs.toFixed(0).padStart(10),
    ];
    console.log(`  ${name.padEnd(18)} ${cells.join(' ')}  ${r.checkpoint ? (meets ? 'PASS' : 'MISS') : ''}`);
  }
  const t = rematTarget(rows);
  const best = t.best ? ` (checkpoint = ${t.best.checkpoint}: ${mib(t.best.arenaBytes)}, ${(t.best.stepMs / base.stepMs).toFixed(2)}×)` : '';
  console.log(`  ${t.ok ? 'PASS' : 'MISS'}  ${REMAT_TARGET_NAME}${best}`);
};

/** `--name value` from the command line, when given. */
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

if (process.argv[1] && /remat\.(js|ts|mjs)$/.test(process.argv[1])) {
  const ks = arg('checkpoints')?.split(',').map(Number);
  if (ks && !ks.every((k) => Number.isInteger(k) && k >= 0)) throw new Error('--checkpoints: whole numbers, e.g. 0,16');
  printRematReport(rematReport(ks, Number(arg('passes') ?? 5), Number(arg('seconds') ?? 1), process.argv.includes('--cpu')));
}
