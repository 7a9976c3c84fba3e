// passes/sinkRows.ts: the row-wise work around a checkpointed loop (input projection, embedding, readout,
// per-step loss) moves into its step. On random models built from row-wise pieces before and after a
// checkpointed loop, mixed with pieces that are not row-wise (a mean over time, the last step, a
// window of steps): the forward program's values are those without the pass (reference interpreter),
// and the gradients those of the loop that stores every step. And for char_lstm's shape the training
// step's arena stays under 8 MiB at T = 512 (issue 17's target), computed from the memory plan.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Trainer } from '../compiler/api/trainer.js';
import { interpret } from '../compiler/ir/interp.js';
import { verify } from '../compiler/ir/verify.js';
import { bindInputs } from '../compiler/jit/jit.js';
import { nd } from '../compiler/ops/ndarray.js';
import { dce } from '../compiler/passes/dce.js';
import type { Model } from '../compiler/api/model.js';
import { Rng } from '../runtime/random.js';
import { compileOk } from './helpers/compile.js';
import { emitWasmProgram } from '../compiler/wasm/moduleWasm.js';

const B = 2;
// [B, T, 3] (or [T, B, 3] when the loop runs over axis 0) from x and the ids
const PRE = [
  'x',
  'x @ W + b',
  'tanh(x) @ W',
  'gather(E, ids) @ W + b',
  '(x * gather(E, ids)) @ W',
  'concat([x, gather(E, ids)], axis = 2) @ W2',
  'relu(x @ W) * sigmoid(b)',
];
// over the states hs [B, T, 4]: row-wise pieces, then one that is not (mean over time, the last step, a window)
const POST = ['hs @ R + rb', 'tanh(hs) * v', 'log_softmax(hs @ R, axis = 2)', 'hs * hs', 'sum(hs * v, axis = 2, keepdims = true)', 'maximum(hs, 0.1) @ R'];
const MIXED = [
  'mean(hs, axis = 1, keepdims = true)',
  'square(hs - mean(hs, axis = 1, keepdims = true))',
  'hs[:, -1:]',
  'hs[:, 0:1] * hs[:, -1:]',
  'cumsum(hs, axis = 1)',
];
const sinkArb = fc.record({
  pre: fc.nat(PRE.length - 1),
  post: fc.nat(POST.length - 1),
  mixed: fc.nat(MIXED.length - 1),
  withMixed: fc.boolean(),
  T: fc.integer({ min: 2, max: 7 }),
  k: fc.integer({ min: 1, max: 4 }),
  reverse: fc.boolean(),
  labels: fc.boolean(),
});
type Sink = typeof sinkArb extends fc.Arbitrary<infer G> ? G : never;

const source = (g: Sink, checkpoint: number) => `model S {
  input x: f32[B, ${g.T}, 3]
  input ids: i32[B, ${g.T}]
  target y: i32[B, ${g.T}]
  param E: f32[5, 3] = normal(std = 0.8)
  param W: f32[3, 4] = normal(std = 0.7)
  param W2: f32[6, 4] = normal(std = 0.7)
  param b: f32[4] = normal(std = 0.5)
  param U: f32[4, 4] = normal(std = 0.7)
  param R: f32[4, 4] = normal(std = 0.7)
  param rb: f32[4] = normal(std = 0.5)
  param v: f32[4] = normal(std = 0.7)
  param h0: f32[4] = normal(std = 0.5)
  fn step(h, ut) = tanh(ut @ U * 0.5 + h @ U)
  let u = ${PRE[g.pre]!}
  let u4 = ${g.pre === 0 ? 'x @ W' : 'u'}
  let hs = scan(step, broadcast_to(h0, [B, 4]), u4, axis = 1, reverse = ${g.reverse}${checkpoint ? `, checkpoint = ${checkpoint}` : ''})
  let o = ${POST[g.post]}
  output o = o
  loss mean(square(o - 0.3))${g.withMixed ? ` + mean(${MIXED[g.mixed]})` : ''}${g.labels ? ' + 0.1 * nn.sequence_cross_entropy(hs @ R + rb, y)' : ''}
}`;

