// Custom gradients in the language: `fn f(x) = … grad (x, dy) = …` declares f's vector–Jacobian
// product. Autodiff uses the rule (first and second order, inside loops too), the checker insists the
// rule's results have the arguments' types, and gradcheck compares each rule with finite differences of
// the function's body and reports a wrong one with its location.
import { describe, expect, test } from 'vitest';
import { gradcheck } from '../compiler/api/gradcheck.js';
import { main } from '../compiler/cli.js';
import { compileErr, compileOk } from './helpers/compile.js';
import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { printModule } from '../compiler/ast/print.js';
import { parse } from '../compiler/parse/parse.js';
import { interpret } from '../compiler/ir/interp.js';
import { nd } from '../compiler/ops/ndarray.js';
import { lowerCustom } from '../compiler/passes/lowerCustom.js';
import { CUSTOM_VJP } from '../compiler/ir/custom.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const x4 = { data: Float32Array.from([0.5, -1.5, 2, 0.1]), shape: [4] };

describe('the stdlib rules (stdlib/ad.dlm)', () => {
  test('log1pexp: the stable form, the derivative σ(x), and gradcheck agrees', () => {
    const m = compileOk(`import ad
model M {
  input x: f32[B, 4]
  param w: f32[4] = normal(std = 1.0)
  output y = ad.log1pexp(x * w)
  loss mean(ad.log1pexp(x * w * 30))
}`).model();
    const y = m.forward({ x: { data: Float32Array.from([1000, -1000, 0, 1]), shape: [1, 4] } }, 'f64').y!.data;
    const w = m.params['w']!;
    expect(y[0]).toBeCloseTo(Math.max(1000 * w[0]!, 0) + Math.log1p(Math.exp(-Math.abs(1000 * w[0]!))), 9);
    expect(Number.isFinite(y[1])).toBe(true);
    const r = gradcheck(m, { dims: { B: 2 } });
    expect(r.ok).toBe(true);
    // the loss's call (the output y is not part of any loss)
    expect(r.rules.map((q) => [q.fn, q.ok])).toEqual([['log1pexp', true]]);
  });

  test('a straight-through estimator trains through sign, and gradcheck says its rule is not the derivative', () => {
    const m = compileOk(`import ad
model Q {
  input x: f32[4]
  param w: f32[4] = normal(std = 0.5)
  loss sum(ad.ste_sign(w) * x)
}`).model();
    const g = m.valueAndGrad({ x: x4 }, 'f64').grads['w']!;
    const w = m.params['w']!;
    // dL/dw = x where |w| ≤ 1 (the estimator), though sign'(w) = 0
    Array.from(g).forEach((gi, i) => {
      expect(gi).toBe(Math.abs(w[i]!) <= 1 ? x4.data[i]! : 0);
    });
    const r = gradcheck(m);
    expect(r.rules[0]!.fn).toBe('ste_sign');
    expect(r.rules[0]!.ok).toBe(false);
  });

  test('clip_grad: the identity forward, the cotangent clipped to [−c, c]; c may be a number', () => {
    const m = compileOk(`import ad
model C {
  input x: f32[4]
  param w: f32[4] = normal(std = 0.5)
  output y = ad.clip_grad(w, 0.5)
  loss sum(ad.clip_grad(w * x, 0.5) * 3)
}`).model();
    expect(Array.from(m.forward({ x: x4 }).y!.data)).toEqual(Array.from(m.params['w']!));
    const g = m.valueAndGrad({ x: x4 }, 'f64').grads['w']!;
    // d/d(w·x) = 3, clipped to 0.5, times x
    Array.from(g).forEach((gi, i) => {
      expect(gi).toBeCloseTo(0.5 * x4.data[i]!, 12);
    });
  });
});

