// The op set of issue 25 beyond the registry properties (tests/ops.test.ts, opspecial.test.ts check every
// new primitive) and PyTorch (tests/opsetTorch.test.ts): long sorts (many merge passes) compiled = the
// interpreter, gradients that reach only the selected positions, cumprod/prod at zeros, 0-d axes,
// squeeze of a non-1 axis, logsumexp keepdims and ±∞ rows, `where(isfinite(x), …)` in compiled code, the
// constructors, and located diagnostics for the new built-ins.
import { describe, expect, test } from 'vitest';
import { interpret } from '../compiler/ir/interp.js';
import { specialize } from '../compiler/jit/jit.js';
import { OPS } from '../compiler/ops/registry.js';
import { nativeUnavailable } from '../compiler/native/backend.js';
import { Rng } from '../runtime/random.js';
import { compileErr, compileOk } from './helpers/compile.js';
import { arrays, opProgram } from './helpers/numeric.js';

const f64 = (xs: readonly number[]) => Float64Array.from(xs) as unknown as Float32Array;
const run = (body: string, inputs: Record<string, { shape: number[]; data: number[] }>, precision: 'f64' | 'f32' = 'f64') => {
  const decl = Object.entries(inputs)
    .map(([k, v]) => `  input ${k}: f32[${v.shape.join(', ')}]`)
    .join('\n');
  // body: model members, or `fn …` lines, then `model`, then members
  const [fns, members] = body.includes('fn ') ? [body.slice(0, body.indexOf('model')), body.slice(body.indexOf('model') + 5)] : ['', body];
  const m = compileOk(`${fns}model M {\n${decl}\n${members}\n}`).model();
  const out = m.forward(Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, { shape: v.shape, data: f64(v.data) }])), precision);
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { shape: t.shape, data: [...t.data] }]));
};

describe('sorting', () => {
  test('a long argsort (non-power-of-two lines, many ties and NaN, strided axis) compiles to the interpreter’s stable order', () => {
    const rng = new Rng(3);
    for (const [shape, axis] of [
      [[3, 1000], 1],
      [[37, 2], 0],
      [[5, 129], 1],
    ] as const) {
      const n = shape[0] * shape[1];
      const x = Float64Array.from({ length: n }, () => (rng.uniform() < 0.05 ? NaN : Math.floor(rng.uniform() * 20) - 10));
      for (const descending of [false, true]) {
        const sample = { shapes: [[...shape]], attrs: { axis, descending } };
        const { f } = opProgram(OPS['argsort']!, sample, ['f32']);
        const want = interpret(f, arrays(sample, [x]), new Map()).outputs['out']!.data;
        for (const p of ['f64', 'f32'] as const) {
          const s = specialize(f, new Map(), p);
          s.module.run([p === 'f64' ? x : Float32Array.from(x)]);
          expect([...s.outputs['out']!]).toEqual([...want]);
        }
        // the reference is itself sorted and stable: keys are ordered, equal keys keep their index order
        const [L, stride, lines] = axis === 1 ? [shape[1], 1, shape[0]] : [shape[0], shape[1], shape[1]];
        for (let l = 0; l < lines; l++) {
          const base = axis === 1 ? l * L : l;
          const idx = Array.from({ length: L }, (_, j) => want[base + j * stride]!);
          const key = (i: number) => {
            const v = x[base + i * stride]!;
            return Number.isNaN(v) ? Infinity * (descending ? -1 : 1) * -(-1) : v;
          };
          for (let j = 1; j < L; j++) {
            const a = key(idx[j - 1]!),
              b = key(idx[j]!);
            const inOrder = descending ? Number.isNaN(x[base + idx[j - 1]! * stride]!) || a >= b : a <= b || Number.isNaN(x[base + idx[j]! * stride]!);
            expect(inOrder).toBe(true);
            if (a === b) expect(idx[j]!).toBeGreaterThan(idx[j - 1]!);
          }
        }
      }
    }
  });

  test('gradients of sort and topk reach exactly the selected positions; none flows through indices', () => {
    const r = run(
      `fn f(x) = sum(topk(x, 2) * [[1, 10], [100, 1000]])
fn g(x) = sum(sort(x, 1, descending = true)[:, 0:1])
fn h(x) = sum(cast(argsort(x, 1), f32) * x)
model
  output df = grad(f)(x)
  output dg = grad(g)(x)
  output dh = grad(h)(x)`,
      { x: { shape: [2, 3], data: [0.5, 2, -1, 7, 7, 3] } },
    );
    expect(r['df']!.data).toEqual([10, 1, 0, 100, 1000, 0]); // ties: the first 7 is the largest
    expect(r['dg']!.data).toEqual([0, 1, 0, 1, 0, 0]);
    expect(r['dh']!.data).toEqual([2, 0, 1, 2, 0, 1]); // the cast indices are constants
  });
});

