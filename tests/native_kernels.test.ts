// The native backend's float32 matrix-product kernels (runtime/native/kernelsC.ts, gemmC.ts) against a
// float64 product computed here, to float32 rounding, on shapes chosen to reach each path:
//   packed (gemmC.ts): M ≥ 32, N ≥ 16 and K·N > 12288, with full and edge tiles, A and B transposed,
//   and any size with both transposed (mm_strided);
//   direct (mm_rows' register tiles, its wide tiles of one or two rows, mm_dots' dot products and its
//   transposed panel) below that.
// And the thread count: products of ≥ 2²⁰ multiply-adds split over two or three threads (the packed
// product's pool, poolC.ts; OpenMP for mm_rows' row blocks) give the same bits as one thread, on both
// paths. Also batched products folded into one (ops/matmul.ts) and the prelude's exp. Skipped, saying
// why, without a C compiler or koffi.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { nativeUnavailable, reprobeNative } from '../compiler/native/backend.js';
import { parallelLoop } from '../compiler/loops/parallel.js';
import * as loops from '../compiler/loops/loops.js';
import { setNativeThreads } from '../runtime/native/load.js';
import { Rng } from '../runtime/random.js';
import type { Tensor } from '../runtime/tensor.js';
import { compileOk } from './helpers/compile.js';

const why = nativeUnavailable();
if (why) console.warn(`tests/native_kernels.test.ts skipped: ${why}`);

type Layout = 'nn' | 'tn' | 'nt' | 'tt';
const normal = (r: Rng, n: number) => Float32Array.from({ length: n }, () => r.normal());

/** c = A·B for A [M, K] and B [K, N], given as stored (a transposed operand is stored transposed). */
const product = (M: number, N: number, K: number, layout: Layout, threads = 1, seed = 1) => {
  const [ta, tb] = [layout[0] === 't', layout[1] === 't'];
  const [ashape, bshape] = [ta ? [K, M] : [M, K], tb ? [N, K] : [K, N]];
  const expr = `${ta ? 'transpose(a)' : 'a'} @ ${tb ? 'transpose(b)' : 'b'}`;
  const src = `model P {\n  input a: f32[${ashape.join(', ')}]\n  input b: f32[${bshape.join(', ')}]\n  output c = ${expr}\n}`;
  const r = new Rng(seed);
  const a = normal(r, M * K),
    b = normal(r, K * N);
  const ins: Record<string, Tensor> = { a: { data: a, shape: ashape }, b: { data: b, shape: bshape } };
  setNativeThreads(threads);
  const m = compileOk(src).model(undefined, { backend: 'native' });
  const got = m.forward(ins)['c']!.data;
  const A = (i: number, k: number) => (ta ? a[k * M + i]! : a[i * K + k]!);
  const B = (k: number, j: number) => (tb ? b[j * K + k]! : b[k * N + j]!);
  return { got, A, B, source: m.run(m.ir.fn, ins).native!.source };
};

/** max over elements of |got − exact| / Σₖ |A[i,k]·B[k,j]| (float32 rounding of a K-term sum is ≲ K·2⁻²⁴ of that). */
const worst = (M: number, N: number, K: number, p: ReturnType<typeof product>): number => {
  let w = 0;
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0,
        abs = 0;
      for (let k = 0; k < K; k++) {
        const t = p.A(i, k) * p.B(k, j);
        s += t;
        abs += Math.abs(t);
      }
      w = Math.max(w, Math.abs(p.got[i * N + j]! - s) / abs);
    }
  return w;
};

