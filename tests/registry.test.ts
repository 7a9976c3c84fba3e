// The checker asks the registry: a primitive's call from .dlm (its compile-time arguments) is declared
// by the op, composites of check/builtins.ts never share a callable op's name, and shape-rule errors
// carry their code from where they are made. Lowering choices are options, not the environment:
// conv2d's lowering comes from `convLowering` (default im2col), and DLM_CONV is read only by the CLI.
import * as E from 'fp-ts/lib/Either.js';
import { afterEach, describe, expect, test } from 'vitest';
import { BUILTINS } from '../compiler/check/builtins.js';
import { compile, type CompileOptions, type Program } from '../compiler/index.js';
import { OPS } from '../compiler/ops/registry.js';

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
  afterEach(() => {
    delete process.env['DLM_CONV'];
  });

  test('default im2col + matmul; direct keeps the conv2d loop nest; both compute the same', () => {
    const im2col = ok(),
      direct = ok({ convLowering: 'direct' });
    expect(ops(im2col)).toContain('im2col');
    expect(ops(direct)).not.toContain('im2col');
    const x = { data: Float32Array.from({ length: 2 * 2 * 36 }, (_, i) => Math.sin(i)), shape: [2, 2, 6, 6] };
    const a = im2col.model().evaluate({ x }, 'f64')['y']!,
      b = direct.model().evaluate({ x }, 'f64')['y']!;
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

describe('built-in signatures come from the registry', () => {
  const callable = Object.values(OPS).filter((op) => !op.internal);

  test('no composite built-in has the name of a callable primitive (nothing stands in front of the registry)', () => {
    expect(Object.keys(BUILTINS).filter((name) => callable.some((op) => op.name === name))).toEqual([]);
  });

  test('every callable primitive with attributes declares them: its signature fills every attribute its samples use', () => {
    const rnd = {
      int: (lo: number) => lo,
      bool: () => true,
      pick: <T>(xs: readonly T[]) => xs[0]!,
      shape: (lo: number) => Array<number>(Math.max(lo, 1)).fill(2),
    };
    const missing = callable.flatMap((op) => {
      const filled = new Set((op.call?.params ?? []).filter((p) => p.kind !== 'tensor' && p.kind !== 'tensors').map((p) => p.attr ?? p.name));
      return Object.keys(op.gen(rnd).attrs)
        .filter((k) => !filled.has(k))
        .map((k) => `${op.name}.${k}`);
    });
    expect(missing).toEqual([]);
    for (const op of callable.filter((o) => o.call)) {
      const params = op.call!.params;
      expect(new Set(params.map((p) => p.name)).size).toBe(params.length);
      // optional parameters only after the required ones
      expect(params.findIndex((p) => p.optional) < 0 || params.slice(params.findIndex((p) => p.optional)).every((p) => p.optional)).toBe(true);
    }
  });

  const node = (expr: string) => {
    const r = compile(`model M {\n  input x: f32[2, 3]\n  output y = ${expr}\n}`);
    if (E.isLeft(r)) throw new Error(r.left.map((d) => d.message).join('\n'));
    const nodes = r.right.model().ir.fn.nodes;
    const n = nodes[nodes.length - 1]!;
    return { op: n.op, attrs: n.attrs };
  };
  const diag = (expr: string) => {
    const r = compile(`model M {\n  input x: f32[2, 3]\n  output y = ${expr}\n}`);
    return E.isLeft(r) ? `${r.left[0]!.code} ${r.left[0]!.message}` : 'compiled';
  };

  test('each argument is read by its declared kind into one node of the op', () => {
    expect(node('sum(x, axis = -1, keepdims = true)')).toEqual({ op: 'sum', attrs: { axes: [1], keepdims: true } });
    expect(node('max(x)')).toEqual({ op: 'max', attrs: { axes: [0, 1], keepdims: false } });
    expect(node('reshape(x, [3, -1])')).toEqual({ op: 'reshape', attrs: { shape: [3, 2] } });
    expect(node('transpose(x)')).toEqual({ op: 'transpose', attrs: { perm: [1, 0] } });
    expect(node('concat([x, x], axis = -1)')).toEqual({ op: 'concat', attrs: { axis: 1 } });
    expect(node('broadcast_to(x, [4, 2, 3])')).toEqual({ op: 'broadcast_to', attrs: { shape: [4, 2, 3] } });
    expect(node('cast(x, i32)')).toEqual({ op: 'cast', attrs: { dtype: 'i32' } });
    expect(node('cast(iota(5), f32)').op).toBe('cast');
  });

  test('a wrong argument is a diagnostic from the signature', () => {
    expect(diag('reshape(x, [-1, -1])')).toBe('E0203 reshape can infer at most one -1 dimension');
    expect(diag('reshape(x, [-1, 4])')).toBe('E0203 cannot infer the -1 in reshape: a tensor does not divide evenly');
    expect(diag('cast(x, 3)')).toBe('E0105 cast needs an element type (f32, i32, bool), found a number');
    expect(diag('concat(x)')).toBe('E0105 concat takes a non-empty list of tensors, e.g. concat([a, b], axis = 1)');
    expect(diag('concat([x, x], axis = 2)')).toBe('E0203 concat axis 2 is out of range for rank 2');
    expect(diag('sum(x, axis = 2)')).toBe('E0203 axis 2 is out of range for a tensor of rank 2');
    expect(diag('sum(x, axes = 1)')).toBe("E0104 sum has no argument 'axes' (it takes x, axis, keepdims)");
    expect(diag('broadcast_to(x)')).toBe("E0104 broadcast_to is missing argument 'shape'");
    expect(diag('exp(x, 1)')).toBe('E0104 exp takes 1 argument, got 2');
  });
});
