// The checker's lowering choices are options, not the environment: conv2d's lowering comes from
// `convLowering` (default im2col), and DLM_CONV is read only by the CLI.
import * as E from 'fp-ts/lib/Either.js';
import { afterEach, describe, expect, test } from 'vitest';
import { compile, type CompileOptions, type Program } from '../compiler/index.js';

const SRC = `model C {
  input x: f32[B, 2, 6, 6]
  param w: f32[3, 2, 3, 3] = normal(std = 1.0)
  output y = conv2d(x, w, padding = 1)
}`;

const ok = (opts: CompileOptions = {}): Program => {
  const r = compile(SRC, opts);
  if (E.isLeft(r)) throw new Error(r.left.map((d) => d.message).join('\n'));
  return r.right;
};
const ops = (p: Program): string[] => p.model().ir.fn.nodes.map((n) => n.op);

describe('convLowering', () => {
  afterEach(() => { delete process.env['DLM_CONV']; });

  test('default im2col + matmul; direct keeps the conv2d loop nest; both compute the same', () => {
    const im2col = ok(), direct = ok({ convLowering: 'direct' });
    expect(ops(im2col)).toContain('im2col');
    expect(ops(direct)).not.toContain('im2col');
    const x = { data: Float32Array.from({ length: 2 * 2 * 36 }, (_, i) => Math.sin(i)), shape: [2, 2, 6, 6] };
    const a = im2col.model().evaluate({ x }, 'f64')['y']!, b = direct.model().evaluate({ x }, 'f64')['y']!;
    expect(b.shape).toEqual(a.shape);
    for (let i = 0; i < a.data.length; i++) expect(b.data[i]).toBeCloseTo(a.data[i]!, 10);
  });

  test('the library does not read DLM_CONV', () => {
    process.env['DLM_CONV'] = 'direct';
    expect(ops(ok())).toContain('im2col');
  });
});

describe('shape-rule error codes come from the rule that finds the error', () => {
  const codes = (expr: string): string[] => {
    const r = compile(`model M {\n  input x: f32[B, 3]\n  output y = ${expr}\n}`);
    return E.isLeft(r) ? r.left.map((d) => d.code) : [];
  };
  test('a float-only op given integers is E0204 (needFloat sets it); a bad broadcast E0201; a matmul mismatch E0202', () => {
    expect(codes('sqrt(cast(x, i32))')).toEqual(['E0204']);
    expect(codes('x + ones([4])')).toEqual(['E0201']);
    expect(codes('x @ ones([4, 2])')).toEqual(['E0202']);
  });
});
