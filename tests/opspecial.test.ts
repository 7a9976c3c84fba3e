// Special values for EVERY primitive, with no per-op code: inputs drawn from 0, −0, ±∞, NaN, ties,
// subnormal, tiny and huge magnitudes (and the f32 overflow edge), and shapes with size-0 and size-1
// dims. Compiled float64 code (values and the vjp program) must equal the interpreter bit for bit
// (NaN = NaN, −0 ≠ 0); compiled float32 code must match the interpreter run on the rounded inputs, value
// for value after rounding to float32. Ops that declare special values (`special`) are checked on them.
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { interpret } from '../compiler/ir/interp.js';
import { specialize } from '../compiler/jit/jit.js';
import { nd } from '../compiler/ops/ndarray.js';
import type { GenKit, OpDef, OpSample } from '../compiler/ops/op.js';
import { OPS } from '../compiler/ops/registry.js';
import { isShapeError } from '../compiler/types/shapes.js';
import type { DType } from '../compiler/types/types.js';
import { genKit } from './helpers/genkit.js';
import { opProgram } from './helpers/numeric.js';

const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 1, -1, 2, 0.5, -0.5, 3, 5e-324, 1e-310, 1e-30, -1e-30, 1e30, 1e300, -1e300, 3.5e38, 89, -89, 710, -746];
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Bit-level equality of doubles: NaN equals NaN, −0 differs from 0. */
const same = (a: number, b: number): boolean => Object.is(a, b);
/** float32 agreement: the same after rounding the float64 reference to float32, or within float32 rounding. */
const sameF32 = (got: number, want64: number): boolean => {
  const want = Math.fround(want64);
  if (Number.isNaN(want) || Number.isNaN(got)) return Number.isNaN(want) && Number.isNaN(got);
  if (!Number.isFinite(want) || !Number.isFinite(got)) return got === want;
  return Math.abs(got - want) <= 1e-4 * (1 + Math.abs(want));
};

/** A GenKit whose shapes have dims in {0, 1, 2}: size-0 and size-1 axes. */
const tinyDims = (g: fc.GeneratorValue): GenKit => ({
  ...genKit(g),
  shape: (minRank, maxRank) => g(fc.array, fc.integer({ min: 0, max: 2 }), { minLength: minRank, maxLength: maxRank }),
});

interface Case {
  readonly sample: OpSample;
  readonly dtypes: readonly DType[];
  readonly inputs: readonly Float64Array[];
  readonly ct: Float64Array | undefined;
}

/** Inputs from the special pool for float operands; integer and bool operands (indices, conditions) keep the op's own values. */
const caseArb = (op: OpDef, kit: (g: fc.GeneratorValue) => GenKit): fc.Arbitrary<Case | undefined> =>
  fc
    .gen()
    .map((g) => op.gen(kit(g)))
    .chain((sample) => {
      const dtypes = sample.shapes.map((_, i) => sample.dtypes?.[i] ?? 'f32');
      const t = op.shape(
        sample.shapes.map((s, i) => ({ dtype: dtypes[i]!, shape: s })),
        sample.attrs,
      );
      if (isShapeError(t)) return fc.constant(undefined);
      const outSize = size(t.shape as number[]);
      const special = (n: number) => fc.array(fc.constantFrom(...SPECIAL), { minLength: n, maxLength: n });
      const own = (i: number, n: number) =>
        dtypes[i] === 'bool'
          ? fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n })
          : fc.array(fc.integer({ min: 0, max: Math.max(0, Math.min(...sample.shapes.flatMap((s, j) => (dtypes[j] === 'f32' ? [s[0] ?? 1] : [])), 3) - 1) }), {
              minLength: n,
              maxLength: n,
            });
      return fc
        .tuple(fc.tuple(...sample.shapes.map((s, i) => (dtypes[i] === 'f32' ? special(size(s)) : own(i, size(s))))), special(outSize))
        .map(([vals, ct]) => ({ sample, dtypes, inputs: vals.map((v) => Float64Array.from(v)), ct: t.dtype === 'f32' ? Float64Array.from(ct) : undefined }));
    });

const ran = new Map<string, number>();
const runCase = (op: OpDef, c: Case | undefined): void => {
  if (!c) return;
  ran.set(op.name, (ran.get(op.name) ?? 0) + 1);
  const withCt = op.differentiable && c.ct !== undefined;
  const { f } = opProgram(op, c.sample, c.dtypes, withCt);
  const named = (xs: readonly Float64Array[]) => ({
    ...Object.fromEntries(c.sample.shapes.map((s, i) => [`in${i}`, nd(s, xs[i]!)])),
    ...(withCt ? { ct: nd(f.nodes.find((n) => n.attrs['name'] === 'ct')!.type.shape as number[], c.ct!) } : {}),
  });
  const feed = (xs: readonly Float64Array[]) => [...xs, ...(withCt ? [c.ct!] : [])];
  const want = interpret(f, named(c.inputs), new Map()).outputs;
  const f64 = specialize(f, new Map(), 'f64');
  f64.module.run(feed(c.inputs));
  for (const [name, w] of Object.entries(want)) {
    const got = f64.outputs[name]!;
    expect(got.length, `${name}: size`).toBe(w.data.length);
    w.data.forEach((x, i) => {
      expect(
        same(got[i]!, x),
        `${op.name} f64 ${name}[${i}]: compiled ${got[i]} vs interpreter ${x}; inputs ${c.inputs.map((a) => `[${[...a].join(', ')}]`).join(' ')}`,
      ).toBe(true);
    });
  }
  const r32 = c.inputs.map((x) => Float64Array.from(Float32Array.from(x)));
  const want32 = interpret(opProgram(op, c.sample, c.dtypes).f, named(r32), new Map()).outputs['out']!.data;
  const f32 = specialize(opProgram(op, c.sample, c.dtypes).f, new Map(), 'f32');
  f32.module.run(r32.map((x) => Float32Array.from(x)));
  want32.forEach((x, i) => {
    expect(sameF32(f32.outputs['out']![i]!, x), `${op.name} f32 out[${i}]: compiled ${f32.outputs['out']![i]} vs interpreter ${x}`).toBe(true);
  });
};

