// What the mutation runs of compiler/autodiff showed no test deciding (docs/mutation.md names the mutants
// each test kills): forward mode through a loop whose tangents reach only some of its inputs (jvpScan.ts);
// the shape of a checkpointed loop's rewrite into segments (checkpoint.ts); what backpropagation through a
// loop stores (scan.ts). Small programs in float64; forward mode is checked as in tests/jvp.test.ts
// (against reverse mode and finite differences).
import { describe, expect, test } from 'vitest';
import { expandCheckpoints } from '../compiler/autodiff/checkpoint.js';
import { gradientsOf } from '../compiler/autodiff/grad.js';
import { jvpProgram } from '../compiler/autodiff/jvp.js';
import { NO_SPAN } from '../compiler/diagnostics/span.js';
import { IrBuilder } from '../compiler/ir/builder.js';
import { interpret } from '../compiler/ir/interp.js';
import { INPUT, inputName, type Node } from '../compiler/ir/ir.js';
import { SCAN, SCAN_OUT, SCAN_TYPE, scanAttrs, scanInfo, windowType, type Keep } from '../compiler/ir/scan.js';
import { verify } from '../compiler/ir/verify.js';
import { bindInputs } from '../compiler/jit/jit.js';
import { nd } from '../compiler/ops/ndarray.js';
import type { NdArray } from '../compiler/ops/op.js';
import { selectOutputs } from '../compiler/train/step.js';
import { Rng } from '../runtime/random.js';
import { compileOk } from './helpers/compile.js';
import { checkJvp } from './helpers/jvpCheck.js';

const loops = (nodes: readonly Node[]) => nodes.filter((n) => n.op === SCAN);

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

// cᵗ⁺¹ = (tanh(xᵗ·W + hᵗ), accᵗ + hᵗ, nᵗ + 1) over T steps, with checkpoint = k; the program reads h
// stacked, acc at its last step and n stacked (an i32 carry), or only what `reads` names. `second`: the
// loss also reads a second loop (checkpoint 0, h from zero) made after it; `backward`: the loop is made
// by a backward pass (its nodes marked so); `keep`: what the loop stores of each carry
const build = (T: number | string, k: number, o: { reverse?: boolean; second?: boolean; backward?: boolean; keep?: Keep[] } = {}) => {
  const span = NO_SPAN;
  const f32 = (shape: (number | string)[]) => ({ dtype: 'f32' as const, shape });
  const bb = new IrBuilder();
  const body = bb.at(span, () => {
    const h = bb.input('c0', 'input', f32([2, 3]), span),
      acc = bb.input('c1', 'input', f32([2, 3]), span),
      n = bb.input('c2', 'input', { dtype: 'i32', shape: [2, 1] }, span),
      xt = bb.input('x0', 'input', f32([2, 3]), span),
      W = bb.input('k0', 'input', f32([3, 3]), span);
    const h1 = bb.op('tanh', [bb.op('add', [bb.op('matmul', [xt, W]), h])]);
    return bb.finish('step', [
      { name: 'c0', id: h1 },
      { name: 'c1', id: bb.op('add', [acc, h]) },
      { name: 'c2', id: bb.op('add', [n, bb.num(1, 'i32')]) },
    ]);
  });
  const b = new IrBuilder();
  const x = b.input('x', 'input', f32([T, 2, 3]), span),
    W = b.input('W', 'param', f32([3, 3]), span),
    h0 = b.input('h0', 'param', f32([2, 3]), span);
  return b.at(
    span,
    () => {
      const zero = b.op('broadcast_to', [b.num(0)], { shape: [2, 3] });
      const n0 = b.op('broadcast_to', [b.num(0, 'i32')], { shape: [2, 1] });
      const scan = (init: number, checkpoint: number) => {
        const attrs = scanAttrs({
          body,
          carries: 3,
          xs: 1,
          keep: o.keep ?? ['all', 'all', 'all'],
          reverse: o.reverse ?? false,
          length: T,
          truncate: 0,
          checkpoint,
          segment: 0,
        });
        const loop = b.structural(SCAN, [init, zero, n0, x, W], attrs, SCAN_TYPE);
        return (index: number, window: 'after' | 'last', t: { dtype: 'f32' | 'i32'; shape: (number | string)[] }) =>
          b.structural(SCAN_OUT, [loop], { index, window }, windowType(t, window, T));
      };
      const out = scan(h0, k);
      const hs = out(0, 'after', f32([2, 3])),
        accLast = out(1, 'last', f32([2, 3])),
        ns = out(2, 'after', { dtype: 'i32', shape: [2, 1] }),
        accs = out(1, 'after', f32([2, 3]));
      const all = (v: number) => ({ axes: [...b.type(v).shape.keys()], keepdims: false });
      const terms = [b.op('sum', [b.op('mul', [hs, b.op('cast', [ns], { dtype: 'f32' })])], all(hs)), b.op('sum', [accLast], all(accLast))];
      if (o.second) {
        const hs2 = scan(zero, 0)(0, 'after', f32([2, 3]));
        terms.push(b.op('sum', [b.op('mul', [hs2, hs2])], all(hs2)));
      }
      return { b, loss: terms.reduce((p, q) => b.op('add', [p, q])), hs, accLast, ns, accs, from: b.nodes.length };
    },
    o.backward ?? false,
  );
};
const feed = (T: number) => {
  const r = new Rng(3);
  const t = (shape: number[]) =>
    nd(
      shape,
      Float64Array.from({ length: shape.reduce((a, c) => a * c, 1) }, () => r.normal()),
    );
  return { x: t([T, 2, 3]), W: t([3, 3]), h0: t([2, 3]) };
};