describe.skipIf(why !== undefined)('native printer: selects', () => {
  // emitC.ts prints an if that only assigns locals (pooling's running maximum and its index) as a bounds
  // branch around selects; with padding the bounds fail at the edges, ties and NaN take the first
  test('max pooling with padding, dilation, ties and NaN: values and gradients equal the JavaScript backend', () => {
    const src =
      `model P {\n  input x: f32[2, 3, 7, 6]\n  param w: f32[3, 7, 6] = ones\n  output m = max_pool2d(x, 3, stride = 2, padding = 1, dilation = 2)\n` +
      `  loss sum(square(max_pool2d(x * w, 3, stride = 2, padding = 1))) + sum(max_pool2d(x * w, 2))\n}`;
    const r = new Rng(5);
    const data = Float32Array.from({ length: 2 * 3 * 7 * 6 }, (_, i) => (i % 11 === 0 ? 0.5 : i === 40 ? NaN : Math.round(r.normal() * 2) / 2));
    const ins = { x: { data, shape: [2, 3, 7, 6] } };
    const [js, native] = (['js', 'native'] as const).map((backend) => compileOk(src).model(undefined, { backend }));
    const source = native!.run(native!.ir.fn, ins).native!.source;
    expect(source).toMatch(/dlm_sel \?/);
    // the running maximum is a float, as the elements are (emitC.ts; tests/native_printer.test.ts)
    expect(source).toMatch(/elem best_\d+ = /);
    const a = js!.forward(ins)['m']!.data,
      b = native!.forward(ins)['m']!.data;
    expect(Array.from(b, (v) => v + 0)).toEqual(Array.from(a, (v) => v + 0));
    const clean = { x: { data: data.map((v) => (Number.isNaN(v) ? 1 : v)), shape: [2, 3, 7, 6] } };
    const ga = js!.valueAndGrad(clean).grads['w']!,
      gb = native!.valueAndGrad(clean).grads['w']!;
    // the same numbers (-ffast-math does not keep the sign of a zero gradient: x + 0 folds −0 into 0)
    expect(Array.from(gb, (v) => v + 0)).toEqual(Array.from(ga, (v) => v + 0));
  });
});

