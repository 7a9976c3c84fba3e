// What the small IR passes must do beyond keeping values (tests/passes.test.ts checks that on random
// programs, which a pass that does nothing also satisfies): written against the mutants `npm run mutate`
// left in compiler/passes (docs/mutation.md), on hand-built IR.
import { describe, expect, test } from 'vitest';
import { NO_SPAN } from '../compiler/diagnostics/span.js';
import { IrBuilder } from '../compiler/ir/builder.js';
import type { IrFunction } from '../compiler/ir/ir.js';
import { dce } from '../compiler/passes/dce.js';
import { order } from '../compiler/passes/order.js';
import { simplify } from '../compiler/passes/simplify.js';
import { stabilize } from '../compiler/passes/stabilize.js';
import { verify } from '../compiler/ir/verify.js';
import { PIPELINE } from '../compiler/passes/index.js';
import { runPasses } from '../compiler/passes/pass.js';
import { CUSTOM_VJP } from '../compiler/ir/custom.js';
import { compileOk } from './helpers/compile.js';

const f32 = (shape: number[]) => ({ dtype: 'f32' as const, shape });
const ops = (f: IrFunction) => f.nodes.map((n) => n.op);

describe('dce', () => {
  test('drops what no output or update reads, keeps every input (the signature) and what updates read', () => {
    const b = new IrBuilder();
    const x = b.input('x', 'input', f32([3]), NO_SPAN);
    b.input('unused', 'input', f32([2]), NO_SPAN);
    const w = b.input('w', 'param', f32([3]), NO_SPAN);
    b.op('exp', [x]);
    const y = b.op('tanh', [x]);
    const step = b.op('neg', [w]);
    const f = dce.run(b.finish('f', [{ name: 'y', id: y }], [{ target: w, value: step }]));
    expect(ops(f)).toEqual(['input', 'input', 'input', 'tanh', 'neg']);
  });

  test('is the pass that `disable: ["dce"]` names', () => {
    const b = new IrBuilder();
    const x = b.input('x', 'input', f32([3]), NO_SPAN);
    b.op('exp', [x]);
    const f = b.finish('f', [{ name: 'y', id: b.op('tanh', [x]) }]);
    expect(ops(runPasses(PIPELINE, f))).not.toContain('exp');
    expect(ops(runPasses(PIPELINE, f, { disable: ['dce'] }))).toContain('exp');
  });
});

test('lower-custom is the pass that `disable: ["lower-custom"]` names (with it off, the custom-gradient node stays)', () => {
  const f = compileOk(`import ad
model M {
  input x: f32[3]
  output y = ad.clip_grad(x * 2, 1.0)
}`).model().ir.fn;
  expect(ops(runPasses(PIPELINE, f))).not.toContain(CUSTOM_VJP);
  expect(ops(runPasses(PIPELINE, f, { disable: ['lower-custom'] }))).toContain(CUSTOM_VJP);
});