const batch = (g: Sink, seed: number) => {
  const r = new Rng(seed);
  const f = (n: number) => Float32Array.from({ length: n }, () => r.normal());
  const i = (n: number, m: number) => Int32Array.from({ length: n }, (_, q) => (q * 7 + seed) % m);
  const y = i(B * g.T, 4);
  if (g.T > 2) y[1] = -1; // an ignored position
  return { x: { data: f(B * g.T * 3), shape: [B, g.T, 3] }, ids: { data: i(B * g.T, 5), shape: [B, g.T] }, y: { data: y, shape: [B, g.T] } };
};

const forward = (m: Model, feed: ReturnType<typeof batch>) => {
  const f = m.ir.fn;
  const params = m.ir.params.map((p) => [p.name, nd(p.type.shape as number[], Float64Array.from(m.params[p.name]!))] as const);
  const ins = Object.fromEntries([...params, ...Object.entries(feed).map(([k, t]) => [k, nd(t.shape, Float64Array.from(t.data))] as const)]);
  return interpret(f, ins, bindInputs(f, feed).env).outputs;
};

const model = (src: string, sink: boolean) =>
  compileOk(`import nn\n${src}`).model(undefined, { seed: 2, ...(sink ? {} : { passes: { disable: ['sinkRows'] } }) });

// char_lstm (examples/char_lstm.dlm) at sequence length T, batch 16
const charLstm = (T: number, k: number) => `import nn
import seq
model CharLSTM {
  input  x: i32[B, ${T}]
  target y: i32[B, ${T}]
  layer embed = nn.Embedding(27, 24)
  layer cell = seq.LSTMCell(24, 96, forget_bias = 1.0)
  layer readout = nn.Dense(96, 27)
  let states = seq.lstm(cell, embed(x), seq.zeros_state(x, 96), seq.zeros_state(x, 96), checkpoint = ${k})
  output logits = readout(states[0])
  loss nn.sequence_cross_entropy(logits, y)
  optimizer adam(lr = 0.01)
}`;

describe('sinkRows', () => {
  test('random row-wise pieces around a checkpointed loop: the same forward values, the gradients of storing every step', () => {
    fc.assert(
      fc.property(sinkArb, fc.nat(20), (g, seed) => {
        const feed = batch(g, seed);
        const src = source(g, g.k);
        const sunk = model(src, true),
          plain = model(src, false);
        // the pass moved something (the loop's sequences or results changed), unless k ≥ T leaves the loop as it is
        const loops = (m: Model) => m.ir.fn.nodes.filter((n) => n.op === 'scan').map((n) => JSON.stringify([n.inputs.length, n.attrs['carries']]));
        if (g.k < g.T) expect(loops(sunk)).not.toEqual(loops(plain));
        verify(sunk.ir.fn);
        const a = forward(plain, feed),
          c = forward(sunk, feed);
        for (const k of Object.keys(a)) expect([...c[k]!.data], `${k}\n${src}`).toEqual([...a[k]!.data]);
        const stored = model(source(g, 0), true).valueAndGrad(feed, { precision: 'f64', wrt: ['x'] });
        const got = sunk.valueAndGrad(feed, { precision: 'f64', wrt: ['x'] });
        expect(Math.abs(got.loss - stored.loss)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(stored.loss)));
        for (const [name, want] of Object.entries(stored.grads)) {
          const have = got.grads[name]!;
          for (let i = 0; i < want.length; i++) {
            if (!(Math.abs(have[i]! - want[i]!) <= 1e-11 * (1 + Math.abs(want[i]!)))) throw new Error(`${name}[${i}]: ${have[i]} vs ${want[i]} stored\n${src}`);
          }
        }
      }),
      { numRuns: 16, seed: 17 },
    );
  }, 60_000);

  test('char_lstm’s loop after the pass: the embedding, projection and readout are in the step; it does not read the labels', () => {
    const m = compileOk(charLstm(64, 16)).model(undefined, { seed: 0 });
    // (what the pass leaves without readers goes with dead-code elimination after differentiation)
    const fn = dce.run(m.ir.fn);
    const top = fn.nodes.filter((n) => n.op === 'matmul' || n.op === 'gather').length;
    expect(top).toBe(0);
    const loop = fn.nodes.find((n) => n.op === 'scan')!;
    // it scans over the token ids only, not the projected embeddings: [T, B]
    const C = loop.attrs['carries'] as number;
    const xs = loop.inputs.slice(C, C + (loop.attrs['xs'] as number));
    expect(xs.map((v) => fn.nodes.find((n) => n.id === v)!.type.shape)).toEqual([[64, 'B']]);
    // the logits need no targets (predict and export keep them), and are those of the model without the pass
    expect(m.targetFreeOutputs()).toContain('logits');
    const x = { data: Int32Array.from({ length: 2 * 64 }, (_, i) => (i * 7) % 27), shape: [2, 64] };
    const plain = compileOk(charLstm(64, 16)).model(undefined, { seed: 0, passes: { disable: ['sinkRows'] } });
    expect([...m.forward({ x }, 'f64')['logits']!.data]).toEqual([...plain.forward({ x }, 'f64')['logits']!.data]);
  });
});