describe('rules written in a model', () => {
  test('a rule with several arguments, captures and a block body; second derivatives use the rule too', () => {
    const m = compileOk(`fn mulc(a, b) = a * b grad (a, b, dy) {
  let s = 2.0
  [dy * b * s / s, dy * a]
}
fn inner(x) = sum(mulc(x, x) * x)
model M {
  input x: f32[4]
  param w: f32[4] = normal(std = 1.0)
  output g = grad(inner)(w)
  loss sum(mulc(w, x)) + sum(grad(inner)(w))
}`).model();
    const w = Float64Array.from(m.params['w']!);
    // inner = Σ w³ through the rule: grad = 3w²; d/dw Σ 3w² = 6w; plus x
    expect(
      Array.from(m.forward({ x: x4 }, 'f64').g!.data)
        .map((v, i) => v - 3 * w[i]! ** 2)
        .every((d) => Math.abs(d) < 1e-9),
    ).toBe(true);
    const g = m.valueAndGrad({ x: x4 }, 'f64').grads['w']!;
    Array.from(g).forEach((gi, i) => {
      expect(gi).toBeCloseTo(x4.data[i]! + 6 * w[i]!, 9);
    });
    expect(gradcheck(m).ok).toBe(true);
  });

  test('inside a loop body, the rule is used by backpropagation through time', () => {
    const src = (f: string) => `fn squash(h) = ${f}
model R {
  input x: f32[T, 2]
  param W: f32[2, 2] = normal(std = 0.5)
  fn step(h, xt) = squash(h + xt @ W)
  loss sum(square(scan(step, [0, 0], x)))
}`;
    const custom = compileOk(src('tanh(h) grad (h, dy) = dy * (1 - square(tanh(h)))')).model(undefined, { seed: 3 });
    const plain = compileOk(src('tanh(h)')).model(undefined, { seed: 3 });
    const x = { data: Float32Array.from([0.3, -0.2, 0.5, 0.1, -0.4, 0.8]), shape: [3, 2] };
    const a = custom.valueAndGrad({ x }, 'f64').grads['W']!,
      b = plain.valueAndGrad({ x }, 'f64').grads['W']!;
    Array.from(a).forEach((v, i) => {
      expect(v).toBeCloseTo(b[i]!, 12);
    });
    expect(gradcheck(custom, { dims: { T: 3 } }).ok).toBe(true);
  });

  test('a deliberately wrong rule is reported, with its location, by gradcheck and dlm gradcheck', async () => {
    // d(x²) = 2x·dy, written without the 2
    const src = `fn sq(x) = x * x grad (x, dy) = dy * x
model W {
  input x: f32[B, 3]
  param w: f32[3] = normal(std = 1.0)
  loss mean(sq(x * w))
}
`;
    const r = gradcheck(compileOk(src, 'wrong.dlm').model());
    expect(r.ok).toBe(false);
    const q = r.rules[0]!;
    expect(q.ok).toBe(false);
    expect(q.maxRelError).toBeGreaterThan(0.1);
    expect(src.slice(q.rule.start, q.rule.end)).toBe('grad (x, dy) = dy * x');
    const dir = mkdtempSync(join(tmpdir(), 'dlm-rule-'));
    writeFileSync(join(dir, 'wrong.dlm'), src);
    const lines: string[] = [];
    const code = await main(['gradcheck', join(dir, 'wrong.dlm')], { log: (s) => lines.push(s), err: (s) => lines.push(s), color: false, stderrIsTTY: false });
    expect(code).toBe(1);
    const text = lines.join('\n');
    expect(text).toContain('E0307');
    expect(text).toContain('wrong.dlm:1:');
    expect(text).toMatch(/FAIL +grad rule of sq/);
  });
});

describe('the rule is checked like code', () => {
  test('wrong number of rule parameters', () => {
    expect(compileErr('fn f(x) = x grad (x) = x\nmodel M {\n  input x: f32[2]\n  output y = f(x)\n}')[0]!.code).toBe('E0303');
  });
  test("a result whose type is not its argument's", () => {
    const d = compileErr('fn f(x) = sum(x) grad (x, dy) = dy\nmodel M {\n  input x: f32[2, 3]\n  output y = f(x)\n}')[0]!;
    expect(d.code).toBe('E0306');
    expect(d.message).toContain('f32[2, 3]');
  });
  test('several arguments need a list', () => {
    expect(compileErr('fn f(a, b) = a * b grad (a, b, dy) = dy\nmodel M {\n  input x: f32[2]\n  output y = f(x, x)\n}')[0]!.code).toBe('E0306');
  });
  test('a body reading a parameter from outside its arguments', () => {
    const d = compileErr('model M {\n  input x: f32[2]\n  param w: f32[2] = ones\n  fn f(a) = a * w grad (a, dy) = dy * w\n  loss sum(f(x))\n}')[0]!;
    expect(d.code).toBe('E0305');
  });
});

describe('syntax and lowering', () => {
  test('the rule prints and parses back (expression and block bodies)', () => {
    const src = 'fn f(x) = x * x grad (x, dy) = 2 * x * dy\n\nfn g(a, b) = a grad (a, b, dy) {\n  let z = dy\n  [z, 0]\n}\n';
    const once = parse({ path: 't.dlm', text: src });
    if (E.isLeft(once)) throw new Error('parse');
    const printed = printModule(once.right);
    const twice = parse({ path: 't.dlm', text: printed });
    if (E.isLeft(twice)) throw new Error('reparse');
    expect(printModule(twice.right)).toBe(printed);
    expect(printed).toContain('grad (x, dy) = 2 * x * dy');
  });

  test('lower-custom replaces each node by its value: the program computes the same (interpreter)', () => {
    const m = compileOk(`import ad
model M {
  input x: f32[3]
  output y = ad.log1pexp(x) + ad.clip_grad(x * 2, 1.0) * ad.ste_sign(x)
}`).model();
    const f = m.ir.fn;
    expect(f.nodes.some((n) => n.op === CUSTOM_VJP)).toBe(true);
    const lowered = lowerCustom.run(f);
    expect(lowered.nodes.some((n) => n.op === CUSTOM_VJP)).toBe(false);
    for (const xs of [
      [0.3, -2, 5],
      [0, 1, -1],
      [40, -40, 0.5],
    ]) {
      const ins = {
        x: nd([3], Float64Array.from(xs)),
        ...Object.fromEntries(Object.entries(m.hyperDefaults()).map(([k, t]) => [k, nd(t.shape, Float64Array.from(t.data))])),
      };
      expect(Array.from(interpret(lowered, ins, new Map()).outputs['y']!.data)).toEqual(Array.from(interpret(f, ins, new Map()).outputs['y']!.data));
    }
  });
});