describe('order', () => {
  // A training step in miniature: h = x·w is read by the loss (tanh(exp(x)) stands for the rest of the
  // step) and by w's new value w − 2h. Built in the order a step builder makes it: the update last.
  const step = (extra: { readerAfter?: boolean; gradOut?: boolean; valueRead?: boolean } = {}) => {
    const b = new IrBuilder();
    const x = b.input('x', 'input', f32([3]), NO_SPAN);
    const w = b.input('w', 'param', f32([3]), NO_SPAN);
    const h = b.op('mul', [x, w]);
    const e = b.op('exp', [x]);
    const y = b.op('tanh', [e]);
    const late = extra.readerAfter ? b.op('abs', [w]) : undefined;
    const lr = b.num(2);
    const d = b.op('div', [h, lr]);
    const value = b.op('sub', [w, d]);
    const outputs = [{ name: 'y', id: y }];
    if (late !== undefined) outputs.push({ name: 'late', id: late });
    if (extra.gradOut) outputs.push({ name: 'g', id: d });
    if (extra.valueRead) outputs.push({ name: 'v', id: b.op('neg', [value]) });
    return b.finish('step', outputs, [{ target: w, value }]);
  };

  test('moves the update, with the nodes only it uses, to just after its inputs; inputs and constants first', () => {
    expect(ops(order.run(step()))).toEqual(['input', 'input', 'const', 'mul', 'div', 'sub', 'exp', 'tanh']);
  });

  test('not above a later reader of the old value', () => {
    expect(ops(order.run(step({ readerAfter: true })))).toEqual(['input', 'input', 'const', 'mul', 'exp', 'tanh', 'abs', 'div', 'sub']);
  });

  test('a node that an output also reads stays where it was; the rest of the chain still moves up to it', () => {
    const b = new IrBuilder();
    const x = b.input('x', 'input', f32([3]), NO_SPAN);
    const w = b.input('w', 'param', f32([3]), NO_SPAN);
    const e = b.op('exp', [x]);
    const g = b.op('mul', [x, w]);
    const y = b.op('tanh', [e]);
    const d = b.op('div', [g, b.num(2)]);
    const value = b.op('sub', [w, d]);
    const f = b.finish(
      'step',
      [
        { name: 'y', id: y },
        { name: 'g', id: g },
      ],
      [{ target: w, value }],
    );
    expect(ops(order.run(f))).toEqual(['input', 'input', 'const', 'exp', 'mul', 'div', 'sub', 'tanh']);
    // the chain's nodes keep their own order, and the moved nodes are the same nodes
    expect(
      order
        .run(f)
        .nodes.map((n) => n.id)
        .sort(),
    ).toEqual(f.nodes.map((n) => n.id).sort());
  });

  test('an update whose new value is read by another node or is an output is left in place', () => {
    expect(ops(order.run(step({ valueRead: true })))).toEqual(['input', 'input', 'const', 'mul', 'exp', 'tanh', 'div', 'sub', 'neg']);
    const b = new IrBuilder();
    const x = b.input('x', 'input', f32([3]), NO_SPAN);
    const w = b.input('w', 'param', f32([3]), NO_SPAN);
    const y = b.op('exp', [x]);
    const value = b.op('neg', [w]);
    const f = b.finish(
      's',
      [
        { name: 'y', id: y },
        { name: 'v', id: value },
      ],
      [{ target: w, value }],
    );
    expect(ops(order.run(f))).toEqual(['input', 'input', 'exp', 'neg']);
  });

  test('a node another node also reads stays where it was; one that an output reads too', () => {
    const b = new IrBuilder();
    const x = b.input('x', 'input', f32([3]), NO_SPAN);
    const w = b.input('w', 'param', f32([3]), NO_SPAN);
    const y = b.op('tanh', [b.op('exp', [x])]);
    const d = b.op('mul', [x, w]);
    const z = b.op('sin', [d]);
    const value = b.op('sub', [w, b.op('div', [d, b.num(2)])]);
    const f = b.finish(
      'step',
      [
        { name: 'y', id: y },
        { name: 'z', id: z },
      ],
      [{ target: w, value }],
    );
    expect(ops(order.run(f))).toEqual(['input', 'input', 'const', 'exp', 'tanh', 'mul', 'div', 'sub', 'sin']);
  });

  test("a new value that another update reads (Adam's moment, read by the weight's step) stays out of that update's chain", () => {
    const b = new IrBuilder();
    const x = b.input('x', 'input', f32([3]), NO_SPAN);
    const m = b.input('m', 'param', f32([3]), NO_SPAN);
    const w = b.input('w', 'param', f32([3]), NO_SPAN);
    const y = b.op('tanh', [b.op('exp', [x])]);
    const m1 = b.op('neg', [m]);
    const w1 = b.op('sub', [w, m1]);
    const f = b.finish(
      'step',
      [{ name: 'y', id: y }],
      [
        { target: m, value: m1 },
        { target: w, value: w1 },
      ],
    );
    expect(ops(order.run(f))).toEqual(['input', 'input', 'input', 'exp', 'tanh', 'neg', 'sub']);
  });

  test('a parameter whose new value does not read it moves up too; without updates nothing moves', () => {
    const b = new IrBuilder();
    const x = b.input('x', 'input', f32([3]), NO_SPAN);
    const w = b.input('w', 'param', f32([3]), NO_SPAN);
    const y = b.op('tanh', [b.op('exp', [x])]);
    const value = b.op('neg', [x]);
    const moved = ops(order.run(b.finish('s', [{ name: 'y', id: y }], [{ target: w, value }])));
    expect(moved.indexOf('neg')).toBeLessThan(moved.indexOf('exp'));
    const c = new IrBuilder();
    const u = c.input('u', 'input', f32([3]), NO_SPAN);
    const e = c.op('mul', [c.op('exp', [u]), c.num(2)]);
    expect(ops(order.run(c.finish('g', [{ name: 'e', id: e }])))).toEqual(['input', 'exp', 'const', 'mul']);
  });

  test('is the pass that `disable: ["order"]` names', () => {
    expect(ops(runPasses([order], step()))).toEqual(['input', 'input', 'const', 'mul', 'div', 'sub', 'exp', 'tanh']);
    expect(ops(runPasses([order], step(), { disable: ['order'] }))).toEqual(['input', 'input', 'mul', 'exp', 'tanh', 'const', 'div', 'sub']);
  });
});