/** The parameter count of each function a WebAssembly module defines (its type and function sections). */
const definedParamCounts = (bytes: Uint8Array): number[] => {
  let at = 8;
  const u32 = () => {
    let n = 0,
      shift = 0,
      b = 0;
    do {
      b = bytes[at++]!;
      n += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return n;
  };
  const types: number[] = [];
  let counts: number[] = [];
  while (at < bytes.length) {
    const id = bytes[at++]!,
      size = u32(),
      end = at + size;
    if (id === 1)
      for (let i = 0, n = u32(); i < n; i++) {
        at++; // 0x60
        const params = u32();
        at += params;
        const results = u32();
        at += results;
        types.push(params);
      }
    if (id === 3) counts = Array.from({ length: u32() }, () => types[u32()]!);
    at = end;
  }
  return counts;
};

describe('time: the forward steps run once before the backward pass', () => {
  test('a training step reads its outputs (the logits) from the segmented loop, not from the loop run again storing every step', () => {
    const T = 24;
    const ids = (m: number) => ({ data: Int32Array.from({ length: 2 * T }, (_, i) => (i * m) % 27), shape: [2, T] });
    const feed = { x: ids(7), y: ids(5) };
    const trainer = (k: number) => new Trainer(compileOk(charLstm(T, k)).model(undefined, { seed: 0 }));
    const t8 = trainer(8);
    const forwardLoops = dce.run(t8.program.fn).nodes.filter((n) => n.op === 'scan' && !n.backward);
    // one loop over the 3 segments (the backward loop recomputes each); none over the T steps
    expect(forwardLoops.map((n) => [n.attrs['length'], n.attrs['segment']])).toEqual([[3, 8]]);
    const [a, b] = [t8.step(feed), trainer(0).step(feed)];
    expect([...a.outputs['logits']!]).toEqual([...b.outputs['logits']!]);
    expect(Math.abs(a.loss - b.loss)).toBeLessThanOrEqual(1e-6);
    // wasm: the kernels of the loops nested in the backward loop's body (the recomputed segment and its
    // backward loop) address their buffers as constants, as the top-level ones do: no function takes parameters
    const spec = trainer(8).compile(feed)[0]!;
    expect(definedParamCounts(emitWasmProgram(spec.schedule, spec.plan, 'f32').bytes).filter((n) => n > 0)).toEqual([]);
  });
});

describe('memory: issue 17’s target', () => {
  test('char_lstm’s training step at T = 512, batch 16, checkpoint = 16 plans an arena under 8 MiB (storing every step: over 40 MiB)', () => {
    const ids = (m: number) => ({ data: Int32Array.from({ length: 16 * 512 }, (_, i) => (i * m) % 27), shape: [16, 512] });
    const arena = (k: number) =>
      new Trainer(compileOk(charLstm(512, k)).model(undefined, { seed: 0 })).compile({ x: ids(7), y: ids(5) })[0]!.plan.arenaSize * 4;
    const stored = arena(0);
    expect(arena(16)).toBeLessThan(8 * 1048576);
    expect(stored).toBeGreaterThan(40 * 1048576);
    // k ≥ T is the loop as it is (neither segmented nor rewritten)
    expect(arena(512)).toBe(stored);
  }, 60_000);
});
