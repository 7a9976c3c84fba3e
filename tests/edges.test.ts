// Regression tests for values dlm once computed silently wrong at the edges (issue 25): each case is
// checked against the value PyTorch/NumPy give, in compiled float64 code and in the reference interpreter.
import { describe, expect, test } from 'vitest';
import { interpret } from '../compiler/ir/interp.js';
import { bindInputs } from '../compiler/jit/jit.js';
import { nd } from '../compiler/ops/ndarray.js';
import { compileOk, compileErr } from './helpers/compile.js';

type In = Readonly<Record<string, { readonly data: readonly number[]; readonly shape: readonly number[] }>>;

/** Every output of model M, compiled in float64 and interpreted; the two must agree bit for bit (NaN = NaN). */
const run = (src: string, inputs: In, opts: { disable?: string[] } = {}): Record<string, { data: number[]; shape: number[] }> => {
  const m = compileOk(src).model(undefined, { passes: { disable: opts.disable ?? [] } });
  const ins = Object.fromEntries(
    Object.entries(inputs).map(([k, t]) => [k, { data: Float64Array.from(t.data) as unknown as Float32Array, shape: [...t.shape] }]),
  );
  const compiled = m.evaluate(ins, 'f64');
  const hyper = Object.fromEntries(Object.entries(m.hyperDefaults()).map(([k, t]) => [k, nd([...t.shape], Float64Array.from(t.data))]));
  const given = { ...hyper, ...Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, nd([...t.shape], Float64Array.from(t.data))])) };
  const { env } = bindInputs(m.ir.fn, given);
  const ref = interpret(m.ir.fn, given, env).outputs;
  const out: Record<string, { data: number[]; shape: number[] }> = {};
  for (const [name, t] of Object.entries(compiled)) {
    const data = [...t.data],
      want = [...ref[name]!.data];
    expect(t.shape, `${name}: compiled shape vs interpreter`).toEqual(ref[name]!.shape);
    expect(data.map(String), `${name}: compiled vs interpreter`).toEqual(want.map(String));
    data.forEach((v, i) => {
      expect(Object.is(v, -0), `${name}[${i}] sign of zero`).toBe(Object.is(want[i], -0));
    });
    out[name] = { data, shape: [...t.shape] };
  }
  return out;
};

const model = (inputs: string, outputs: string, fns = ''): string => `${fns}\nmodel M {\n${inputs}\n${outputs}\n}`;
const range = (n: number, from = 1): number[] => [...Array(n)].map((_, i) => i + from);

describe('CSE keeps constants apart by their bits', () => {
  const src = model('  input x: f32[4, 5]', '  output y = concat([x * (1 / 0), x * (-1 / 0), x * (0 / 0)])');
  test.each([[[]], [['fold']]])('NaN, +∞ and −∞ stay distinct (passes disabled: %j)', (disable) => {
    const y = run(src, { x: { data: range(20), shape: [4, 5] } }, { disable }).y!;
    expect(y.shape).toEqual([12, 5]);
    expect(y.data.slice(0, 20).every((v) => v === Infinity)).toBe(true);
    expect(y.data.slice(20, 40).every((v) => v === -Infinity)).toBe(true);
    expect(y.data.slice(40).every((v) => Number.isNaN(v))).toBe(true);
  });
  test('−0 and 0 stay distinct', () => {
    const y = run(model('  input x: f32[2]', '  output y = concat([x * 0.0, x * (-0.0)])'), { x: { data: [1, 2], shape: [2] } }).y!;
    expect(y.data.map((v) => Object.is(v, -0))).toEqual([false, false, true, true]);
  });
});

describe('** at base 0 has the derivatives PyTorch gives', () => {
  const grads = (x: number[], y: number[]) =>
    run(
      model(
        `  input x: f32[${x.length}]\n  input y: f32[${y.length}]`,
        '  output dx = grad(f)(x, y)\n  output dy = grad(f, wrt = 1)(x, y)',
        'fn f(x, y) = sum(x ** y)',
      ),
      { x: { data: x, shape: [x.length] }, y: { data: y, shape: [y.length] } },
    );
  test('d(x^y)/dx and d(x^y)/dy at x = 0', () => {
    const g = grads([0, 0, 0, 0], [0, 0.3, 2, -1]);
    expect(g.dx!.data).toEqual([0, Infinity, 0, -Infinity]);
    expect(g.dy!.data).toEqual([0, 0, 0, -Infinity]);
  });
  test('x ** 0 and 0 ** x', () => {
    const g = run(model('  input x: f32[3]', '  output a = grad(f)(x)\n  output b = grad(h)(x)', 'fn f(x) = sum(x ** 0)\nfn h(x) = sum(0 ** x)'), {
      x: { data: [0, 0.5, 2], shape: [3] },
    });
    expect(g.a!.data).toEqual([0, 0, 0]);
    expect(g.b!.data).toEqual([0, 0, 0]);
  });
  test('away from 0 the derivatives are the usual ones', () => {
    const g = grads([2, 0.5], [3, -1]);
    expect(g.dx!.data).toEqual([12, -4]);
    expect(g.dy!.data[0]).toBeCloseTo(8 * Math.log(2), 12);
    expect(g.dy!.data[1]).toBeCloseTo(2 * Math.log(0.5), 12);
  });
});

