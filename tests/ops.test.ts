// Registry-driven properties for EVERY primitive: the shape rule agrees with eval, compiled code (f64
// and f32) agrees with the interpreter, and the derivative rule agrees with finite differences.
// A new op in compiler/ops/ is covered here without any test edits.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { interpret } from '../compiler/ir/interp.js';
import { specialize } from '../compiler/jit/jit.js';
import { OPS } from '../compiler/ops/registry.js';
import { isShapeError } from '../compiler/types/shapes.js';
import { Rng } from '../runtime/random.js';
import { opCaseArb } from './helpers/genkit.js';
import { arrays, checkVjp, closeF32, opProgram } from './helpers/numeric.js';

const RUNS = 100;
const ops = Object.values(OPS);

describe.each(ops.map((op) => [op.name, op] as const))('%s', (_name, op) => {
  test('registry entry is complete', () => {
    expect(OPS[op.name]).toBe(op);
    expect(op.doc.length).toBeGreaterThan(3);
  });

  test('shape rule agrees with eval', () => {
    fc.assert(
      fc.property(opCaseArb(op), ({ sample, dtypes, inputs }) => {
        if (op.arity !== 'variadic') expect(sample.shapes.length).toBe(op.arity);
        const t = op.shape(
          sample.shapes.map((s, i) => ({ dtype: dtypes[i]!, shape: s })),
          sample.attrs,
        );
        if (isShapeError(t)) throw new Error(`generated sample rejected: ${t.reason}`);
        const r = op.eval(
          sample.shapes.map((s, i) => ({ shape: s, data: inputs[i]! })),
          sample.attrs,
          { dtype: t.dtype, shape: t.shape as number[] },
        );
        expect(r.shape).toEqual(t.shape);
        expect(r.data.length).toBe(r.shape.reduce((a, b) => a * b, 1));
      }),
      { numRuns: RUNS, seed: 42 },
    );
  });

  test('compiled code agrees with the interpreter (f64 exactly, f32 within tolerance)', () => {
    fc.assert(
      fc.property(opCaseArb(op), ({ sample, dtypes, inputs }) => {
        const { f } = opProgram(op, sample, dtypes);
        const want = interpret(f, arrays(sample, inputs), new Map()).outputs['out']!.data;
        const f64 = specialize(f, new Map(), 'f64');
        f64.module.run(inputs);
        f64.outputs['out']!.forEach((g, i) => {
          expect(Object.is(g, want[i]) || Math.abs(g - want[i]!) <= 1e-12 * (1 + Math.abs(want[i]!))).toBe(true);
        });
        // f32: inputs rounded to f32, reference recomputed in f64 from the rounded inputs
        const r32 = inputs.map((x) => Float32Array.from(x));
        const want32 = interpret(
          f,
          arrays(
            sample,
            r32.map((x) => Float64Array.from(x)),
          ),
          new Map(),
        ).outputs['out']!.data;
        const f32 = specialize(f, new Map(), 'f32');
        f32.module.run(r32);
        f32.outputs['out']!.forEach((g, i) => {
          expect(closeF32(g, want32[i]!), `${g} vs ${want32[i]}`).toBe(true);
        });
      }),
      { numRuns: RUNS, seed: 43 },
    );
  });

  if (op.differentiable) {
    test('derivative rule agrees with central finite differences', () => {
      fc.assert(
        fc.property(opCaseArb(op), fc.nat(), ({ sample, dtypes, inputs }, seed) => {
          const t = op.shape(
            sample.shapes.map((s, i) => ({ dtype: dtypes[i]!, shape: s })),
            sample.attrs,
          );
          if (isShapeError(t) || t.dtype !== 'f32') return; // integer results carry no gradient
          const rng = new Rng(seed);
          const r = checkVjp(op, sample, dtypes, inputs, () => rng.normal());
          expect(r.ok, `numeric ${r.numeric} vs symbolic ${r.symbolic}`).toBe(true);
        }),
        { numRuns: RUNS, seed: 44 },
      );
    });
  } else {
    test('has no derivative: every cotangent is a symbolic zero', () => {
      fc.assert(
        fc.property(opCaseArb(op), ({ sample, dtypes }) => {
          const { f } = opProgram(op, sample, dtypes, true);
          expect(f.outputs.map((o) => o.name)).toEqual(['out']);
        }),
        { numRuns: 20, seed: 45 },
      );
    });
  }
});
