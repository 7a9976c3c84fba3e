// Whole programs through the whole compiler: the compiled forward pass equals the reference interpreter,
// inferred shapes equal run-time shapes, and the language features (layers, grad, indexing) behave.
import { describe, expect, test } from 'vitest';
import { interpret } from '../compiler/ir/interp.js';
import { bindInputs } from '../compiler/jit/jit.js';
import { nd } from '../compiler/ops/ndarray.js';
import { concreteShape } from '../compiler/ir/bind.js';
import { Rng } from '../runtime/random.js';
import { randomInputs } from '../compiler/api/gradcheck.js';
import type { Model } from '../compiler/api/model.js';
import { compileOk } from './helpers/compile.js';

/** Compiled f64 and f32 outputs vs the interpreter on random inputs; checks every node's shape too. */
const agree = (model: Model, dims: Record<string, number>, seed = 1) => {
  const inputs = randomInputs(model, new Rng(seed), dims);
  const arrays: Record<string, ReturnType<typeof nd>> = {};
  for (const [k, t] of Object.entries(inputs)) arrays[k] = nd(t.shape, Float64Array.from(t.data));
  for (const p of model.ir.params) arrays[p.name] = nd(p.type.shape as number[], Float64Array.from(model.params[p.name]!));
  const f = model.ir.fn;
  const { env } = bindInputs(f, Object.fromEntries(Object.entries(arrays).map(([k, v]) => [k, { data: v.data, shape: v.shape }])));
  const ref = interpret(f, arrays, env);
  for (const n of f.nodes) expect(ref.values.get(n.id)!.shape).toEqual(concreteShape(n.type.shape, env));
  for (const precision of ['f64', 'f32'] as const) {
    const got = model.evaluate(inputs, precision);
    for (const [name, want] of Object.entries(ref.outputs)) {
      const g = got[name]!;
      expect(g.shape).toEqual(want.shape);
      const tol = precision === 'f64' ? 1e-9 : 2e-4;
      want.data.forEach((w, i) => {
        expect(Math.abs(g.data[i]! - w)).toBeLessThanOrEqual(tol * (1 + Math.abs(w)));
      });
    }
  }
};

describe('compiled models agree with the interpreter', () => {
  test('the MNIST MLP', () => {
    const p = compileOk(`import nn
model Digits {
  input x: f32[B, 784]
  target y: i32[B]
  layer l1 = nn.Dense(784, 16)
  layer l2 = nn.Dense(16, 10)
  output logits = l2(sigmoid(l1(x)))
  loss nn.cross_entropy(logits, y)
}`);
    const m = p.model();
    expect(m.paramCount()).toBe(784 * 16 + 16 + 16 * 10 + 10);
    agree(m, { B: 5 });
  });

  test('a layer used three times with different sizes', () => {
    const p = compileOk(`import nn
model Three {
  input x: f32[B, 6]
  layer a = nn.Dense(6, 5)
  layer b = nn.Dense(5, 4)
  layer c = nn.Dense(4, 3)
  output y = c(tanh(b(relu(a(x)))))
}`);
    const m = p.model();
    expect(m.ir.params.map((q) => q.name)).toEqual(['a.W', 'a.b', 'b.W', 'b.b', 'c.W', 'c.b']);
    agree(m, { B: 3 });
  });

  test('broadcasting, reductions, softmax, indexing, concat and matmul of vectors', () => {
    const p = compileOk(`
fn norm(v: f32[N, D]) -> f32[N, D] = v / sqrt(sum(square(v), -1, keepdims = true) + 1e-6)
model Mix {
  input x: f32[B, 4]
  param w: f32[4] = normal(std = 1.0)
  let s = softmax(x * w)
  let t = concat([s, norm(x)], axis = 1)
  let first = x[:, 0]
  let last = x[:, -1]
  output y = t[:, 2:6] + expand_dims(first * last, -1)
  output v = w @ transpose(x[0:2, :])
  output l = logsumexp(x) + mean(x, 1) - max(x, -1)
}`);
    agree(p.model(), { B: 4 });
  });

  test('symbolic dims with arithmetic', () => {
    const p = compileOk(`
model Dims {
  input a: f32[B, H]
  input b: f32[B, 2 * H]
  output c = concat([a, a], axis = 1) * b
  output d = reshape(b, [B, 2, H])
}`);
    agree(p.model(), { B: 2, H: 3 });
  });
});

