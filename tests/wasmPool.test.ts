// The wasm backend prints a max pool's forward four outputs at a time on f32x4 lanes
// (compiler/wasm/vectorPool.ts): over NaN (quiet, signalling, either sign, with payloads), ±0, ±∞ and
// ties it stores the bits the JavaScript backend stores, element for element, at window 2 stride 2
// (widths a multiple of 4 and not), with padding (window 3 stride 2), and it declines shapes it does
// not vectorize (stride 1) while still equal; LeNet-5 inference equals the JavaScript backend's.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { randomInputs } from '../compiler/api/gradcheck.js';
import { vectorPoolStats } from '../compiler/wasm/vectorPool.js';
import { Rng } from '../runtime/random.js';
import { compileOk } from './helpers/compile.js';
import { relDiff } from './helpers/backendEquivalence.js';
import type { Tensor } from '../runtime/tensor.js';

// NaNs as bits (a JavaScript number read from a Float32Array would already be quiet): quiet, negative,
// with payloads, signalling (bit 22 clear: the scalar path's f64 round trip quiets them)
const NANS = [0x7fc00000, 0xffc00000, 0x7fc12345, 0xffe00001, 0x7f800001, 0xff812345];
const SPECIAL = [0, -0, 1, -1, 1, Infinity, -Infinity, -Infinity, 3.5, -3.5, 1e-45, -1e-45, 2, 2, -0, 0];

/** Equal bit for bit (NaN payloads and signs too), with a readable first difference. */
const sameBits = (a: Float32Array, b: Float32Array, what: string): void => {
  expect(b.length).toBe(a.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length),
    ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    if (ua[i] !== ub[i]) expect(`${what}[${i}] = 0x${ub[i]!.toString(16)}`).toBe(`${what}[${i}] = 0x${ua[i]!.toString(16)}`);
    expect(Object.is(a[i], b[i]) || (Number.isNaN(a[i]) && Number.isNaN(b[i]))).toBe(true);
  }
};

const pool = (shape: number[], args: string) => compileOk(`model P {\n  input x: f32[${shape.join(', ')}]\n  output m = max_pool2d(x, ${args})\n}`);

const specials = (n: number, rng: Rng): Float32Array => {
  const xs = new Float32Array(n),
    bits = new Uint32Array(xs.buffer);
  for (let i = 0; i < n; i++) {
    const r = rng.uniform();
    if (r < 0.08) bits[i] = NANS[Math.floor(rng.uniform() * NANS.length)]!;
    else xs[i] = r < 0.6 ? SPECIAL[Math.floor(rng.uniform() * SPECIAL.length)]! : Math.round(rng.normal() * 4) / 2;
  }
  return xs;
};

const compare = (shape: number[], args: string, seeds: number): number => {
  const before = vectorPoolStats.loops;
  const p = pool(shape, args);
  const [js, wasm] = (['js', 'wasm'] as const).map((backend) => p.model(undefined, { backend }));
  for (let seed = 0; seed < seeds; seed++) {
    const x = specials(
      shape.reduce((a, b) => a * b, 1),
      new Rng(seed),
    );
    const ins = { x: { data: x, shape } };
    const a = js!.evaluate(ins, 'f32')['m']!.data as Float32Array,
      b = wasm!.evaluate(ins, 'f32')['m']!.data as Float32Array;
    sameBits(a, b, `max_pool2d(${args}) on [${shape}] seed ${seed}`);
  }
  return vectorPoolStats.loops - before;
};

describe('max pool forward on f32x4 lanes', () => {
  test.each([
    [[2, 3, 8, 8], '2'],
    [[1, 2, 10, 10], '2'],
    [[1, 1, 6, 22], '2'],
    [[2, 1, 7, 19], '2'],
  ])('%j max_pool2d(x, %s): vectorized, bit for bit the JavaScript backend', (shape, args) => {
    expect(compare(shape, args, 6)).toBeGreaterThan(0);
  });

  test.each([
    [[1, 2, 8, 9], '2, stride = 1'],
    [[1, 1, 9, 12], '3'],
    // padding: the printer's bounds narrowing (narrow.ts) gives the window loop bounds that depend on o
    [[1, 2, 9, 13], '3, stride = 2, padding = 1'],
    [[1, 1, 8, 20], '2, stride = 2, padding = 1'],
  ])('%j max_pool2d(x, %s): declined, still bit for bit', (shape, args) => {
    expect(compare(shape, args, 3)).toBe(0);
  });

  // the convolutions before the pools already differ from the JavaScript backend's in the last bit
  // (another summation order): the model equals it to float32 rounding, and the wasm module with the
  // vector form equals the one without it bit for bit
  test('LeNet-5 inference: through the vector form, bit for bit the scalar wasm and within rounding of JavaScript', () => {
    const src = readFileSync('examples/lenet5.dlm', 'utf8').replace('output logits', 'output s2o = s2\n  output s4o = s4\n  output logits');
    const p = compileOk(src, 'examples/lenet5.dlm');
    const run = (backend: 'js' | 'wasm', vector: boolean, ins?: Record<string, Tensor>) => {
      vectorPoolStats.enabled = vector;
      try {
        const m = p.model(undefined, { backend });
        const inputs = ins ?? randomInputs(m, new Rng(2), {});
        const before = vectorPoolStats.loops;
        return { out: m.evaluate(inputs, 'f32'), inputs, used: vectorPoolStats.loops - before };
      } finally {
        vectorPoolStats.enabled = true;
      }
    };
    const js = run('js', true);
    const vec = run('wasm', true, js.inputs),
      scalar = run('wasm', false, js.inputs);
    expect(vec.used).toBeGreaterThanOrEqual(2);
    expect(scalar.used).toBe(0);
    for (const k of ['s2o', 's4o', 'logits']) {
      sameBits(scalar.out[k]!.data as Float32Array, vec.out[k]!.data as Float32Array, k);
      expect(relDiff(js.out[k]!.data, vec.out[k]!.data), k).toBeLessThanOrEqual(1e-5);
    }
  });
});