describe('checkpoint = k: the loop over segments (checkpoint.ts)', () => {
  const values = (T: number, k: number, reverse: boolean) => {
    const { b, loss, hs, accLast, ns } = build(T, k, { reverse, second: true });
    expandCheckpoints(b, 0, [loss]);
    const f = verify(
      b.finish('f', [
        { name: 'loss', id: loss },
        { name: 'hs', id: hs },
        { name: 'acc', id: accLast },
        { name: 'ns', id: ns },
      ]),
    );
    return Object.fromEntries(Object.entries(interpret(f, feed(T), new Map()).outputs).map(([name, v]) => [name, [...v.data]]));
  };

  test('the same values (T = 5: a padded last segment, and T = 4), forward and reversed, beside another loop', () => {
    for (const [T, k] of [
      [5, 2],
      [4, 2],
      [5, 3],
    ] as const)
      for (const reverse of [false, true]) {
        const want = values(T, 0, reverse),
          got = values(T, k, reverse);
        for (const [name, v] of Object.entries(want))
          v.forEach((w, i) => {
            expect(got[name]![i]).toBeCloseTo(w, 12);
          });
      }
  });

  test('an outer loop of ⌈T/k⌉ segments carrying the stacked states read, with a mask only when k does not divide T', () => {
    for (const [T, k, S, masked] of [
      [5, 2, 3, true],
      [4, 2, 2, false],
      ['T', 2, '⌈T/2⌉', true],
    ] as const) {
      const { b, loss, hs, accLast, ns } = build(T, k);
      const before = new Set(b.nodes.map((n) => n.id));
      const moved = expandCheckpoints(b, 0, [loss]);
      expect([...moved.keys()].sort()).toEqual([hs, accLast, ns].sort());
      const [outer, old] = loops(b.nodes).map((n) => ({ n, s: scanInfo(n) }));
      expect(old!.s.checkpoint).toBe(k);
      // the old loop's results are read no more (only acc stacked, which nothing needs, is left on it)
      expect(b.nodes.some((n) => n.inputs.some((i) => moved.has(i)))).toBe(false);
      const o = outer!.s;
      expect([o.segment, String(o.length), o.carries, o.xs, o.keep]).toEqual([k, String(S), 5, masked ? 2 : 1, ['last', 'last', 'last', 'all', 'all']]);
      const [inner] = loops(o.body.nodes).map(scanInfo);
      expect([o.body.name, inner!.length, inner!.carries, inner!.xs, inner!.keep, inner!.segment]).toEqual([
        'step_segment',
        k,
        3,
        masked ? 2 : 1,
        ['all', 'last', 'all'],
        0,
      ]);
      // every node made is typed f32, i32 or bool, and none is marked backward (the loop was not)
      const made = [...b.nodes.filter((n) => !before.has(n.id)), ...o.body.nodes, ...inner!.body.nodes];
      expect(made.filter((n) => !['f32', 'i32', 'bool'].includes(n.type.dtype)).map((n) => n.op)).toEqual([]);
      expect(b.nodes.filter((n) => n.backward).length).toBe(0);
      // (the verifier takes a pad's amounts as numbers: symbolic T is checked once bound, as the compiler does)
      if (typeof T === 'number') verify(b.finish('f', [{ name: 'loss', id: loss }]));
    }
    // a loop made by a backward pass is rewritten into nodes marked backward
    const { b, loss } = build(5, 2, { backward: true });
    const old = new Set(b.nodes.map((n) => n.id));
    expandCheckpoints(b, 0, [loss]);
    const made = b.nodes.filter((n) => !old.has(n.id));
    expect([made.length > 5, made.every((n) => n.backward)]).toEqual([true, true]);
  });

  test('k ≥ T stores every step as it is; only the loops after `from`, and the results the targets or the reads depend on, are rebuilt', () => {
    for (const k of [4, 6]) {
      const { b, loss } = build(4, k);
      expect(expandCheckpoints(b, 0, [loss]).size).toBe(0);
      expect(loops(b.nodes).length).toBe(1);
    }
    const { b, accs } = build(5, 2);
    expect([...expandCheckpoints(b, 0, [], [accs]).keys()]).toEqual([accs]);
    const [outer] = loops(b.nodes).map(scanInfo);
    expect([outer!.carries, outer!.keep]).toEqual([4, ['last', 'last', 'last', 'all']]);
    for (const late of [false, true]) {
      const r = build(5, 2);
      // nothing needed, or the loop before the region `from` starts
      expect(expandCheckpoints(r.b, late ? r.from : 0, late ? [r.loss] : []).size).toBe(0);
      expect(loops(r.b.nodes).length).toBe(1);
    }
  });
});

