// Rematerialization for `npm run bench`: the LSTM of bench/sequence.ts at T = 128, trained with every
// step stored and with scan(…, checkpoint = k) (the carry stored every k steps, each segment recomputed
// in the backward loop). Reports tokens/s (median of interleaved passes) and the step's arena, with
// ratios against storing: the memory/time trade-off. Nothing here is asserted; tests/remat.test.ts
// asserts the memory plan.
import { compileOrThrow } from '../compiler/index.js';
import { Trainer } from '../compiler/api/trainer.js';
import type { Tensor } from '../runtime/tensor.js';
import { LSTM, sequenceBatch } from './sequence.js';
import { median, pass } from './timing.js';

export const REMAT = { ...LSTM, T: 128 };

export const rematSource = (checkpoint: number) => `import nn
import seq
model LstmRemat {
  input x: f32[B, ${REMAT.T}, ${REMAT.V}]
  target y: i32[B, ${REMAT.T}]
  layer cell = seq.LSTMCell(${REMAT.V}, ${REMAT.H})
  layer readout = nn.Dense(${REMAT.H}, ${REMAT.V})
  let states = seq.lstm(cell, x, seq.zeros_state(x, ${REMAT.H}), seq.zeros_state(x, ${REMAT.H}), checkpoint = ${checkpoint})
  output logits = readout(states[0])
  loss nn.sequence_cross_entropy(logits, y)
  optimizer sgd(lr = 0.1)
}`;

export interface RematRow {
  readonly checkpoint: number; readonly tokensPerSecond: number; readonly arenaBytes: number; readonly peakLiveBytes: number; readonly compileMs: number;
}

export const rematReport = (checkpoints: readonly number[] = [0, 8, 16, 32], passes = 3, minSeconds = 0.5): RematRow[] => {
  const batch: Record<string, Tensor> = sequenceBatch(REMAT, true);
  const steps = checkpoints.map((checkpoint) => {
    const t0 = performance.now();
    const trainer = new Trainer(compileOrThrow(rematSource(checkpoint)).model('LstmRemat', { seed: 0 }));
    const spec = trainer.compile(batch)[0]!;
    const compileMs = performance.now() - t0;
    trainer.step(batch);
    return { checkpoint, trainer, plan: spec.plan, compileMs, times: [] as number[] };
  });
  for (let p = 0; p < passes; p++) for (const s of steps) s.times.push(pass(() => { s.trainer.step(batch); }, minSeconds));
  return steps.map((s) => ({
    checkpoint: s.checkpoint, tokensPerSecond: (REMAT.T * REMAT.B) / median(s.times), arenaBytes: s.plan.arenaSize * 4,
    peakLiveBytes: s.plan.peakLive * 4, compileMs: s.compileMs,
  }));
};

export const printRematReport = (rows: readonly RematRow[]): void => {
  const base = rows.find((r) => r.checkpoint === 0) ?? rows[0]!;
  const mib = (b: number) => `${(b / 1048576).toFixed(2)} MiB`;
  console.log(`\nrematerialization: LSTM training (V ${REMAT.V}, H ${REMAT.H}, T ${REMAT.T}, B ${REMAT.B}), SGD`);
  const heads = [['tokens/s', 10], ['× stored', 9], ['arena', 10], ['× stored', 9], ['live peak', 10], ['× stored', 9], ['compile ms', 10]] as const;
  console.log(`  ${'scan'.padEnd(18)} ${heads.map(([h, w]) => h.padStart(w)).join(' ')}`);
  for (const r of rows) {
    const name = r.checkpoint ? `checkpoint = ${r.checkpoint}` : 'every step stored';
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2).padStart(8)}×`;
    const cells = [Math.round(r.tokensPerSecond).toLocaleString('en-US').padStart(10), ratio(r.tokensPerSecond, base.tokensPerSecond),
      mib(r.arenaBytes).padStart(10), ratio(r.arenaBytes, base.arenaBytes), mib(r.peakLiveBytes).padStart(10), ratio(r.peakLiveBytes, base.peakLiveBytes),
      r.compileMs.toFixed(0).padStart(10)];
    console.log(`  ${name.padEnd(18)} ${cells.join(' ')}`);
  }
};