describe('simplify', () => {
  // Each case: a node built over inputs, and what simplify makes of it (its op and which nodes it reads,
  // or 'x' when it is replaced by the input x itself).
  const simplified = (build: (b: IrBuilder, x: number, y: number) => number, shape = [2, 3]) => {
    const b = new IrBuilder();
    const xi = b.input('x', 'input', f32(shape), NO_SPAN);
    const yi = b.input('y', 'input', f32(shape), NO_SPAN);
    const f = verify(simplify.run(b.finish('f', [{ name: 'r', id: build(b, xi, yi) }])));
    const r = f.nodes.find((n) => n.id === f.outputs[0]!.id)!;
    return r.id === xi
      ? 'x'
      : r.id === yi
        ? 'y'
        : { op: r.op, attrs: r.attrs, reads: r.inputs.map((i) => (i === xi ? 'x' : i === yi ? 'y' : f.nodes.find((n) => n.id === i)!.op)) };
  };

  test('identities: x + 0, 0 + x, x − 0, x · 1, 1 · x, x / 1, also with the constant broadcast first; not when the constant broadcasts x', () => {
    const zeros = (b: IrBuilder) => b.op('broadcast_to', [b.num(0)], { shape: [2, 3] });
    expect(simplified((b, x) => b.op('add', [x, b.num(0)]))).toBe('x');
    expect(simplified((b, x) => b.op('add', [b.num(0), x]))).toBe('x');
    expect(simplified((b, x) => b.op('add', [x, zeros(b)]))).toBe('x');
    expect(simplified((b, x) => b.op('sub', [x, b.num(0)]))).toBe('x');
    expect(simplified((b, x) => b.op('mul', [x, b.num(1)]))).toBe('x');
    expect(simplified((b, x) => b.op('mul', [b.num(1), x]))).toBe('x');
    expect(simplified((b, x) => b.op('div', [x, b.num(1)]))).toBe('x');
    expect(simplified((b, x) => b.op('sub', [b.num(0), x]))).toMatchObject({ op: 'sub' });
    expect(simplified((b, x) => b.op('add', [x, b.num(0)]), [])).toBe('x');
    expect(simplified((b, x) => b.op('add', [b.op('sum', [x], { axes: [0, 1] }), zeros(b)]))).toMatchObject({ op: 'add' });
  });

  test('x − x is one zero constant (ids stay distinct when several are made); where(1, a, b) is a, where(0, a, b) is b', () => {
    const b = new IrBuilder();
    const xi = b.input('x', 'input', f32([]), NO_SPAN);
    const yi = b.input('y', 'input', f32([2]), NO_SPAN);
    const f = verify(
      simplify.run(
        b.finish('f', [
          { name: 'p', id: b.op('sub', [xi, xi]) },
          { name: 'q', id: b.op('sub', [yi, yi]) },
          { name: 'r', id: b.op('mul', [b.op('sub', [xi, xi]), yi]) },
        ]),
      ),
    );
    const outs = f.outputs.map((o) => f.nodes.find((n) => n.id === o.id)!);
    expect(outs.map((n) => n.op)).toEqual(['const', 'broadcast_to', 'mul']);
    expect(outs[0]!.attrs['value']).toBe(0);
    expect(new Set(f.nodes.map((n) => n.id)).size).toBe(f.nodes.length);
    expect(simplified((b, x, y) => b.op('where', [b.num(1), x, y]))).toBe('x');
    expect(simplified((b, x, y) => b.op('where', [b.num(0), x, y]))).toBe('y');
  });

  test('−(−x) is x, |−x| is |x|, stop_gradient is x after differentiation, a reshape or transpose that changes nothing is x', () => {
    expect(simplified((b, x) => b.op('neg', [b.op('neg', [x])]))).toBe('x');
    expect(simplified((b, x) => b.op('abs', [b.op('neg', [x])]))).toEqual({ op: 'abs', attrs: {}, reads: ['x'] });
    expect(simplified((b, x) => b.op('stop_gradient', [x]))).toBe('x');
    expect(simplified((b, x) => b.op('reshape', [x], { shape: [2, 3] }))).toBe('x');
    expect(simplified((b, x) => b.op('transpose', [x], { perm: [0, 1] }))).toBe('x');
    expect(simplified((b, x) => b.op('transpose', [x], { perm: [1, 0] }))).toMatchObject({ op: 'transpose' });
  });

  test('chains collapse: reshape∘reshape is one reshape (or x), transpose∘transpose one transpose of the composed order', () => {
    expect(simplified((b, x) => b.op('reshape', [b.op('reshape', [x], { shape: [6] })], { shape: [3, 2] }))).toEqual({
      op: 'reshape',
      attrs: { shape: [3, 2] },
      reads: ['x'],
    });
    expect(simplified((b, x) => b.op('reshape', [b.op('reshape', [x], { shape: [6] })], { shape: [2, 3] }))).toBe('x');
    // on a cube both orders keep the type: only the composed permutation tells them apart
    const tt = simplified((b, x) => b.op('transpose', [b.op('transpose', [x], { perm: [1, 2, 0] })], { perm: [1, 2, 0] }), [2, 2, 2]);
    expect(tt).toEqual({ op: 'transpose', attrs: { perm: [2, 0, 1] }, reads: ['x'] });
  });

  test('a slice of a pad or concat: exactly a piece (the first too) is that piece; touching but outside every piece is zeros', () => {
    const padded = (b: IrBuilder, x: number) => b.op('pad', [x], { before: [0, 1], after: [0, 1] });
    const window = (lo: number, hi: number) => (b: IrBuilder, x: number) => b.op('slice', [padded(b, x)], { begin: [0, lo], end: [2, hi] });
    expect(simplified(window(1, 4))).toBe('x');
    expect(simplified(window(0, 1))).toMatchObject({ op: 'broadcast_to', reads: ['const'] });
    expect(simplified(window(4, 5))).toMatchObject({ op: 'broadcast_to', reads: ['const'] });
    expect(simplified(window(0, 2))).toMatchObject({ op: 'slice', reads: ['pad'] });
    const first = (b: IrBuilder, x: number, y: number) => b.op('slice', [b.op('concat', [x, y], { axis: 0 })], { begin: [0, 0], end: [2, 3] });
    expect(simplified(first)).toBe('x');
    // a window inside the first piece that misses the second is neither a piece nor zeros
    const part = (b: IrBuilder, x: number, y: number) => b.op('slice', [b.op('concat', [x, y], { axis: 0 })], { begin: [0, 0], end: [1, 3] });
    expect(simplified(part)).toMatchObject({ op: 'slice', reads: ['concat'] });
    // two windows of zeros in one function: each its own constant, ids distinct
    const b = new IrBuilder();
    const xi = b.input('x', 'input', f32([2, 3]), NO_SPAN);
    const p = padded(b, xi);
    const f = verify(
      simplify.run(
        b.finish('f', [
          { name: 'l', id: b.op('slice', [p], { begin: [0, 0], end: [2, 1] }) },
          { name: 'r', id: b.op('slice', [p], { begin: [0, 4], end: [2, 5] }) },
        ]),
      ),
    );
    expect(f.outputs.map((o) => f.nodes.find((n) => n.id === o.id)!.op)).toEqual(['broadcast_to', 'broadcast_to']);
    expect(new Set(f.nodes.map((n) => n.id)).size).toBe(f.nodes.length);
  });

  test('is the pass that `disable: ["simplify"]` names', () => {
    const b = new IrBuilder();
    const xi = b.input('x', 'input', f32([3]), NO_SPAN);
    const f = b.finish('f', [{ name: 'y', id: b.op('exp', [b.op('mul', [xi, b.num(1)])]) }]);
    expect(ops(runPasses(PIPELINE, f))).not.toContain('mul');
    expect(ops(runPasses(PIPELINE, f, { disable: ['simplify'] }))).toContain('mul');
  });
});

