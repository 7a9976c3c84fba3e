// Second derivatives: the gradient program is IR, so it can be differentiated again. A Hessian-vector
// product H·v = ∇(∇f · v) from grad(grad(…)) agrees with central differences of the gradient, for
// functions built from a subset of the primitives.
import { describe, expect, test } from 'vitest';
import { Rng } from '../runtime/random.js';
import { compileOk } from './helpers/compile.js';

const BODIES = [
  'sum(tanh(x) * x)',
  'sum(sigmoid(x) * x * x)',
  'sum(exp(x * 0.5))',
  'sum(log(1 + x * x))',
  'sum(sqrt(1 + x * x))',
  'logsumexp(x)',
  'sum(softmax(x) * x)',
  'sum(sin(x) * cos(x))',
  'sum(x / (1 + x * x))',
  'sum(gelu(x))',
  'sum(reshape(x, [2, 2]) @ reshape(x, [2, 2]))',
  'sum(softplus(x)) * mean(x)',
  'max(x * x) + sum(x ** 3.0)',
];

describe.each(BODIES)('%s', (body) => {
  test('Hessian-vector product agrees with finite differences of the gradient', () => {
    const m = compileOk(`
fn f(x) = ${body}
fn gv(x, v) = sum(grad(f)(x) * v)
model H {
  input x: f32[4]
  input v: f32[4]
  output g = grad(f)(x)
  output hv = grad(gv)(x, v)
}`).model();
    const rng = new Rng(body.length);
    const x = Float64Array.from({ length: 4 }, () => rng.normal() * 0.8 + 0.1);
    const v = Float64Array.from({ length: 4 }, () => rng.normal());
    const run = (xs: Float64Array) =>
      m.forward({ x: { data: xs as unknown as Float32Array, shape: [4] }, v: { data: v as unknown as Float32Array, shape: [4] } }, 'f64');
    const hv = run(x)['hv']!.data;
    const eps = 1e-5;
    const gp = run(x.map((xi, i) => xi + eps * v[i]!))['g']!.data,
      gm = run(x.map((xi, i) => xi - eps * v[i]!))['g']!.data;
    for (let i = 0; i < 4; i++) {
      const fd = (gp[i]! - gm[i]!) / (2 * eps);
      expect(Math.abs(fd - hv[i]!)).toBeLessThan(1e-5 * (1 + Math.abs(fd)));
    }
  });
});

test('a gradient penalty (WGAN-GP style) trains through the second derivative', () => {
  const m = compileOk(`
fn critic(x, w) = sum(tanh(x * w))
model GP {
  input x: f32[3]
  param w: f32[3] = normal(std = 1.0)
  loss square(sqrt(sum(square(grad(critic)(x, w))) + 1e-6) - 1)
}`).model();
  const r = m.valueAndGrad({ x: { data: Float32Array.from([0.3, -0.2, 0.5]), shape: [3] } }, 'f64');
  expect(Number.isFinite(r.loss)).toBe(true);
  expect(Math.hypot(...r.grads['w']!)).toBeGreaterThan(0);
});
