// Model.run's call cache (compiler/api/callCache.ts): a call with the shapes of an earlier one reuses its
// program and only gathers the arrays again. Every later call must equal what a fresh model (the slow
// path) computes, bit for bit, and must still see new parameters, modes, keys, shapes and bad inputs.
import { describe, expect, test } from 'vitest';
import { Trainer } from '../compiler/api/trainer.js';
import { Rng } from '../runtime/random.js';
import type { Tensor } from '../runtime/tensor.js';
import { compileOk } from './helpers/compile.js';
import { labelTensor, normalTensor } from './helpers/models.js';

const SRC = `import nn
model F {
  input x: f32[B, 6]
  target y: i32[B]
  layer l1 = nn.Dense(6, 5)
  layer l2 = nn.Dense(5, 3)
  output logits = l2(nn.dropout(relu(l1(x)), 0.5))
  loss nn.cross_entropy(logits, y)
  optimizer sgd(lr = 0.1)
}`;

const fresh = () => compileOk(SRC).model(undefined, { seed: 1 });
const bits = (t: Tensor) => [...new Uint32Array(Float32Array.from(t.data).buffer)];
const batch = (seed: number, B: number) => normalTensor(new Rng(seed), [B, 6]);

describe('Model.forward called again at the same shapes', () => {
  test('equals a fresh model on new data, other batch sizes, modes and keys, and its outputs are copies', () => {
    const m = fresh();
    const first = m.forward({ x: batch(1, 4) }).logits!;
    const kept = bits(first);
    const calls: [Tensor, { training?: boolean; key?: number }][] = [
      [batch(2, 4), {}],
      [batch(3, 2), {}],
      [batch(4, 4), { training: true }],
      [batch(4, 4), { training: true, key: 9 }],
      [batch(5, 2), { training: true, key: 9 }],
      [batch(6, 4), {}],
    ];
    for (const [x, o] of calls) expect(bits(m.forward({ x }, o).logits!)).toEqual(bits(fresh().forward({ x }, o).logits!));
    // dropout really ran in training mode, and the key reached it through the cache
    const x = batch(4, 4);
    expect(bits(m.forward({ x }, { training: true, key: 9 }).logits!)).not.toEqual(bits(m.forward({ x }, { training: true, key: 10 }).logits!));
    expect(bits(first)).toEqual(kept);
  });

  test('sees setParam and a Trainer moving the parameters into its memory', () => {
    const m = fresh();
    const x = batch(7, 3);
    m.forward({ x });
    m.setParam('l1.b', [1, -1, 2, 0.5, 0]);
    const ref = fresh();
    ref.setParam('l1.b', [1, -1, 2, 0.5, 0]);
    expect(bits(m.forward({ x }).logits!)).toEqual(bits(ref.forward({ x }).logits!));
    const t = new Trainer(m);
    const r = new Rng(8);
    for (let i = 0; i < 3; i++) t.step({ x: normalTensor(r, [3, 6]), y: labelTensor(r, [3], 3) });
    const trained = fresh();
    for (const [k, v] of Object.entries(m.params)) trained.setParam(k, v);
    expect(bits(m.forward({ x }).logits!)).toEqual(bits(trained.forward({ x }).logits!));
  });

  test('still reports a wrong length, shape or a missing input after a good call, and runs again after them', () => {
    const m = fresh();
    const x = batch(9, 2);
    const want = bits(m.forward({ x }).logits!);
    expect(() => m.forward({ x: { data: new Float32Array(11), shape: [2, 6] } })).toThrow(/E0403/);
    expect(() => m.forward({ x: { data: new Float32Array(10), shape: [2, 5] } })).toThrow(/E0401/);
    expect(() => m.forward({})).toThrow(/E0402/);
    expect(bits(m.forward({ x }).logits!)).toEqual(want);
  });

  test('a model with passes switched off compiles its program once, not at every call', () => {
    const m = compileOk(SRC).model(undefined, { seed: 1, passes: { disable: ['cse'] } });
    const f = m.gradProgram();
    const r = new Rng(10);
    const ins = { x: normalTensor(r, [2, 6]), y: labelTensor(r, [2], 3) };
    const a = m.run(f, ins);
    expect(m.run(f, ins)).toBe(a);
    expect(m.run(f, ins, 'f64')).not.toBe(a);
    expect(m.valueAndGrad(ins).grads['l1.W']).toEqual(fresh().valueAndGrad(ins).grads['l1.W']);
  });

  test('Trainer.step after a good step: data too long or too short for its shape is E0403, nothing trained', () => {
    const m = fresh();
    const t = new Trainer(m);
    const r = new Rng(11);
    const y = labelTensor(r, [2], 3);
    t.step({ x: normalTensor(r, [2, 6]), y });
    const before = bits({ data: m.params['l1.W']!, shape: [] });
    for (const n of [13, 11]) expect(() => t.step({ x: { data: new Float32Array(n), shape: [2, 6] }, y })).toThrow(/E0403/);
    expect(bits({ data: m.params['l1.W']!, shape: [] })).toEqual(before);
    t.step({ x: normalTensor(r, [2, 6]), y });
    expect(bits({ data: m.params['l1.W']!, shape: [] })).not.toEqual(before);
  });
});

describe("forward's out: outputs written into the caller's arrays (PyTorch's out=)", () => {
  test('the arrays given are filled with what a fresh copy holds and returned; others stay fresh copies', () => {
    const m = fresh();
    const x = batch(7, 4);
    const into = new Float32Array(12).fill(Number.NaN);
    const r = m.forward({ x }, { out: { logits: into } });
    expect(r.logits!.data).toBe(into);
    expect(bits(r.logits!)).toEqual(bits(fresh().forward({ x }).logits!));
    // the next call writes the same array again, at the next data
    m.forward({ x: batch(8, 4) }, { out: { logits: into } });
    expect(bits({ data: into, shape: [4, 3] })).toEqual(bits(fresh().forward({ x: batch(8, 4) }).logits!));
    const ev = m.evaluate({ x, y: labelTensor(new Rng(2), [4], 3) }, { out: { logits: into } });
    expect(ev.logits!.data).toBe(into);
    expect(ev['loss']!.data).not.toBe(into);
  });

  test('an array of another length or type, or an unknown output name, is E0405 naming both', () => {
    const m = fresh();
    const x = batch(7, 4);
    const code = (out: Record<string, Float32Array | Float64Array>) => {
      try {
        m.forward({ x }, { out });
      } catch (e) {
        return (e as { diagnostics?: { code: string; message: string }[] }).diagnostics?.[0];
      }
      return undefined;
    };
    expect(code({ logits: new Float32Array(11) })).toMatchObject({
      code: 'E0405',
      message: expect.stringMatching(/Float32Array of 12 elements \(shape \[4, 3\]\), not a Float32Array of 11/),
    });
    expect(code({ logits: new Float64Array(12) })).toMatchObject({ code: 'E0405', message: expect.stringMatching(/not a Float64Array of 12/) });
    expect(code({ logit: new Float32Array(12) })).toMatchObject({ code: 'E0405', message: expect.stringMatching(/no output 'logit' \(outputs: logits\)/) });
    expect(code({ logits: null as unknown as Float32Array })).toMatchObject({ code: 'E0405', message: expect.stringMatching(/not a Null/) });
  });
});