describe('stabilize', () => {
  // exp(log y) = y only for y known positive; a constant is positive when > 0
  const stabilized = (build: (b: IrBuilder, x: number) => number) => {
    const b = new IrBuilder();
    const xi = b.input('x', 'input', f32([3]), NO_SPAN);
    return verify(stabilize.run(b.finish('f', [{ name: 'y', id: build(b, xi) }])));
  };
  const outOp = (f: IrFunction) => f.nodes.find((n) => n.id === f.outputs[0]!.id)!.op;

  test('exp(log c) is c for a positive constant, and stays for 0 or a negative one', () => {
    const expLog = (c: number) => stabilized((b, x) => b.op('mul', [x, b.op('exp', [b.op('log', [b.op('broadcast_to', [b.num(c)], { shape: [3] })])])]));
    const readsExp = (f: IrFunction) => f.nodes.find((n) => n.id === f.outputs[0]!.id)!.inputs.map((i) => f.nodes.find((n) => n.id === i)!.op);
    expect(readsExp(expLog(2))).toEqual(['input', 'broadcast_to']);
    expect(readsExp(expLog(0))).toEqual(['input', 'exp']);
    expect(readsExp(expLog(-2))).toEqual(['input', 'exp']);
  });

  test('asks an op with no algebra (tan) whether it is positive without failing; marks no node backward', () => {
    const f = stabilized((b, x) => b.op('log', [b.op('mul', [b.op('exp', [x]), b.op('tan', [x])])]));
    expect(outOp(f)).toBe('log');
    const g = stabilized((b, x) => b.op('log', [b.op('sigmoid', [x])]));
    expect(g.nodes.length).toBeGreaterThan(3);
    expect(g.nodes.filter((n) => n.backward)).toEqual([]);
  });
});