describe('cumulative products and sums', () => {
  test('cumprod and prod at zeros: the derivative is the product of the others (no 0/0)', () => {
    const r = run(
      `fn p(x) = prod(x)
fn c(x) = sum(cumprod(x, 0))
model
  output dp = grad(p)(x)
  output dc = grad(c)(x)`,
      { x: { shape: [4], data: [2, 0, 3, 0.5] } },
    );
    expect(r['dp']!.data).toEqual([0, 3, 0, 0]);
    // Σ_k Π_{j≤k} x_j: d/dx0 = 1 + x1 + x1x2 + x1x2x3 = 1, d/dx1 = x0 + x0x2 + x0x2x3 = 2 + 6 + 3, d/dx2 = d/dx3 = 0
    expect(r['dc']!.data).toEqual([1, 11, 0, 0]);
    const two = run(`fn p(x) = prod(x)\nmodel\n  output dp = grad(p)(x)`, { x: { shape: [3], data: [0, 5, 0] } });
    expect(two['dp']!.data).toEqual([0, 0, 0]);
    // second order through linrec's adjoint (itself a linrec): ∂²Πx/∂xᵢ∂xⱼ = Π_{k≠i,j} x_k (0 on the diagonal), at a zero too
    const h = run(
      `fn p(x) = prod(x)
fn g(x) = sum(grad(p)(x))
model
  output hv = grad(g)(x)`,
      { x: { shape: [3], data: [2, 0, 3] } },
    );
    expect(h['hv']!.data).toEqual([0 + 3 + 0, 3 + 0 + 2, 0 + 2 + 0]);
  });
  test('discounted_cumsum gives RL returns G_t = r_t + γ·G_{t+1}, and cumsum(reverse) its γ = 1 case', () => {
    const r = run('  output g = discounted_cumsum(x, 0.5)\n  output c = cumsum(x, -1, reverse = true)\n  output p = prod(x, 1, keepdims = true)', {
      x: { shape: [2, 3], data: [1, 2, 4, 0, -8, 16] },
    });
    expect(r['g']!.data).toEqual([1 + 0.5 * (2 + 0.5 * 4), 2 + 0.5 * 4, 4, 0 + 0.5 * (-8 + 8), -8 + 8, 16]);
    expect(r['c']!.data).toEqual([7, 6, 4, 8, 8, 16]);
    expect(r['p']).toEqual({ shape: [2, 1], data: [8, -0] });
  });
});

describe('0-d tensors, squeeze, logsumexp', () => {
  test('axis 0 and −1 on a 0-d tensor (PyTorch) and squeeze of a non-1 axis (a no-op, as torch.squeeze)', () => {
    const r = run(
      `  let s = sum(x)
  output a = sum(s, 0)
  output b = mean(s, -1)
  output c = cumsum(s, 0)
  output d = argmax(s, -1)
  output e = sort(s, 0)
  output f = squeeze(x, 0)
  output g = squeeze(expand_dims(x, 0), [0, 1])
  output h = softmax(s, 0)
  output v = variance(s, -1)
  output q = squeeze(s, 0)
  output i = cumsum(cast(x, i32), 1)`,
      { x: { shape: [2, 3], data: [1, 2, 3, 4, 5, 6] } },
    );
    for (const k of ['a', 'b', 'c', 'e']) expect(r[k], k).toEqual({ shape: [], data: [21] });
    expect(r['d']).toEqual({ shape: [], data: [0] });
    expect(r['f']!.shape).toEqual([2, 3]);
    expect(r['g']!.shape).toEqual([2, 3]);
    expect(r['h']).toEqual({ shape: [], data: [1] });
    expect(r['v']).toEqual({ shape: [], data: [0] });
    expect(r['q']).toEqual({ shape: [], data: [21] });
    expect(r['i']!.data).toEqual([1, 3, 6, 4, 9, 15]);
    expect(compileErr('model M {\n  input x: f32[]\n  output y = sum(x, 1)\n}')[0]!.code).toBe('E0203');
  });
  test('logsumexp(…, keepdims = true) keeps the axis; a row of −∞ gives −∞ and a row with +∞ gives ∞ (torch.logsumexp), not NaN', () => {
    const r = run(
      `  let y = where(x > 0, x, -inf)
  output k = logsumexp(x, 1, keepdims = true)
  output n = logsumexp(y, 1)
  output p = logsumexp(where(x > 2, inf, x), 1)
  output a = logsumexp(x, all, keepdims = true)`,
      { x: { shape: [2, 3], data: [1, 2, 3, -1, -2, -3] } },
    );
    expect(r['k']!.shape).toEqual([2, 1]);
    expect(Math.abs(r['k']!.data[0]! - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)))).toBeLessThan(1e-15);
    expect(r['n']!.data[1]).toBe(-Infinity);
    expect(r['p']!.data[0]).toBe(Infinity);
    expect(r['a']!.shape).toEqual([1, 1]);
  });
  test('where(isfinite(x), x, 0) in compiled code (Number.isFinite returned a boolean, so the condition was always true)', () => {
    for (const p of ['f64', 'f32'] as const) {
      const r = run(
        '  output y = where(isfinite(x * 2), x, 0)\n  output z = cast(isfinite(x), f32)',
        { x: { shape: [4], data: [1, Infinity, NaN, -Infinity] } },
        p,
      );
      expect(r['y']!.data, p).toEqual([1, 0, 0, 0]);
      expect(r['z']!.data, p).toEqual([1, 0, 0, 0]);
    }
  });
});

