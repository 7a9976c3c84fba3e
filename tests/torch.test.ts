// Differential tests against PyTorch (float64) for every elementwise primitive that has a PyTorch
// counterpart: the documented special values (or the documented PyTorch value where dlm differs on
// purpose), and values and gradients on random and special inputs. All calls go to one python3 process.
// Skipped, with the reason printed, when torch cannot be imported (Debian python3-torch; .ci/run installs it).
import { describe, expect, test } from 'vitest';
import { interpret } from '../compiler/ir/interp.js';
import { nd } from '../compiler/ops/ndarray.js';
import type { OpDef } from '../compiler/ops/op.js';
import { OPS } from '../compiler/ops/registry.js';
import { Rng } from '../runtime/random.js';
import { opProgram } from './helpers/numeric.js';
import { runTorch, torchUnavailable, type TorchCall } from './helpers/torch.js';

/** dlm primitive → the PyTorch expression over inputs a, b. */
const TORCH: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    [
      'exp',
      'expm1',
      'log',
      'log1p',
      'sqrt',
      'abs',
      'sign',
      'tanh',
      'sigmoid',
      'erf',
      'sin',
      'cos',
      'tan',
      'asin',
      'acos',
      'atan',
      'sinh',
      'cosh',
      'asinh',
      'acosh',
      'atanh',
      'floor',
      'ceil',
      'round',
      'trunc',
      'neg',
      'isnan',
      'isinf',
      'isfinite',
      'log2',
      'log10',
    ].map((n) => [n, `torch.${n}(a)`]),
  ),
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  pow: 'a ** b',
  maximum: 'torch.maximum(a, b)',
  minimum: 'torch.minimum(a, b)',
  lt: 'a < b',
  le: 'a <= b',
  gt: 'a > b',
  ge: 'a >= b',
  eq: 'a == b',
  ne: 'a != b',
};
const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 1, -1, 0.5, -0.5, 2, 1e-300, -1e-300, 1e300, 40, -40, 800, -800];

const skip = torchUnavailable();
if (skip) console.warn(`tests/torch.test.ts skipped: ${skip}`);

const ops = Object.values(OPS).filter((op) => Object.hasOwn(TORCH, op.name));
const arity = (op: OpDef): number => op.arity as number;

/** dlm's values (and with `grad`, d sum(out)/d inputs) on equal-length input vectors, by the reference interpreter. */
const dlm = (op: OpDef, inputs: readonly (readonly number[])[], grad: boolean): { out: number[]; grads: number[][] } => {
  const n = inputs[0]!.length;
  const sample = { shapes: inputs.map(() => [n]), attrs: {} };
  const { f } = opProgram(
    op,
    sample,
    inputs.map(() => 'f32'),
    grad,
  );
  const named = Object.fromEntries(inputs.map((x, i) => [`in${i}`, nd([n], Float64Array.from(x))]));
  const r = interpret(f, grad ? { ...named, ct: nd([n], new Float64Array(n).fill(1)) } : named, new Map()).outputs;
  return { out: [...r['out']!.data], grads: inputs.map((_, i) => (r[`d${i}`] ? [...r[`d${i}`]!.data] : new Array<number>(n).fill(0))) };
};

/** Equal as float64 results of different libm implementations: NaN = NaN, same infinity, else within 4e-15 relative (a few ulp). */
const agree = (a: number, b: number): boolean =>
  Object.is(a, b) ||
  (Number.isNaN(a) && Number.isNaN(b)) ||
  (Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= 4e-15 * Math.max(Math.abs(a), Math.abs(b)) + 1e-300);

describe.skipIf(skip !== undefined)('against PyTorch', () => {
  // One batch for the whole file: special values, then random and special inputs with gradients.
  const rng = new Rng(7);
  const random = (op: OpDef): number[] =>
    Array.from({ length: 40 }, () => {
      const u = rng.uniform() * 2 - 1;
      return op.domain === 'positive' ? 0.05 + 3 * Math.abs(u) : op.domain === 'unit' ? 0.95 * u : op.domain === 'above-one' ? 1.05 + 3 * Math.abs(u) : 4 * u;
    });
  const cases = ops.map((op) => {
    const k = arity(op);
    const special = op.special ?? [];
    // every pair (or single) of special values, and random points
    const grid = k === 1 ? [SPECIAL] : [SPECIAL.flatMap((x) => SPECIAL.map(() => x)), SPECIAL.flatMap(() => SPECIAL)];
    const rand = [...Array(k)].map(() => random(op));
    return { op, special, grid, rand };
  });
  const calls: TorchCall[] = cases.flatMap((c) => [
    ...(c.special.length ? [{ expr: TORCH[c.op.name]!, inputs: [...Array(arity(c.op))].map((_, i) => c.special.map((s) => s.at[i]!)) }] : []),
    { expr: TORCH[c.op.name]!, inputs: c.grid },
    { expr: TORCH[c.op.name]!, inputs: c.rand, grad: c.op.differentiable },
  ]);
  const results = skip ? [] : runTorch(calls);
  let at = 0;
  const byOp = new Map(
    cases.map((c) => [c.op.name, { ...c, special: c.special.length ? results[at++]! : undefined, grid: results[at++]!, rand: results[at++]! }]),
  );

  test.each(ops.map((op) => [op.name, op] as const))('%s: documented special values are PyTorch’s, or differ as documented', (_n, op) => {
    const r = byOp.get(op.name)!;
    (op.special ?? []).forEach((s, i) => {
      const want = s.torch?.out ?? s.out;
      expect(
        Object.is(r.special!.out[i], want) || (Number.isNaN(want) && Number.isNaN(r.special!.out[i]!)),
        `${op.name}(${s.at.join(', ')}): torch ${r.special!.out[i]}, documented ${s.torch ? `torch ${s.torch.out}` : s.out}`,
      ).toBe(true);
    });
  });

  test.each(ops.map((op) => [op.name, op] as const))('%s: values on special inputs and values and gradients on random inputs', (_n, op) => {
    const r = byOp.get(op.name)!;
    const c = cases.find((q) => q.op === op)!;
    const documented = new Map((op.special ?? []).filter((s) => s.torch).map((s) => [s.at.join(','), s]));
    const mine = dlm(op, c.grid, false).out;
    mine.forEach((v, i) => {
      const at = c.grid.map((xs) => xs[i]!);
      if (documented.has(at.join(','))) return;
      expect(agree(v, r.grid.out[i]!), `${op.name}(${at.join(', ')}): dlm ${v}, torch ${r.grid.out[i]}`).toBe(true);
    });
    const g = dlm(op, c.rand, op.differentiable);
    g.out.forEach((v, i) => {
      expect(agree(v, r.rand.out[i]!), `${op.name}(${c.rand.map((xs) => xs[i]).join(', ')}): dlm ${v}, torch ${r.rand.out[i]}`).toBe(true);
    });
    if (op.differentiable) {
      g.grads.forEach((gi, k) => {
        gi.forEach((v, i) => {
          const t = r.rand.grads![k]![i]!;
          expect(
            Math.abs(v - t) <= 1e-13 * (1 + Math.abs(t)),
            `d${op.name}/d${'ab'[k]} at (${c.rand.map((xs) => xs[i]).join(', ')}): dlm ${v}, torch ${t}`,
          ).toBe(true);
        });
      });
    }
  });
});