describe('grad inside the language', () => {
  test('gradient descent on a line fit lowers the cost', () => {
    const p = compileOk(`
fn cost(theta: f32[2], x: f32[N], y: f32[N]) -> f32 = mean(square(theta[0] * x + theta[1] - y))
fn step(theta, x, y) = theta - 0.5 * grad(cost)(theta, x, y)
model Fit {
  input x: f32[N]
  input y: f32[N]
  param theta: f32[2] = zeros
  output before = cost(theta, x, y)
  output after = cost(step(step(step(theta, x, y), x, y), x, y), x, y)
  output g = grad(cost)(theta, x, y)
}`);
    const m = p.model();
    const x = Float32Array.from([0, 0.5, 1]),
      y = Float32Array.from([1, 2, 3]);
    const out = m.forward({ x: { data: x, shape: [3] }, y: { data: y, shape: [3] } }, 'f64');
    expect(out['after']!.data[0]!).toBeLessThan(out['before']!.data[0]! * 0.5);
    // d/dθ mean((θ₀x + θ₁ − y)²) at θ = 0: [−2·mean(x·y), −2·mean(y)]
    expect(out['g']!.data[0]!).toBeCloseTo((-2 * (0 + 1 + 3)) / 3, 6);
    expect(out['g']!.data[1]!).toBeCloseTo(-2 * 2, 6);
  });

  test('second derivatives: grad of grad', () => {
    const p = compileOk(`
fn f(x) = sum(x * x * x)
fn df(x) = sum(grad(f)(x))
model Second {
  input x: f32[3]
  output d2 = grad(df)(x)
}`);
    const out = p.model().forward({ x: { data: Float32Array.from([1, 2, -3]), shape: [3] } }, 'f64');
    expect([...out['d2']!.data]).toEqual([6, 12, -18]);
  });
});

describe('library API', () => {
  const p = () =>
    compileOk(`
model Lin {
  input x: f32[B, 2]
  target y: f32[B]
  param w: f32[2] = zeros
  output pred = x @ w + [[0.5]][0]
  loss mean(square(pred - y))
}`);

  test('tensor literals, setParam, and gradients with respect to parameters and inputs', () => {
    const m = p().model();
    m.setParam('w', [1, -1]);
    const batch = { x: { data: Float32Array.from([1, 2, 3, 4]), shape: [2, 2] }, y: { data: Float32Array.from([0, 0]), shape: [2] } };
    const { loss, grads } = m.valueAndGrad(batch, 'f64', ['x']);
    // pred = [1−2+0.5, 3−4+0.5] = [−0.5, −0.5]; loss = 0.25; ∂L/∂pred = pred = −0.5 each
    expect(loss).toBeCloseTo(0.25, 12);
    expect([...grads['w']!]).toEqual([-0.5 * 1 - 0.5 * 3, -0.5 * 2 - 0.5 * 4].map((v) => v));
    expect([...grads['x']!]).toEqual([-0.5, 0.5, -0.5, 0.5]);
    expect(() => m.setParam('w', [1, 2, 3])).toThrow(/f32\[2\]/);
    expect(() => m.setParam('nope', [1])).toThrow(/no parameter 'nope'/);
  });

  test('an input of the wrong shape is a diagnostic naming it', () => {
    const m = p().model();
    expect(() => m.forward({ x: { data: new Float32Array(6), shape: [2, 3] } })).toThrow(/E0401.*'x' has the wrong shape/s);
    expect(() => m.forward({})).toThrow(/E0402.*missing input 'x'/s);
  });
});