describe('constructors and rearrangements', () => {
  test('zeros/ones/full/eye/arange/linspace; zeros() and ones() stay initializers', () => {
    const r = run(
      `  output z = zeros([2, 2]) + x[0]
  output o = ones([3], i32)
  output f = full([2], -1.5)
  output e = eye(3)
  output a = arange(2, 9, 3)
  output a2 = arange(0.5)
  output l = linspace(1, 0, 3)
  output l1 = linspace(2, 3, 1)`,
      { x: { shape: [1], data: [0.25] } },
    );
    expect(r['z']!.data).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(r['o']).toEqual({ shape: [3], data: [1, 1, 1] });
    expect(r['f']!.data).toEqual([-1.5, -1.5]);
    expect(r['e']!.data).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(r['a']!.data).toEqual([2, 5, 8]);
    expect(r['a2']!.data).toEqual([0]);
    expect(r['l']!.data).toEqual([1, 0.5, 0]);
    expect(r['l1']!.data).toEqual([2]);
    compileOk('model M {\n  input x: f32[2]\n  param w: f32[2] = zeros()\n  output y = x * w + ones([2])\n}');
  });
});

describe('diagnostics', () => {
  const at = (src: string, code: string, text: string) => {
    let d: ReturnType<typeof compileErr>;
    try {
      d = compileErr(src);
    } catch {
      throw new Error(`compiled: ${src.split('\n')[2]}`);
    }
    expect(d[0]!.code, d[0]!.message).toBe(code);
    expect(src.slice(d[0]!.span!.start, d[0]!.span!.end)).toBe(text);
    return d[0]!;
  };
  test('bad k, axes, indices, shifts and shapes are located errors', () => {
    const m = (line: string) => `model M {\n  input x: f32[2, 3]\n  output y = ${line}\n}`;
    expect(at(m('topk(x, 4)'), 'E0203', '4').message).toContain('k = 4');
    at(m('argmax(x, 2)'), 'E0203', '2');
    at(m('cumsum(x, 5)'), 'E0203', '5');
    at(m('cumsum(x)'), 'E0104', 'cumsum(x)');
    at(m('take_along_axis(x, [[0, 1, 2, 0]], 0)'), 'E0203', '[[0, 1, 2, 0]]');
    at(m('scatter_add(x, [[0, 1, 0]], [[1, 2]], 1)'), 'E0203', '[[1, 2]]');
    at(m('roll(x, [1, 2], 0)'), 'E0203', '[1, 2]');
    at(m('zeros([2, -1])'), 'E0203', '[2, -1]');
    at(m('argmax(x[:, 0:0], 1)'), 'E0203', 'argmax(x[:, 0:0], 1)');
    expect(at(m('argmin(x[0:0], 0)'), 'E0203', 'argmin(x[0:0], 0)').message).toContain('argmin');
    at(m('arange(0, 1, 0)'), 'E0203', 'arange(0, 1, 0)');
    at(m('sort(x, descending = maybe)'), 'E0101', 'maybe');
  });
  test('einsum specs are checked at compile time, the caret on the offending letter', () => {
    const m = (line: string) => `model M {\n  input x: f32[2, 3]\n  output y = ${line}\n}`;
    at(m('einsum("ij,jk->ik", x, x)'), 'E0240', 'j'); // j is 3 in x and 2 as the rows of the second x
    expect(compileErr(m('einsum("ij,jk->ik", x, x)'))[0]!.span!.start).toBe(m('einsum("ij,jk->ik", x, x)').indexOf('jk'));
    at(m('einsum("ij->iz", x)'), 'E0240', 'z');
    at(m('einsum("ij->ii", x)'), 'E0240', 'i');
    at(m('einsum("i.j->i", x)'), 'E0240', '.');
    at(m('einsum("ijk->i", x)'), 'E0240', 'ijk');
    at(m('einsum("ij,jk->ik", x)'), 'E0240', '"ij,jk->ik"');
    at(m('einsum("ij->i->j", x)'), 'E0240', '->');
    at(m('einsum(x, x)'), 'E0240', 'x');
    at(m('einsum("i...j...->i", x)'), 'E0240', '...');
    at(m('einsum("ijk...->i", x)'), 'E0240', 'ijk...');
    at(m('einsum("...i,...i", x, x[:, 0:2])'), 'E0240', 'i'); // i is 3 and 2
  });
});