describe('slice bounds are clamped like NumPy and PyTorch', () => {
  const x = { x: { data: [1, 2, 3], shape: [3] } };
  test.each([
    ['x[-4:]', [1, 2, 3]],
    ['x[-5:]', [1, 2, 3]],
    ['x[-6:4]', [1, 2, 3]],
    ['x[0:-4]', []],
    ['x[5:]', []],
    ['x[2:1]', []],
    ['x[-2:]', [2, 3]],
    ['x[1:-1]', [2]],
    ['x[:10]', [1, 2, 3]],
    ['x[-1:-3]', []],
  ])('%s', (e, want) => {
    const y = run(model('  input x: f32[3]', `  output y = ${e}`), x).y!;
    expect(y.shape).toEqual([want.length]);
    expect(y.data).toEqual(want);
  });
  test('a gradient through a clamped slice reaches exactly the elements it read', () => {
    const g = run(model('  input x: f32[3]', '  output g = grad(f)(x)', 'fn f(x) = sum(x[-5:2] * 10)'), x).g!;
    expect(g.data).toEqual([10, 10, 0]);
  });
  test('an integer position out of range is an error that names it as written', () => {
    const d = compileErr(model('  input x: f32[3]', '  output y = x[-4]'));
    expect(d[0]!.code).toBe('E0203');
    expect(d[0]!.message).toContain('index -4 is out of range for axis 0 of size 3');
  });
  test('on a symbolic axis, negative bounds count from the end', () => {
    const y = run(model('  input x: f32[T]', '  output a = x[-2:]\n  output b = x[1:-1]\n  output c = x[-3:-1]'), { x: { data: [1, 2, 3, 4], shape: [4] } });
    expect([y.a!.data, y.b!.data, y.c!.data]).toEqual([
      [3, 4],
      [2, 3],
      [2, 3],
    ]);
  });
});

describe('size-0 dims give empty outputs and gradients', () => {
  const empty = { x: { data: [], shape: [0, 3] }, a: { data: [], shape: [2, 0] }, b: { data: [], shape: [0, 3] } };
  const src = model(
    '  input x: f32[0, 3]\n  input a: f32[2, 0]\n  input b: f32[0, 3]',
    [
      '  output y = exp(x) * 2',
      '  output s = sum(x, axis = 0)',
      '  output t = sum(x, axis = 1)',
      '  output m = a @ b',
      '  output g = grad(f)(x)',
      '  output c = concat([x, b], axis = 0)',
      '  output z = x[1:, :2]',
    ].join('\n'),
    'fn f(x) = sum(square(x) + x)',
  );
  test('elementwise, reductions, matmul, gradient, concat and slices of empty tensors', () => {
    const r = run(src, empty);
    expect(r.y).toEqual({ data: [], shape: [0, 3] });
    expect(r.s).toEqual({ data: [0, 0, 0], shape: [3] });
    expect(r.t).toEqual({ data: [], shape: [0] });
    expect(r.m).toEqual({ data: [0, 0, 0, 0, 0, 0], shape: [2, 3] });
    expect(r.g).toEqual({ data: [], shape: [0, 3] });
    expect(r.c).toEqual({ data: [], shape: [0, 3] });
    expect(r.z).toEqual({ data: [], shape: [0, 2] });
  });
});