/** The documented value at special inputs, in the interpreter and in compiled float64 and float32 code. */
const declared = (op: OpDef): void => {
  for (const { at, out } of op.special ?? []) {
    const sample: OpSample = { shapes: at.map(() => []), attrs: {} };
    const dtypes = at.map(() => 'f32' as const);
    const { f } = opProgram(op, sample, dtypes);
    const got = interpret(f, Object.fromEntries(at.map((x, i) => [`in${i}`, nd([], Float64Array.of(x))])), new Map()).outputs['out']!.data[0]!;
    expect(same(got, out), `${op.name}(${at.join(', ')}) = ${got} in the interpreter, documented ${out}`).toBe(true);
    const f64 = specialize(f, new Map(), 'f64');
    f64.module.run(at.map((x) => Float64Array.of(x)));
    expect(same(f64.outputs['out']![0]!, out), `${op.name}(${at.join(', ')}) = ${f64.outputs['out']![0]} compiled in f64, documented ${out}`).toBe(true);
    if (at.some((x) => !same(Math.fround(x), x))) continue;
    const f32 = specialize(f, new Map(), 'f32');
    f32.module.run(at.map((x) => Float32Array.of(x)));
    expect(same(f32.outputs['out']![0]!, Math.fround(out)), `${op.name}(${at.join(', ')}) = ${f32.outputs['out']![0]} compiled in f32, documented ${out}`).toBe(
      true,
    );
  }
};

/** The documented results of ops over axes (OpDef.edges) on 1-D operands, in the interpreter and compiled f64 and f32 code. */
const declaredEdges = (op: OpDef): void => {
  for (const e of op.edges ?? []) {
    const sample: OpSample = { shapes: e.ins.map((v) => [v.length]), attrs: e.attrs };
    const dtypes = e.ins.map((_, i) => e.dtypes?.[i] ?? 'f32');
    const { f } = opProgram(op, sample, dtypes);
    const what = `${op.name}(${e.ins.map((v) => `[${v.join(', ')}]`).join(', ')}; ${JSON.stringify(e.attrs)})`;
    const got = interpret(f, Object.fromEntries(e.ins.map((v, i) => [`in${i}`, nd([v.length], Float64Array.from(v))])), new Map()).outputs['out']!.data;
    expect([...got].every((g, i) => same(g, e.out[i]!)) && got.length === e.out.length, `${what} = [${[...got].join(', ')}] in the interpreter`).toBe(true);
    for (const p of ['f64', 'f32'] as const) {
      if (p === 'f32' && e.ins.some((v) => v.some((x) => !same(Math.fround(x), x)))) continue;
      const s = specialize(f, new Map(), p);
      s.module.run(e.ins.map((v) => (p === 'f64' ? Float64Array.from(v) : Float32Array.from(v))));
      const o = [...s.outputs['out']!];
      expect(
        o.length === e.out.length && o.every((g, i) => same(g, p === 'f32' ? Math.fround(e.out[i]!) : e.out[i]!)),
        `${what} = [${o.join(', ')}] compiled in ${p}`,
      ).toBe(true);
    }
  }
};

// Every op is run on special inputs below; this keeps the property honest about how many cases it ran.
afterAll(() => {
  for (const op of Object.values(OPS)) expect(ran.get(op.name) ?? 0, `${op.name}: cases run`).toBeGreaterThan(5);
});

test('every elementwise primitive documents its special values', () => {
  const missing = Object.values(OPS).filter(
    (op) =>
      op.kind === 'elementwise' &&
      op.arity !== 0 &&
      !op.internal &&
      op.emit.kind === 'scalar' &&
      !op.special?.length &&
      !['stop_gradient', 'cast', 'where', 'lt', 'le', 'gt', 'ge', 'eq', 'ne'].includes(op.name),
  );
  expect(missing.map((op) => op.name)).toEqual([]);
});

describe.each(Object.values(OPS).map((op) => [op.name, op] as const))('%s', (_name, op) => {
  test('special values: compiled f64 = interpreter bit for bit (values and vjp), f32 after rounding', () => {
    fc.assert(
      fc.property(caseArb(op, genKit), (c) => runCase(op, c)),
      { numRuns: 12, seed: 46 },
    );
  });
  if (op.special) test('the documented special values', () => declared(op));
  if (op.edges) test('the documented results at special values along an axis', () => declaredEdges(op));
  test('size-0 and size-1 dims: empty outputs and gradients stay empty, compiled = interpreter', () => {
    fc.assert(
      fc.property(caseArb(op, tinyDims), (c) => runCase(op, c)),
      { numRuns: 8, seed: 47 },
    );
  });
});
