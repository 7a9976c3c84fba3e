// What the mutation runs of compiler/autodiff showed no test deciding (docs/mutation.md names the mutants
// each test kills): forward mode through a loop whose tangents reach only some of its inputs (jvpScan.ts).
// Small programs in float64; forward mode is checked as in tests/jvp.test.ts (against reverse mode and
// finite differences).
import { describe, expect, test } from 'vitest';
import { jvpProgram } from '../compiler/autodiff/jvp.js';
import { SCAN, scanInfo } from '../compiler/ir/scan.js';
import { bindInputs } from '../compiler/jit/jit.js';
import { nd } from '../compiler/ops/ndarray.js';
import type { NdArray } from '../compiler/ops/op.js';
import { selectOutputs } from '../compiler/train/step.js';
import { Rng } from '../runtime/random.js';
import { compileOk } from './helpers/compile.js';
import { checkJvp } from './helpers/jvpCheck.js';

describe('forward mode through a loop (jvpScan.ts)', () => {
  // carries: h and g (f32) and a step counter n (i32, the last carry, so that C − 1 is an integer one); sequences
  // x, y; captures W, u; h0 the initial h (g starts at zero, so with a tangent on h0 alone one float carry has none)
  const src = `model L {
  input x: f32[T, B, 3]
  input y: f32[T, B, 3]
  param W: f32[3, 3] = normal(std = 0.7)
  param h0: f32[3] = normal(std = 0.7)
  param u: f32[3] = normal(std = 0.7)
  fn step(h, g, n, xt, yt) = [tanh(xt @ W + h * yt + 0.1 * cast(n, f32)), 0.5 * g + h, n + 1]
  let s = scan(step, [broadcast_to(h0, [B, 3]), broadcast_to(0, [B, 3]), broadcast_to(cast(0, i32), [B, 1])], [x, y])
  output o = s[0] * u + s[1][-1] + cast(s[2][-1], f32)
}`;
  const m = compileOk(src).model(undefined, { seed: 4 });
  const f = selectOutputs(m.ir.fn, m.ir.outputs);
  const dims = { T: 3, B: 2 };
  const rng = new Rng(5);
  const feed: Record<string, NdArray> = {};
  const tensors: Record<string, { data: Float32Array; shape: number[] }> = {};
  for (const i of m.ir.inputs) {
    const shape = i.type.shape.map((d) => (typeof d === 'number' ? d : dims[d as 'T' | 'B']));
    tensors[i.name] = { data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape };
  }
  for (const p of m.ir.params) tensors[p.name] = { data: m.params[p.name]!, shape: p.type.shape as number[] };
  for (const [k, t] of Object.entries(tensors)) feed[k] = nd(t.shape, Float64Array.from(t.data));
  const env = bindInputs(f, tensors).env;
  const jvp = (wrt: string[]) => checkJvp(f, feed, env, wrt, () => rng.normal(), `tangents of ${wrt.join(', ')}`);

  test('tangents of each input alone (a sequence after an integer carry, the initial carry, a capture) agree with reverse mode', () => {
    jvp(['x', 'y']);
    jvp(['y']);
    jvp(['h0']);
    jvp(['W']);
  });

  test('a loop no tangent reaches is copied as it is, with its own body', () => {
    const loops = (wrt: string[]) =>
      jvpProgram(f, wrt)
        .nodes.filter((n) => n.op === SCAN)
        .map(scanInfo);
    const [own] = loops([]);
    expect(loops(['u']).map((s) => [s.body, s.carries, s.xs])).toEqual([[own!.body, 3, 2]]);
    // with tangents: the float carries h and g get one each, the integer counter none; the sequences given one get one
    expect(loops(['y']).map((s) => [s.body.name, s.carries, s.xs])).toEqual([[`${own!.body.name}_jvp`, 5, 3]]);
    jvp(['u']);
  });
});