describe('pad: negative widths crop, value fills', () => {
  const x = { x: { data: range(9), shape: [3, 3] } };
  test('pad(x, [-1, -1], [1, 0]) crops the first row and column, then adds a zero row (as F.pad)', () => {
    const r = run(
      model('  input x: f32[3, 3]', '  output y = pad(x, [-1, -1], [1, 0])\n  output g = grad(f)(x)', 'fn f(x) = sum(pad(x, [-1, -1], [1, 0]) * iota(2))'),
      x,
    );
    expect(r.y).toEqual({ data: [5, 6, 8, 9, 0, 0], shape: [3, 2] });
    expect(r.g!.data).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 1]);
  });
  test('pad value: the fill takes no gradient', () => {
    const r = run(
      model('  input x: f32[2]', '  output y = pad(x, [1], [2], value = -1.5)\n  output g = grad(f)(x)', 'fn f(x) = sum(pad(x, [1], [1], value = 7) * x[0])'),
      { x: { data: [3, 4], shape: [2] } },
    );
    expect(r.y!.data).toEqual([-1.5, 3, 4, -1.5, -1.5]);
    // f = x0·(7 + x0 + x1 + 7): ∂/∂x0 = 14 + 2·x0 + x1, ∂/∂x1 = x0
    expect(r.g!.data).toEqual([14 + 6 + 4, 3]);
  });
  test('cropping more than the axis holds is an error', () => {
    const d = compileErr(model('  input x: f32[3, 3]', '  output y = pad(x, [-2, 0], [-2, 0])'));
    expect(d[0]!.code).toBe('E0203');
    expect(d[0]!.message).toContain('pad crops 4 entries from axis 0 of size 3');
  });
});

test('a padded constant is not that constant everywhere (simplify once took pad(1) for 1)', () => {
  const r = run(model('  input x: f32[4]', '  output y = x * pad(broadcast_to(2, [2]), [1], [1])'), { x: { data: [1, 2, 3, 4], shape: [4] } });
  expect(r.y!.data).toEqual([0, 4, 6, 0]);
});

describe('max pooling, max and maximum at −∞ and NaN (as PyTorch)', () => {
  const nan = NaN,
    inf = Infinity;
  test('a window of −∞ sends its gradient to its first element; a NaN window gives NaN, its gradient to the last NaN', () => {
    const r = run(
      model(
        '  input x: f32[1, 1, 2, 4]\n  input w: f32[1, 1, 2, 1]',
        '  output y = max_pool2d(x, [1, 4])\n  output g = grad(f)(x, w)',
        'fn f(x, w) = sum(max_pool2d(x, [1, 4]) * w)',
      ),
      { x: { data: [1, nan, 3, nan, -inf, -inf, -inf, -inf], shape: [1, 1, 2, 4] }, w: { data: [2, 3], shape: [1, 1, 2, 1] } },
    );
    expect(r.y!.data.map(String)).toEqual(['NaN', '-Infinity']);
    expect(r.g!.data).toEqual([0, 0, 0, 2, 3, 0, 0, 0]);
  });
  test('max over an axis with NaN: the value is NaN and the gradient is shared by the NaNs (torch.max)', () => {
    const r = run(model('  input x: f32[4]', '  output y = max(x)\n  output g = grad(max)(x)'), { x: { data: [1, nan, 3, nan], shape: [4] } });
    expect(r.y!.data.map(String)).toEqual(['NaN']);
    expect(r.g!.data).toEqual([0, 0.5, 0, 0.5]);
  });
  test('maximum/minimum with a NaN operand: NaN, and each side gets the whole cotangent (torch.maximum)', () => {
    const r = run(
      model(
        '  input x: f32[3]\n  input y: f32[3]',
        '  output v = maximum(x, y)\n  output gx = grad(f)(x, y)\n  output gy = grad(f, wrt = 1)(x, y)\n  output m = grad(h)(x, y)',
        'fn f(x, y) = sum(maximum(x, y))\nfn h(x, y) = sum(minimum(x, y))',
      ),
      { x: { data: [1, nan, 2], shape: [3] }, y: { data: [nan, 1, 2], shape: [3] } },
    );
    expect(r.v!.data.map(String)).toEqual(['NaN', 'NaN', '2']);
    expect(r.gx!.data).toEqual([1, 1, 0.5]);
    expect(r.gy!.data).toEqual([1, 1, 0.5]);
    expect(r.m!.data).toEqual([1, 1, 0.5]);
  });
  test('clip with lo > hi gives hi with zero gradient; clip and relu keep NaN', () => {
    const r = run(
      model(
        '  input x: f32[4]',
        '  output c = clip(x, 1, 0)\n  output g = grad(f)(x)\n  output n = clip(x, 0, 1)\n  output r = relu(x)',
        'fn f(x) = sum(clip(x, 1, 0))',
      ),
      { x: { data: [0.5, 2, -1, nan], shape: [4] } },
    );
    expect(r.c!.data.map(String)).toEqual(['0', '0', '0', 'NaN']);
    expect(r.g!.data.slice(0, 3)).toEqual([0, 0, 0]); // at NaN the cotangent passes (PyTorch: 0), see README
    expect(r.n!.data.map(String)).toEqual(['0.5', '1', '0', 'NaN']);
    expect(r.r!.data.map(String)).toEqual(['0.5', '2', '0', 'NaN']);
  });
});

