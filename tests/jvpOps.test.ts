// Forward mode per primitive: every registry op has a forward-mode rule (declared in its file, or its
// kind's default: see compiler/autodiff/jvp.ts) or is marked unsupported with a reason, reported as
// E0312 at the node; and each rule, on the op's own generated samples, gives J·v equal to central
// differences and ⟨u, J·v⟩ equal to ⟨Jᵀu, v⟩ from the op's vjp, in float64.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { JvpError, jvpProgram, jvpRuleOf } from '../compiler/autodiff/jvp.js';
import { OPS } from '../compiler/ops/registry.js';
import type { OpDef } from '../compiler/ops/op.js';
import { IrBuilder } from '../compiler/ir/builder.js';
import { isShapeError } from '../compiler/types/shapes.js';
import { Rng } from '../runtime/random.js';
import { opCaseArb } from './helpers/genkit.js';
import { checkJvp } from './helpers/jvpCheck.js';
import { arrays, opProgram } from './helpers/numeric.js';

const ops = Object.values(OPS);

describe('forward-mode rules of the registry', () => {
  test('every op has a rule or is marked unsupported with a reason', () => {
    const missing = ops.filter((op) => jvpRuleOf(op) === 'unsupported' && !(typeof op.jvp === 'object' && op.jvp.unsupported.length > 10)).map((op) => op.name);
    expect(missing).toEqual([]);
  });

  const supported = ops.filter((op) => op.differentiable && jvpRuleOf(op) !== 'unsupported' && jvpRuleOf(op) !== 'zero');
  const cases = supported.map((op) => [op.name, jvpRuleOf(op), op] as const);
  test.each(cases)('%s (%s): J·v agrees with finite differences and with the vjp', (_name, _rule, op) => {
    fc.assert(
      fc.property(opCaseArb(op), fc.nat(), ({ sample, dtypes, inputs }, seed) => {
        const t = op.shape(
          sample.shapes.map((s, i) => ({ dtype: dtypes[i]!, shape: s })),
          sample.attrs,
        );
        if (isShapeError(t) || t.dtype !== 'f32') return;
        const { f } = opProgram(op, sample, dtypes);
        const rng = new Rng(seed);
        const wrt = sample.shapes.flatMap((_, i) => (dtypes[i] === 'f32' ? [`in${i}`] : []));
        checkJvp(f, arrays(sample, inputs), new Map(), wrt, () => rng.normal(), `${op.name} ${JSON.stringify(sample)}`);
      }),
      { numRuns: 25, seed: 47 },
    );
  });

  test('an op marked unsupported is E0312 at its node, naming the op and the reason', () => {
    // a registry entry made for this test: every real op has a rule today
    const fake: OpDef = { ...OPS['tanh']!, name: 'fake_op', jvp: { unsupported: 'its tangent needs an op that does not exist' } };
    const ops = OPS as Record<string, OpDef>;
    ops['fake_op'] = fake;
    try {
      const b = new IrBuilder();
      const span = { file: 'm.dlm', start: 3, end: 9 };
      const x = b.input('x', 'input', { dtype: 'f32', shape: [2] }, span);
      const y = b.at(span, () => b.opNamed('fake_op', [x]));
      const f = b.finish('f', [{ name: 'y', id: y }]);
      expect(() => jvpProgram(f, ['x'])).toThrow(JvpError);
      try {
        jvpProgram(f, ['x']);
      } catch (e) {
        const d = (e as JvpError).diagnostic;
        expect([d.code, d.span]).toEqual(['E0312', span]);
        expect(d.message).toContain('fake_op: its tangent needs an op that does not exist');
      }
      expect(jvpProgram(f, []).outputs.map((o) => o.name)).toEqual(['y', 'tangent:y']);
    } finally {
      delete ops['fake_op'];
    }
  });

  test('ops without a derivative have no tangent', () => {
    for (const op of ops.filter((o) => !o.differentiable && typeof o.jvp !== 'function')) expect(jvpRuleOf(op)).toBe('zero');
  });
});