describe('native backend', () => {
  const why = nativeUnavailable();
  test.skipIf(why !== undefined)(
    'the new kernels (merge sort, argmax, linrec, take/scatter along an axis) print as C that computes what JavaScript does',
    () => {
      const src = `fn f(x) = sum(topk(x, 3) * x[:, 0:3]) + sum(cumprod(x, 1) * x) + sum(scatter_add(x, argsort(x, 0), x * x, 0)) + prod(x[0])
model M {
  input x: f32[4, 37]
  output s = sort(x, 1, descending = true)
  output a = cast(argmax(x, 0), f32)
  output c = cumsum(x, 0, reverse = true)
  output g = grad(f)(x)
}`;
      const rng = new Rng(5);
      const x = { shape: [4, 37], data: Float32Array.from({ length: 148 }, () => Math.round(8 * rng.normal()) / 8) };
      const [js, native] = (['js', 'native'] as const).map((backend) => compileOk(src).model(undefined, { backend }));
      for (const p of ['f64'] as const) {
        const a = js!.forward({ x }, p),
          b = native!.forward({ x }, p);
        for (const k of Object.keys(a))
          [...a[k]!.data].forEach((v, i) => {
            expect(Math.abs(v - b[k]!.data[i]!) <= 1e-6 * (1 + Math.abs(v)), `${p} ${k}[${i}]`).toBe(true);
          });
      }
    },
    60_000,
  );
  if (why) console.warn(`tests/opset.test.ts native case skipped: ${why}`);
});

describe('gradients of the composites against central finite differences (float64)', () => {
  // Σₖ (k + 1)·vₖ + 0.1·vₖ² over v = f(x) flattened (position-dependent, so a permutation shows); the input
  // avoids ties and kinks by ≥ 0.05, so the differences never straddle one
  const CASES = [
    'prod(x, 1)',
    'cumprod(x, 0, reverse = true)',
    'einsum("ij,kj,kl->il", x, x, x)',
    'einsum("ii->i", x[:, 0:3])',
    'topk(x, 2)',
    'sort(x, 0)',
    'scatter(x, [[2, 0, 1, 2]], x[0:1] * 3, 0)',
    'scatter_add(x, [[1, 1, 0, 3]], x * x, 1)',
    'take_along_axis(x, [[3], [0], [2]], 1)',
    'logsumexp(x, 0, keepdims = true)',
    'hardswish(x * 2)',
    'mish(x)',
    'selu(x)',
    'tril(x, 1)',
    'roll(x, [1, 2], [0, 1])',
    'tile(x, [1, 2])',
    'discounted_cumsum(x, 0.9)',
    'linrec(x, x * x, 1)',
    'flip(x)',
  ];
  test('d Σ w·f(x) / dx agrees with (F(x + εe) − F(x − εe)) / 2ε for every case', () => {
    const loss = (c: string) => `{\n  let v = reshape(${c}, [-1])\n  sum(v * (cast(iota(dim(v, 0)), f32) + 1) + 0.1 * v * v)\n}`;
    const src = `${CASES.map((c, i) => `fn f${i}(x) ${loss(c)}\n`).join('')}model M {
  input x: f32[3, 4]
${CASES.map((_, i) => `  output v${i} = f${i}(x)\n  output g${i} = grad(f${i})(x)`).join('\n')}
}`;
    const m = compileOk(src).model();
    const x0 = [0.7, -1.3, 0.25, 2.1, -0.45, 1.6, -2.2, 0.95, 1.15, -0.8, 0.4, -1.75];
    const at = (x: readonly number[]) => m.forward({ x: { shape: [3, 4], data: f64(x) } }, 'f64');
    const base = at(x0),
      eps = 1e-6;
    const moved = (h: number) => x0.map((_, j) => at(x0.map((v, k) => (k === j ? v + h : v))));
    const plus = moved(eps),
      minus = moved(-eps);
    CASES.forEach((c, i) => {
      x0.forEach((_, j) => {
        const fd = (plus[j]![`v${i}`]!.data[0]! - minus[j]![`v${i}`]!.data[0]!) / (2 * eps),
          g = base[`g${i}`]!.data[j]!;
        expect(Math.abs(fd - g) <= 1e-7 + 1e-5 * Math.max(Math.abs(fd), Math.abs(g)), `${c}: d/dx[${j}] = ${g}, differences give ${fd}`).toBe(true);
      });
    });
  });
});
