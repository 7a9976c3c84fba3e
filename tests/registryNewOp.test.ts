// "Adding an elementwise primitive whose math function is new touches the op's file and the math table
// only" (issue 21), checked: tests/helpers/throwawayOp.ts adds `bent` through exactly those two entries,
// and here it is callable from .dlm source, compiled JavaScript equals the interpreter (float64), its
// gradient equals central finite differences, forward mode follows, the export rules and README's op
// table have it, and the native backend prints its C.
import './helpers/throwawayOp.js';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, test } from 'vitest';
import { gradcheck } from '../compiler/api/gradcheck.js';
import { PRELUDE } from '../compiler/codegen/emitJs.js';
import { compile } from '../compiler/index.js';
import { interpret } from '../compiler/ir/interp.js';
import { specialize } from '../compiler/jit/jit.js';
import { nativeUnavailable } from '../compiler/native/backend.js';
import { ONNX_RULES } from '../compiler/ops/export/onnx.js';
import { TORCH_RULES } from '../compiler/ops/export/torch.js';
import { BENT, BENT_MATH } from './helpers/throwawayOp.js';
import { opTable } from './helpers/opsDoc.js';
import { arrays, checkVjp, opProgram } from './helpers/numeric.js';

const SRC = `model M {
  input x: f32[B, 3]
  param w: f32[3] = normal(std = 1.0)
  output y = bent(x * w)
  loss sum(bent(x * w) * x)
}`;

const program = () => {
  const r = compile(SRC);
  if (E.isLeft(r)) throw new Error(r.left.map((d) => d.message).join('\n'));
  return r.right;
};
const X = { data: Float32Array.from([-3, -0.5, 0, 0.25, 1, 40]), shape: [2, 3] };

describe('a new elementwise primitive from its op entry and its math-table entry alone', () => {
  test("callable from .dlm; the compiled module (f64) computes the math table's function", () => {
    const m = program().model();
    m.setParam('w', [1, -2, 0.5]);
    const y = m.evaluate({ x: X }, 'f64')['y']!;
    const w = [1, -2, 0.5];
    expect([...y.data]).toEqual([...X.data].map((v, i) => BENT_MATH.impl(Math.fround(v * w[i % 3]!))));
  });

  test('compiled JavaScript equals the interpreter exactly in float64, special values included', () => {
    const sample = { shapes: [[7]], attrs: {} };
    const input = Float64Array.from([-1e300, -2.5, -0, 0, 1e-9, Infinity, NaN]);
    const { f } = opProgram(BENT, sample, ['f32']);
    const want = interpret(f, arrays(sample, [input]), new Map()).outputs['out']!.data;
    const s = specialize(f, new Map(), 'f64');
    s.module.run([input]);
    expect([...s.outputs['out']!]).toEqual([...want]);
    expect(Object.is(want[2], 0)).toBe(true); // (√1 − 1)/2 + (−0) = +0
    expect(PRELUDE.some((l) => l.startsWith('const bent = ('))).toBe(true);
    // its documented special values (README's op table shows them) hold in both
    const at = Float64Array.from(BENT.special!.map((c) => c.at[0]!));
    const { f: g } = opProgram(BENT, { shapes: [[at.length]], attrs: {} }, ['f32']);
    const s2 = specialize(g, new Map(), 'f64');
    s2.module.run([at]);
    expect([...s2.outputs['out']!]).toEqual(BENT.special!.map((c) => c.out));
  });

  test('its derivative rule agrees with central finite differences, alone and inside a model', () => {
    let seed = 1;
    const rand = () => {
      seed = (seed * 16807) % 2147483647;
      return (seed / 2147483647) * 2 - 1;
    };
    const r = checkVjp(BENT, { shapes: [[5]], attrs: {} }, ['f32'], [Float64Array.from([-2, -0.3, 0.1, 0.7, 3])], rand);
    expect(r.ok, `numeric ${r.numeric} vs symbolic ${r.symbolic}`).toBe(true);
    expect(gradcheck(program().model(), { dims: { B: 2 } }).ok).toBe(true);
    // forward mode comes from the elementwise default (the vjp): ẏᵢ = b′(xᵢwᵢ)·xᵢ·ẇᵢ, b′(z) = z/(2√(z² + 1)) + 1
    const m = program().model();
    const w = [1, -2, 0.5],
      v = [1, 0.5, -1];
    m.setParam('w', w);
    const jv = m.jvp({ x: X }, { w: Float32Array.from(v) }, 'f64').tangents['y']!.data;
    [...X.data].forEach((x, i) => {
      const z = x * w[i % 3]!;
      expect(jv[i]).toBeCloseTo((z / (2 * Math.sqrt(z * z + 1)) + 1) * x * v[i % 3]!, 10);
    });
  });

  test("the export rules, README's op table and the C printer follow from the two entries", () => {
    expect(ONNX_RULES['bent']).toEqual({ unsupported: 'bent has no ONNX form: ONNX has no operator for bent' });
    expect(TORCH_RULES['bent']).toEqual({ unsupported: 'bent has no PyTorch form: torch has no function for bent' });
    const row = '| `bent` | the bent identity (√(x² + 1) − 1)/2 + x (a test op) | bent(0) = 0; bent(−0) = 0; bent(∞) = ∞; bent(NaN) = NaN | same |';
    expect(opTable()).toContain(row);
  });

  test.skipIf(nativeUnavailable() !== undefined)(
    "the native backend computes it from the table's C definition",
    () => {
      const p = program();
      const js = p.model(undefined, { backend: 'js' }),
        native = p.model(undefined, { backend: 'native' });
      for (const m of [js, native]) m.setParam('w', [1, -2, 0.5]);
      const a = js.evaluate({ x: X }, 'f64')['y']!.data,
        b = native.evaluate({ x: X }, 'f64')['y']!.data;
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(a[i]!)));
    },
    60_000,
  );
});
