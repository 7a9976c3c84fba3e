// Every optimization pass preserves meaning: on random programs and on their gradient programs, the
// reference interpreter gives the same values before and after each pass (and after the whole
// pipeline), and the IR verifier holds after each pass.
import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { compile } from '../compiler/index.js';
import { interpret } from '../compiler/ir/interp.js';
import type { IrFunction } from '../compiler/ir/ir.js';
import { verify } from '../compiler/ir/verify.js';
import { nd } from '../compiler/ops/ndarray.js';
import { PIPELINE, PRE_GRAD } from '../compiler/passes/index.js';
import { runPasses } from '../compiler/passes/pass.js';
import { simplify } from '../compiler/passes/simplify.js';
import { dce } from '../compiler/passes/dce.js';
import { programArb } from '../compiler/testing/programs.js';
import { Rng } from '../runtime/random.js';

const inputsFor = (f: IrFunction, seed: number) => {
  const rng = new Rng(seed);
  const r: Record<string, ReturnType<typeof nd>> = {};
  for (const n of f.nodes) {
    if (n.op !== 'input') continue;
    const shape = n.type.shape as number[];
    r[n.attrs['name'] as string] = nd(
      shape,
      Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
    );
  }
  return r;
};

// Reassociation can change the last bits; passes here do not reassociate, so the tolerance is tight.
const same = (a: Record<string, { data: Float64Array }>, b: Record<string, { data: Float64Array }>) => {
  for (const k of Object.keys(a))
    a[k]!.data.forEach((x, i) => {
      expect(Math.abs(x - b[k]!.data[i]!)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(x)));
    });
};

describe.each([...new Set([...PRE_GRAD, ...PIPELINE])].map((p) => [p.name, p] as const))('pass %s', (_name, pass) => {
  test('preserves interpreter results on random programs and their gradients', () => {
    fc.assert(
      fc.property(programArb(2, 14), fc.nat(100), (p, seed) => {
        const r = compile(p.source);
        if (E.isLeft(r)) throw new Error(p.source);
        // the forward program as checked (the model applies PRE_GRAD passes itself unless told not to)
        const m = r.right.model(undefined, { passes: { disable: PRE_GRAD.map((q) => q.name) } });
        for (const f of [m.ir.fn, m.gradProgram()]) {
          const ins = inputsFor(f, seed);
          const env = new Map<string, number>();
          const after = verify(pass.run(f));
          same(interpret(f, ins, env).outputs, interpret(after, ins, env).outputs);
        }
      }),
      { numRuns: 150, seed: 7 },
    );
  }, 120_000);
});

test('inferred shapes equal run-time shapes on random programs and their gradients', () => {
  fc.assert(
    fc.property(programArb(2, 20), (p) => {
      const r = compile(p.source);
      if (E.isLeft(r)) throw new Error(p.source);
      const m = r.right.model();
      for (const f of [m.ir.fn, m.gradProgram()]) {
        const { values } = interpret(f, inputsFor(f, 3), new Map());
        for (const n of f.nodes) expect(values.get(n.id)!.shape, `%${n.id} ${n.op} in\n${p.source}`).toEqual(n.type.shape);
      }
    }),
    { numRuns: 200, seed: 13 },
  );
});

test('the whole pipeline preserves results and shrinks gradient programs', () => {
  fc.assert(
    fc.property(programArb(4, 16), (p) => {
      const r = compile(p.source);
      if (E.isLeft(r)) throw new Error(p.source);
      const f = r.right.model().gradProgram();
      const opt = runPasses(PIPELINE, f, { verify: true });
      expect(opt.nodes.length).toBeLessThanOrEqual(f.nodes.length);
      const ins = inputsFor(f, 1);
      same(interpret(f, ins, new Map()).outputs, interpret(opt, ins, new Map()).outputs);
    }),
    { numRuns: 100, seed: 11 },
  );
});

test('simplify: a slice that is exactly one piece of a concat (or a pad) is that piece, one missing every piece is zeros', () => {
  const src = `model M {
  input x: f32[2, 3]
  param a: f32[2, 3] = normal(std = 1.0)
  param b: f32[3, 3] = normal(std = 1.0)
  let s = concat([a * x, b], 0)
  loss sum(square(s[0:2])) + sum(s[2:5] * 3) + sum(sin(s[1:3]))
}`;
  const r = compile(src);
  if (E.isLeft(r)) throw new Error('compile');
  const m = r.right.model();
  for (const f of [m.ir.fn, m.gradProgram()]) {
    const after = verify(simplify.run(f));
    const ins = inputsFor(f, 5);
    same(interpret(f, ins, new Map()).outputs, interpret(after, ins, new Map()).outputs);
    // the exact pieces no longer read the concat; only the straddling window s[1:3] (and its pad) does
    const reads = (g: IrFunction) => g.nodes.filter((n) => n.op === 'slice' && g.nodes.find((p) => p.id === n.inputs[0])?.op === 'concat').length;
    expect(reads(after)).toBeLessThan(reads(f));
  }
});

test('order: training steps of random programs compute the same losses and new parameters after it', async () => {
  const { Trainer } = await import('../compiler/api/trainer.js');
  const { order } = await import('../compiler/passes/order.js');
  fc.assert(
    fc.property(programArb(2, 14), fc.constantFrom('sgd', 'adam'), (p, opt) => {
      const r = compile(p.source);
      if (E.isLeft(r)) throw new Error(p.source);
      const f = runPasses(
        PIPELINE.filter((q) => q.name !== 'order'),
        new Trainer(r.right.model(), { optimizer: opt }).program.fn,
      );
      const after = verify(order.run(f));
      const ins = inputsFor(f, 4);
      const env = new Map<string, number>();
      const [a, b] = [interpret(f, ins, env), interpret(after, ins, env)];
      same(a.outputs, b.outputs);
      for (const u of f.updates) expect(Array.from(b.values.get(u.value)!.data)).toEqual(Array.from(a.values.get(u.value)!.data));
    }),
    { numRuns: 60, seed: 5 },
  );
});

test('simplify: x − x is 0; stabilize: exp(log y) is y when y is known to be positive, and only then', async () => {
  const { stabilize } = await import('../compiler/passes/stabilize.js');
  const src = `model M {
  input x: f32[2, 3]
  param w: f32[3] = normal(std = 1.0)
  let a = x * w
  output d = sum(a - a)
  output e = sum(exp(log(exp(a) + 1)))
  output g = sum(exp(log(square(a) + 0.5)))
}`;
  const r = compile(src);
  if (E.isLeft(r)) throw new Error('compile');
  const f = r.right.model(undefined, { passes: { disable: PRE_GRAD.map((q) => q.name) } }).ir.fn;
  const after = verify(simplify.run(verify(stabilize.run(f))));
  const ins = inputsFor(f, 9);
  same(interpret(f, ins, new Map()).outputs, interpret(after, ins, new Map()).outputs);
  const live = (g: IrFunction) => {
    const d = dce.run(g);
    return d.nodes.filter((n) => n.op === 'log' || n.op === 'sub').length;
  };
  // a − a and exp(log(exp(a) + 1)) are gone; exp(log(a² + 0.5)) stays (a² is not known to be positive)
  expect(live(after)).toBe(1);
  expect(live(f)).toBe(3);
});
