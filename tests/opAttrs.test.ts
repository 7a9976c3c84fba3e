// Attributes are typed (issue 21): each op declares the attributes its nodes carry (OpDef.attrs), the IR
// verifier rejects a node whose attributes are missing, unknown or of the wrong type, every generated
// sample of every op fits its declaration, and what .dlm calls can set is declared.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { InternalError } from '../compiler/diagnostics/diagnostic.js';
import { IrBuilder } from '../compiler/ir/builder.js';
import type { IrFunction } from '../compiler/ir/ir.js';
import { verify } from '../compiler/ir/verify.js';
import { attrsProblem } from '../compiler/ops/attrs.js';
import type { Attrs } from '../compiler/ops/op.js';
import { OPS } from '../compiler/ops/registry.js';
import { genKit } from './helpers/genkit.js';

const SPAN = { file: 'm.dlm', start: 0, end: 1 };

/** sum(x) over axis 1 with its attributes replaced by `attrs` after it is built (as a faulty pass would). */
const sumWith = (attrs: Attrs): IrFunction => {
  const b = new IrBuilder();
  const x = b.input('x', 'input', { dtype: 'f32', shape: [2, 3] }, SPAN);
  const y = b.op('sum', [x], { axes: [1], keepdims: false });
  const f = b.finish('f', [{ name: 'y', id: y }]);
  return { ...f, nodes: f.nodes.map((n) => (n.id === y ? { ...n, attrs } : n)) };
};

describe('typed attributes', () => {
  test('the verifier rejects a missing, unknown or mistyped attribute, and accepts the declared ones', () => {
    expect(() => verify(sumWith({ axes: [1], keepdims: false }))).not.toThrow();
    expect(() => verify(sumWith({ axes: [1] }))).not.toThrow(); // keepdims is optional
    const wrong = (attrs: Attrs) => () => verify(sumWith(attrs));
    expect(wrong({ keepdims: false })).toThrow(/sum needs its attribute 'axes' \(ints\)/);
    expect(wrong({ axes: [1], keepdim: true })).toThrow(/sum has no attribute 'keepdim'/);
    expect(wrong({ axes: [1.5] })).toThrow(/'axes' is \[1.5\], not ints/);
    expect(wrong({ axes: [1], keepdims: 1 })).toThrow(InternalError);
  });

  test('each kind: int, size, ints, dims, numbers, bool, dtype and a list of choices', () => {
    const p = (op: string, attrs: Attrs) => attrsProblem(OPS[op]!, attrs);
    expect(p('iota', { n: 'B' })).toBeUndefined();
    expect(p('iota', { n: 2.5 })).toMatch(/not size/);
    expect(p('reshape', { shape: ['B', 3] })).toBeUndefined();
    expect(p('reshape', { shape: ['', 3] })).toMatch(/not dims/);
    expect(p('upsample', { mode: 'cubic', align: false, out: [4], scale: [2], factor: [] })).toMatch(/not one of nearest, linear/);
    expect(p('upsample', { mode: 'linear', align: false, out: [4], scale: [Infinity], factor: [] })).toMatch(/not numbers/);
    expect(p('cast', { dtype: 'f64' })).toMatch(/not dtype/);
    expect(p('concat', { axis: 1 })).toBeUndefined();
    expect(p('add', { axis: 1 })).toMatch(/add has no attribute 'axis'/);
    // names are looked up as own keys only: Object.prototype's are not attributes
    expect(p('transpose', { perm: [1, 0], ['__proto__' as string]: 1 })).toMatch(/transpose has no attribute '__proto__'/);
    expect(p('add', { toString: 1 })).toMatch(/add has no attribute 'toString'/);
  });

  test("every op's generated samples carry exactly the attributes it declares", () => {
    for (const def of Object.values(OPS)) {
      fc.assert(
        fc.property(fc.gen(), (g) => {
          const sample = def.gen(genKit(g));
          expect(attrsProblem(def, sample.attrs), def.name).toBeUndefined();
        }),
        { numRuns: 15, seed: 21 },
      );
    }
  });

  test('what a .dlm call of an op can set is among its declared attributes', () => {
    const missing: string[] = [];
    for (const def of Object.values(OPS))
      for (const p of def.call?.params ?? [])
        if (p.kind !== 'tensor' && p.kind !== 'tensors' && !Object.hasOwn(def.attrs ?? {}, p.attr ?? p.name)) missing.push(`${def.name}.${p.attr ?? p.name}`);
    expect(missing).toEqual([]);
  });
});