describe('precision far out in the tails (log1p forms)', () => {
  const xs = [-800, -300, -40, -37, -1, 0, 1, 37, 40, 300];
  const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  test('softplus(x) for x ≲ −37 and log(sigmoid(x)) for x ≳ 37 keep their tiny values', () => {
    const r = run(model(`  input x: f32[${xs.length}]`, '  output s = softplus(x)\n  output l = log(sigmoid(x))\n  output m = log(1 - sigmoid(x))'), {
      x: { data: xs, shape: [xs.length] },
    });
    const rel = (a: number, b: number): boolean => a === b || Math.abs(a - b) <= 1e-14 * Math.abs(b);
    xs.forEach((x, i) => {
      expect(rel(r.s!.data[i]!, softplus(x)), `softplus(${x}) = ${r.s!.data[i]}`).toBe(true);
      expect(rel(r.l!.data[i]!, -softplus(-x)), `log σ(${x}) = ${r.l!.data[i]}`).toBe(true);
      expect(rel(r.m!.data[i]!, -softplus(x)), `log(1 − σ(${x})) = ${r.m!.data[i]}`).toBe(true);
    });
    expect(r.s!.data[1]).toBeGreaterThan(1e-131);
  });
});

test('variance and std: population by default, correction = 1 as torch.var/std', () => {
  const r = run(
    model(
      '  input x: f32[2, 4]',
      '  output v = variance(x, axis = 1)\n  output u = variance(x, axis = 1, correction = 1)\n  output s = std(x, correction = 1)',
    ),
    { x: { data: [1, 2, 3, 4, 2, 2, 2, 2], shape: [2, 4] } },
  );
  expect(r.v!.data).toEqual([1.25, 0]);
  expect(r.u!.data[0]).toBeCloseTo(5 / 3, 15);
  // all 8 values: mean 2.25, Σ(x − m)² = 5.5, / 7
  expect(r.s!.data[0]).toBeCloseTo(Math.sqrt(5.5 / 7), 15);
});

describe('indexing like NumPy: steps, none, integer tensors', () => {
  const x = { x: { data: range(6, 0), shape: [2, 3] } };
  test.each([
    ['x[:, ::2]', [0, 2, 3, 5], [2, 2]],
    ['x[:, ::-1]', [2, 1, 0, 5, 4, 3], [2, 3]],
    ['x[::-1, 2:0:-1]', [5, 4, 2, 1], [2, 2]],
    ['x[:, 5:-9:-2]', [2, 0, 5, 3], [2, 2]],
    ['x[:, 1::5]', [1, 4], [2, 1]],
    ['x[:, 0:0:-1]', [], [2, 0]],
    ['x[none]', range(6, 0), [1, 2, 3]],
    ['x[:, none]', range(6, 0), [2, 1, 3]],
    ['x[1, none, ::2]', [3, 5], [1, 2]],
    ['x[:, idx]', [2, 0, 2, 5, 3, 5], [2, 3]],
    ['x[1, idx]', [5, 3, 5], [3]],
    ['x[idx[1:2]]', [0, 1, 2], [1, 3]],
  ])('%s', (e, want, shape) => {
    const r = run(model('  input x: f32[2, 3]\n  input idx: i32[3]', `  output y = ${e}`), { ...x, idx: { data: [2, 0, 2], shape: [3] } });
    expect(r.y).toEqual({ data: want, shape });
  });
  test('gradients through a negative step and a tensor index', () => {
    const r = run(model('  input x: f32[2, 3]\n  input idx: i32[3]', '  output g = grad(f)(x, idx)', 'fn f(x, idx) = sum(x[:, ::-2] * 10) + sum(x[:, idx])'), {
      ...x,
      idx: { data: [2, 0, 2], shape: [3] },
    });
    expect(r.g!.data).toEqual([11, 0, 12, 11, 0, 12]);
  });
  test('step 0 and a step on a symbolic axis are located errors', () => {
    const d = compileErr(model('  input x: f32[4]', '  output y = x[::0]'));
    expect(d[0]!.message).toContain('slice ::0 has step 0');
    const s = compileErr(model('  input x: f32[T]', '  output y = x[::2]'));
    expect(s[0]!.message).toContain('symbolic size T');
  });
});