describe.skipIf(why !== undefined)('native matrix-product kernels', () => {
  afterEach(() => setNativeThreads(undefined));

  test.each([
    // packed: full tiles only, edge tiles in both directions, several K blocks (K > 384), transposed operands
    [64, 128, 200, 'nn'],
    [37, 45, 300, 'nn'],
    [40, 50, 800, 'nn'],
    // A read in place, a panel at a time: edge tiles in both directions in every block of K
    [45, 70, 800, 'nn'],
    [33, 70, 400, 'tn'],
    [50, 90, 300, 'nt'],
    // direct: small M, narrow N, B small enough for L1; mm_dots below and from 8 rows
    [20, 50, 30, 'nn'],
    [100, 40, 60, 'tn'],
    [6, 37, 25, 'nn'],
    [5, 7, 33, 'nt'],
    [30, 20, 40, 'nt'],
    // one or two rows (batch 1): 8 vectors, then fewer, then the last columns; 4 vectors
    [1, 300, 70, 'nn'],
    [2, 290, 50, 'tn'],
    [1, 64, 128, 'nn'],
    // both operands strided (native's mm_strided: the packed product whatever the size)
    [32, 64, 64, 'tt'],
    [5, 9, 7, 'tt'],
    [45, 70, 300, 'tt'],
  ] as const)('%i × %i × %i (%s) equals the float64 product to float32 rounding', (M, N, K, layout) => {
    const p = product(M, N, K, layout);
    expect(p.source).toMatch(layout === 'tt' ? /mm_strided\(/ : layout === 'nt' ? /mm_dots|mm_rows/ : /mm_rows/);
    expect(worst(M, N, K, p)).toBeLessThan(K * 2 ** -23);
  });

  test.each([
    [128, 160, 96, 'nn'],
    [96, 130, 120, 'nt'],
    [100, 140, 90, 'tt'], // packed (columns split)
    [40, 50, 800, 'nn'], // packed, three blocks of K, the last shorter (each panel's place is the longest block's)
    [203, 77, 96, 'nn'], // packed, A in place, edge tiles in both directions (panels split)
    [1200, 64, 16, 'nn'],
    [1100, 60, 16, 'tn'], // direct (row blocks split)
  ] as const)('%i × %i × %i (%s) on two and three threads gives the bits of one thread', (M, N, K, layout) => {
    expect(M * N * K).toBeGreaterThanOrEqual(2 ** 20);
    const one = product(M, N, K, layout, 1, 3),
      two = product(M, N, K, layout, 2, 3),
      three = product(M, N, K, layout, 3, 3);
    expect(worst(M, N, K, two)).toBeLessThan(K * 2 ** -23);
    expect(Buffer.from(two.got.buffer).equals(Buffer.from(one.got.buffer))).toBe(true);
    expect(Buffer.from(three.got.buffer).equals(Buffer.from(one.got.buffer))).toBe(true);
  });
});

describe.skipIf(why !== undefined)('native build without OpenMP', () => {
  // the kernels' threads are their own pool (poolC.ts), not OpenMP: a compiler that rejects -fopenmp
  // (clang without libomp) builds the kernels and modules, and two threads give one thread's bits
  test('a compiler failing on -fopenmp builds and runs the module, on two threads as on one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dlm-noomp-'));
    const saved = { cc: process.env['CC'], cache: process.env['DLM_CACHE_DIR'] };
    const wrapper = join(dir, 'cc');
    const real = saved.cc || 'cc';
    writeFileSync(wrapper, `#!/bin/sh\nfor a in "$@"; do [ "$a" = -fopenmp ] && { echo 'no OpenMP here' >&2; exit 1; }; done\nexec ${real} "$@"\n`);
    chmodSync(wrapper, 0o755);
    process.env['CC'] = wrapper;
    process.env['DLM_CACHE_DIR'] = join(dir, 'cache');
    reprobeNative();
    try {
      const p = product(128, 160, 96, 'nn', 2, 3),
        one = product(128, 160, 96, 'nn', 1, 3);
      expect(p.source).toMatch(/mm_rows/);
      expect(worst(128, 160, 96, p)).toBeLessThan(96 * 2 ** -23);
      expect(Buffer.from(p.got.buffer).equals(Buffer.from(one.got.buffer))).toBe(true);
    } finally {
      if (saved.cc === undefined) delete process.env['CC'];
      else process.env['CC'] = saved.cc;
      if (saved.cache === undefined) delete process.env['DLM_CACHE_DIR'];
      else process.env['DLM_CACHE_DIR'] = saved.cache;
      reprobeNative();
      setNativeThreads(undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe.skipIf(why !== undefined)('native batched products sharing B, and exp', () => {
  afterEach(() => setNativeThreads(undefined));

  // [.., M, K] @ [K, N]: the trailing batch axes whose A rows follow each other fold into one product of
  // more rows (B packed once); with a fused epilogue the last axis folds in groups that fit its scratch
  // (6 entries of 32 × 256: groups of 3), the epilogue indexed per entry; a transposed A does not fold
  test.each([
    ['a: f32[4, 3, 10, 20]', 'b: f32[20, 40]', 'a @ b', /mm_rows\(in0 \+ 0, 80, 4, .*, 120, 40, 20\);/],
    ['a: f32[5, 1, 20]', 'b: f32[20, 30]', 'a @ b', /mm_rows\(in0 \+ 0, 80, 4, .*, 5, 30, 20\);/],
    ['a: f32[2, 6, 32, 16]', 'b: f32[16, 256]', 'relu(a @ b + s)', /mm_rows\(in0 \+ ao_\d+, .*, 96, 256, 16\);\s+for \(long e_\d+ = 0; e_\d+ < 3;/],
    ['a: f32[3, 16, 20]', 'b: f32[16, 48]', 'matrix_transpose(a) @ b', /(mm_strided|mm_rows)\(in0 \+ ao_\d+, .*, 20, 48, 16\);/],
  ] as const)('%s @ %s as %s equals the JavaScript backend, the same bits on two threads', (a, b, expr, call) => {
    const src = `model P {\n  input ${a}\n  input ${b}\n  input s: f32[6, 32, 1]\n  output c = ${expr}\n}`;
    const r = new Rng(9);
    const shapeOf = (d: string) =>
      d
        .slice(d.indexOf('[') + 1, -1)
        .split(', ')
        .map(Number);
    const ins: Record<string, Tensor> = Object.fromEntries(
      [a, b, 's: f32[6, 32, 1]'].map((d) => [
        d[0]!,
        {
          data: normal(
            r,
            shapeOf(d).reduce((x, y) => x * y, 1),
          ),
          shape: shapeOf(d),
        },
      ]),
    );
    const want = compileOk(src).model(undefined, { backend: 'js' }).forward(ins)['c']!.data;
    const got = [1, 2].map((t) => {
      setNativeThreads(t);
      const m = compileOk(src).model(undefined, { backend: 'native' });
      const source = m.run(m.ir.fn, ins).native!.source;
      expect(source).toMatch(call);
      return m.forward(ins)['c']!.data;
    });
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[0]![i]! - want[i]!)).toBeLessThan(1e-5 * (1 + Math.abs(want[i]!)));
    expect(Buffer.from(got[1]!.buffer).equals(Buffer.from(got[0]!.buffer))).toBe(true);
  });

  // dlm_exp (preludeC.ts) passes x < -746 on as 0 (libmvec's slow path otherwise); subnormal results stay
  // subnormal, and loading a module leaves the JavaScript thread's subnormals alone (no crtfastmath)
  test('exp below -708 in float64: subnormal, then 0, NaN kept; JavaScript still has subnormals after a load', () => {
    const xs = [-700, -708.5, -720, -745, -745.2, -746, -800, -1e30, -Infinity, NaN, 0, 1, 700];
    const src = `model E {\n  input x: f32[${xs.length}]\n  output e = exp(x)\n}`;
    const m = compileOk(src).model(undefined, { backend: 'native' });
    const got = m.forward({ x: { data: Float64Array.from(xs), shape: [xs.length] } }, 'f64')['e']!.data;
    xs.forEach((x, i) => {
      const e = Math.exp(x);
      if (Number.isNaN(e)) expect(got[i]).toBeNaN();
      else expect(Math.abs(got[i]! - e), `exp(${x})`).toBeLessThanOrEqual(e * 1e-15 + Number.MIN_VALUE);
    });
    expect(got[3]).toBeGreaterThan(0);
    const tiny = Float64Array.of(2.2250738585072014e-308, 1e-310);
    expect([tiny[0]! / 4, tiny[1]! * 1]).toEqual([5.562684646268003e-309, 1e-310]);
  });
});

// moduleC.ts splits a top-level kernel's loop over threads only where loops/parallel.ts proves its iterations
// independent: each written buffer's accesses in a window of c elements around c·i, nothing carried over
describe('native printer: which loops run on threads', () => {
  const N = 1 << 16;
  const { add, load, loop, mul, num, set, letMut, store, v } = loops;
  test.each([
    ['out[i] = a[i] · 2', [loop('i', N, [store('o', v('i'), mul(load('a', v('i')), num(2)))])], true],
    ['rows: out[32i + j] = exp(a[32i + j]) after a row maximum', rowKernel(32), true],
    ['in place: o[i] = o[i] + 1', [loop('i', N, [store('o', v('i'), add(load('o', v('i')), num(1)))])], true],
    ['a row past its own: out[32i + j] for j < 33', rowKernel(33), false],
    ['the next element: o[i + 1] = o[i]', [loop('i', N, [store('o', add(v('i'), num(1)), load('o', v('i')))])], false],
    ['a gathered write: o[idx[i]] = 1', [loop('i', N, [store('o', load('idx', v('i')), num(1))])], false],
    ['a carried sum: s += a[i]; o[i] = s', [letMut('s', num(0)), loop('i', N, [set('s', add(v('s'), load('a', v('i')))), store('o', v('i'), v('s'))])], false],
    ['too small to pay', [loop('i', N / 4, [store('o', v('i'), load('a', v('i')))])], false],
  ] as const)('%s', (_, body, parallel) => {
    expect(parallelLoop(body as readonly loops.Stmt[]) !== undefined).toBe(parallel);
  });

  function rowKernel(w: number): loops.Stmt[] {
    const at = add(mul(v('i'), num(32)), v('j'));
    return [
      loop('i', N / 16, [
        letMut('m', num(-Infinity)),
        loop('j', w, [set('m', add(v('m'), load('a', at)))]),
        loop('j', w, [store('o', at, add(load('a', at), v('m')))]),
      ]),
    ];
  }

  test.skipIf(why !== undefined)('a model of such loops: the same bits on one and two threads and the JavaScript values, forward and gradient', () => {
    const src = 'model P {\n  input x: f32[512, 256]\n  param w: f32[256] = ones\n  output y = softmax(x * w) * gelu(x) + tanh(x)\n  loss sum(y * x)\n}';
    const ins = { x: { data: normal(new Rng(2), 512 * 256), shape: [512, 256] } };
    const js = compileOk(src).model(undefined, { backend: 'js' });
    const want = [js.forward(ins)['y']!.data, js.valueAndGrad(ins).grads['w']!];
    const got = [1, 2].map((t) => {
      setNativeThreads(t);
      const m = compileOk(src).model(undefined, { backend: 'native' });
      expect(m.run(m.ir.fn, ins).native!.source).toMatch(/_unit\(void \*dlm_ctx/);
      return [m.forward(ins)['y']!.data, m.valueAndGrad(ins).grads['w']!];
    });
    setNativeThreads(undefined);
    want.forEach((w, k) => {
      let err = 0;
      for (let i = 0; i < w.length; i++) err = Math.max(err, Math.abs(got[1]![k]![i]! - w[i]!) / (1 + Math.abs(w[i]!)));
      expect(err).toBeLessThan(k === 0 ? 1e-5 : 1e-4);
      expect(Buffer.from(got[1]![k]!.buffer).equals(Buffer.from(got[0]![k]!.buffer))).toBe(true);
    });
  });
});