describe('backpropagation through a loop: what it stores (scan.ts)', () => {
  // h ← tanh(xᵗ·W + h·U): the gradient's values are checked by tests/mutantsGrad.test.ts and tests/scan.test.ts;
  // here, that it stores the step's matmul results instead of recomputing them, and that the weights'
  // gradients are one product each after the loop instead of sums carried through it
  const rnn = (step: string, xs: string, extra = '') => `model R {
  input x: f32[T, B, 2]
  param W: f32[2, 3] = normal(std = 0.6)
  param U: f32[3, 3] = normal(std = 0.6)
  param h0: f32[3] = normal(std = 0.5)
  fn step(h, xt) = ${step}
  let hs = scan(step, broadcast_to(h0, [B, 3]), ${xs}${extra})
  loss sum(hs)
}`;
  const backward = (src: string, withX: boolean, only?: string) => {
    const m = compileOk(src).model(undefined, { seed: 1 });
    const b = new IrBuilder(m.ir.fn.nodes);
    const x = m.ir.fn.nodes.find((n) => n.op === INPUT && inputName(n) === 'x')!.id;
    const from = b.nodes.length;
    const g = gradientsOf(b, m.ir.losses[0]!.id, [...m.ir.params.filter((p) => !only || p.name === only).map((p) => p.id), ...(withX ? [x] : [])]);
    const ln = loops(b.nodes);
    const ls = ln.map((n) => scanInfo(n));
    const bwd = ls[ls.length - 1]!;
    // the matmuls of the backward body something reads (a recomputed forward product would be one more)
    const used = new Set([...bwd.body.nodes.flatMap((n) => n.inputs), ...bwd.body.outputs.map((o) => o.id)]);
    const live = bwd.body.nodes.filter((n) => n.op === 'matmul' && used.has(n.id)).length;
    const captures = ln[ln.length - 1]!.inputs.length - bwd.carries - bwd.xs;
    // what the forward loop starts from is not marked backward (its residuals' zeros included)
    const fwdInits = ln[0]!.inputs.map((i) => b.node(i).backward ?? false);
    return {
      fwd: ls[0]!,
      bwd,
      ops: g.map((id) => b.node(id!).op),
      products: b.nodes.slice(from).filter((n) => n.op === 'matmul').length,
      live,
      captures,
      fwdInits,
    };
  };

  test('the forward loop keeps each matmul result per step; the backward loop carries ∂h, ∂x and ∂z, and W, U get one product each', () => {
    const { fwd, bwd, ops, products, live, captures, fwdInits } = backward(rnn('tanh(xt @ W + h @ U)', 'x'), true);
    expect([fwd.carries, fwd.keep, fwd.body.outputs.length]).toEqual([3, ['all', 'all', 'all'], 3]);
    expect([bwd.reverse, bwd.carries, bwd.keep, bwd.xs, bwd.body.name]).toEqual([true, 3, ['last', 'all', 'all'], 5, 'scan_step_vjp']);
    // the backward body reads the stored products (two live matmuls: dz·Uᵀ, dz·Wᵀ) and captures only W and U
    expect([live, captures, fwdInits.some((x) => x)]).toEqual([2, 2, false]);
    // ∂W and ∂U: a matmul after the backward loop (Σₜ xₜᵀ·dzₜ, Σₜ hₜᵀ·dzₜ), the operands views of x and of h before each step
    expect([ops.slice(0, 2), products]).toEqual([['matmul', 'matmul'], 2]);
  });

  test('∂z that is a sequence’s cotangent (z = xpₜ + h·U) is not stored twice; in a checkpointed loop the weights’ gradients are carried', () => {
    const direct = backward(rnn('tanh(xt + h @ U)', 'x @ W'), false);
    expect([direct.fwd.carries, direct.bwd.carries, direct.bwd.keep, direct.ops[1]]).toEqual([2, 2, ['last', 'all'], 'matmul']);
    // only ∂h0 wanted: the backward loop carries ∂h alone, nothing for the captures W and U
    const h0 = backward(rnn('tanh(xt @ W + h @ U)', 'x'), false, 'h0');
    expect([h0.bwd.carries, h0.bwd.keep]).toEqual([1, ['last']]);
    // per segment: the outer backward loop carries ∂h, ∂(stacked h) and one sum per weight
    const seg = backward(rnn('tanh(xt @ W + h @ U)', 'x', ', checkpoint = 2'), false);
    // the segments' stacked h is not read by the step: it comes as a capture of zeros, not as stored values
    expect([seg.bwd.xs, seg.captures]).toEqual([4, 3]);
    expect([seg.bwd.segment, seg.bwd.carries, seg.bwd.keep, seg.ops.slice(0, 2), seg.products]).toEqual([
      0,
      4,
      ['last', 'last', 'last', 'last'],
      ['scan_out', 'scan_out'],
      0,
    ]);
  });

  test('a loop that kept only some carries’ last values (a backward loop differentiated again) is made to keep every step', () => {
    const grads = (keep: Keep[]) => {
      const { b, loss } = build(4, 0, { keep });
      const [W, h0] = b.nodes.filter((n) => n.op === INPUT && n.attrs['role'] === 'param').map((n) => n.id);
      const from = b.nodes.length;
      const g = gradientsOf(b, loss, [W!, h0!]);
      const f = verify(
        b.finish('g', [
          { name: 'W', id: g[0]! },
          { name: 'h0', id: g[1]! },
        ]),
      );
      expect(loops(f.nodes.slice(0, from)).map((n) => scanInfo(n).keep)).toEqual([['all', 'all', 'all', 'all']]); // and the matmul's residual
      return Object.values(interpret(f, feed(4), new Map()).outputs).map((v) => [...v.data]);
    };
    expect(grads(['all', 'last', 'all'])).toEqual(grads(['all', 'all', 'all']));
  });
});
