// Random programs aimed at the fusion planner's riskier decisions (compiler/codegen/fusion.ts): reductions
// (sum, max, mean, min, variance, logsumexp) over every subset of the axes of 1-, 2- and 3-D values, with
// and without keepdims, read back by broadcasting (a lower-rank result lines up with the trailing axes), on
// square shapes ([4, 4], [3, 3, 3], [2, 4, 4]) where a wrong index still reads a valid element, and on
// size-1 dims ([1, 4], [4, 1], [3, 1, 3]); chains of reductions (softmax-like, two reductions over
// different axes in one expression, per-row values used at several places, a value read by two outputs);
// views (transpose, reshape, expand_dims, broadcast_to, slices) around reductions and their inputs;
// reductions feeding a matmul and a matmul feeding a reduction; positions from iota cast to f32. Every
// program is well-typed by construction (shapes are tracked; only numpy broadcasts are emitted) and
// well-conditioned (divisions only by values ≥ 1). Compiled float64 (js backend) against the interpreter,
// with the plan as is and with the 'fusion' and 'epilogue' code generation steps switched off.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { modelWorst } from './helpers/compiledVsInterp.js';

type Shape = readonly number[];
interface Val {
  readonly text: string;
  readonly shape: Shape;
}

const INPUTS: Record<string, Shape> = {
  a: [4, 4],
  b: [3, 3, 3],
  c: [2, 4, 4],
  d: [1, 4],
  e: [4, 1],
  f: [3, 1, 3],
  g: [4, 3],
  h: [3, 4],
  v: [4],
};

const sizeOf = (s: Shape): number => s.reduce((x, y) => x * y, 1);
/** The largest relative difference over every output between compiled f64 (js backend) and the interpreter. */
const compare = (body: string, disable: string[] = []): number => modelWorst(body, INPUTS, { disable, backend: 'js' });

/** numpy broadcasting of two shapes, or undefined. */
const bcast = (s: Shape, t: Shape): Shape | undefined => {
  const n = Math.max(s.length, t.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = s[s.length - n + i] ?? 1,
      y = t[t.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(Math.max(x, y));
  }
  return out;
};

/** Factorizations of n into 1 to 3 factors. */
const shapesOfSize = (n: number): number[][] => {
  const out: number[][] = [[n]];
  for (let p = 1; p <= n; p++) {
    if (n % p) continue;
    out.push([p, n / p]);
    for (let q = 1; q <= n / p; q++) if ((n / p) % q === 0) out.push([p, q, n / p / q]);
  }
  return out;
};

const MAX_SIZE = 96;

/** One random step: let-bound values (texts may name earlier lets), well-typed by construction. */
const step = (pool: readonly Val[], pick: readonly number[], fresh: () => string): [string, Val][] => {
  let k = 0;
  const r = (n: number): number => pick[k++ % pick.length]! % n;
  const from = (vs: readonly Val[]): Val => vs[r(vs.length)]!;
  // mostly the newest value, so that steps chain (the output reads them)
  const a = pool.length > Object.keys(INPUTS).length && r(3) ? pool[pool.length - 1]! : from(pool);
  const rank = a.shape.length;

  /** A random non-empty subset of the axes of a rank-rk value, and its `axis = …, ` argument ('' for all, the default). */
  const pickAxes = (rk: number): { axes: number[]; axText: string } => {
    const mask = r(1 << rk) || 1 << r(rk);
    const axes = [...Array(rk).keys()].filter((i) => mask & (1 << i));
    const all = axes.length === rk && r(3) === 0;
    const ax = axes.map((i) => (r(2) ? i : i - rk));
    const axText = all ? '' : ax.length === 1 && r(2) ? `axis = ${ax[0]}, ` : `axis = [${ax.join(', ')}], `;
    return { axes, axText };
  };
  const reducedShape = (s: Shape, axes: readonly number[], keep: boolean): Shape =>
    keep ? s.map((d, i) => (axes.includes(i) ? 1 : d)) : s.filter((_, i) => !axes.includes(i));
  /** A reduction of x (of shape s) over a random non-empty subset of its axes. */
  const reduction = (x: string, s: Shape, keepOverride?: boolean): Val => {
    const { axes, axText } = pickAxes(s.length);
    const keep = keepOverride ?? r(2) === 0;
    const args = `${axText}keepdims = ${keep}`;
    const shape = reducedShape(s, axes, keep);
    const op = r(6);
    const text =
      op === 0
        ? `sum(${x}, ${args})`
        : op === 1
          ? `max(${x}, ${args})`
          : op === 2
            ? `mean(${x}, ${args})`
            : op === 3
              ? `(-max(-${x}, ${args}))`
              : op === 4
                ? `variance(${x}, ${args})`
                : `logsumexp(${x}, ${axText || `axis = [${axes.join(', ')}], `}keepdims = ${keep})`;
    return { text, shape };
  };
  /** x (of shape s) combined with y (of shape t) elementwise, if they broadcast. */
  const combine = (x: Val, y: Val): Val | undefined => {
    const shape = bcast(x.shape, y.shape);
    if (!shape || sizeOf(shape) > MAX_SIZE) return undefined;
    const op = r(6);
    const text =
      op === 0
        ? `(${x.text} + ${y.text})`
        : op === 1
          ? `(${x.text} - ${y.text})`
          : op === 2
            ? `(${x.text} * ${y.text})`
            : op === 3
              ? `(${x.text} / (${y.text} * ${y.text} + 1))`
              : op === 4
                ? `where(${x.text} > ${y.text}, ${x.text}, ${y.text})`
                : `(${y.text} / (${x.text} * ${x.text} + 1))`;
    return { text, shape };
  };
  /** x combined with a pool value it broadcasts with (x itself if none). */
  const readBack = (x: Val): Val => {
    const fits = pool.filter((p) => bcast(p.shape, x.shape) && sizeOf(bcast(p.shape, x.shape)!) <= MAX_SIZE);
    return (fits.length ? combine(fits[r(fits.length)]!, x) : undefined) ?? x;
  };
  /** An elementwise form of x that a reduction may read. */
  const pre = (x: string): string => [x, `(${x} * ${x})`, `exp(tanh(${x}))`, `relu(${x})`][r(4)]!;
  /** A view of x. */
  const view = (x: Val): Val | undefined => {
    const s = x.shape,
      rk = s.length;
    switch (r(6)) {
      case 0: {
        if (rk < 2) return undefined;
        if (rk === 2) return { text: `transpose(${x.text})`, shape: [s[1]!, s[0]!] };
        const perms = [
          [0, 2, 1],
          [1, 0, 2],
          [2, 1, 0],
          [1, 2, 0],
          [2, 0, 1],
        ];
        const p = perms[r(perms.length)]!;
        return { text: `transpose(${x.text}, [${p.join(', ')}])`, shape: p.map((i) => s[i]!) };
      }
      case 1: {
        const opts = shapesOfSize(sizeOf(s)).filter((t) => t.join() !== s.join());
        if (!opts.length) return undefined;
        const t = opts[r(opts.length)]!;
        return { text: `reshape(${x.text}, [${t.join(', ')}])`, shape: t };
      }
      case 2: {
        if (rk >= 3) return undefined;
        const at = r(rk + 1);
        const shape = [...s.slice(0, at), 1, ...s.slice(at)];
        return { text: `expand_dims(${x.text}, ${r(2) ? at : at - rk - 1})`, shape };
      }
      case 3: {
        const t = s.map((d) => (d === 1 ? [1, 2, 3, 4][r(4)]! : d));
        const shape = rk < 3 && (t.join() === s.join() || r(2)) ? [[2, 3, 4][r(3)]!, ...t] : t;
        if (shape.join() === s.join() || sizeOf(shape) > MAX_SIZE) return undefined;
        return { text: `broadcast_to(${x.text}, [${shape.join(', ')}])`, shape };
      }
      default: {
        const big = [...s.keys()].filter((i) => s[i]! > 1);
        if (!big.length || rk === 0) return undefined;
        const ax = big[r(big.length)]!;
        const kind = r(3);
        const idx = s.map((d, i) => (i !== ax ? ':' : kind === 0 ? '1:' : kind === 1 ? `:${d - 1}` : ':-1'));
        return { text: `${x.text}[${idx.join(', ')}]`, shape: s.map((d, i) => (i === ax ? d - 1 : d)) };
      }
    }
  };
  const one = (v: Val | undefined): [string, Val][] => (v && sizeOf(v.shape) <= MAX_SIZE && v.shape.length <= 3 ? [[fresh(), v]] : []);

  switch (r(11)) {
    // a reduction read back by broadcasting
    case 0:
    case 1: {
      if (rank === 0) return [];
      const red = reduction(pre(a.text), a.shape);
      return one(r(4) ? readBack(red) : red);
    }
    // an elementwise op of two values that broadcast
    case 2: {
      const fits = pool.filter((p) => bcast(p.shape, a.shape));
      return one(combine(a, fits[r(fits.length)]!));
    }
    // softmax-like: a reduction of an elementwise value of a reduction (the sum is ≥ 1: it holds e^0)
    case 3: {
      if (rank === 0) return [];
      const form = r(4);
      if (form === 0) return one({ text: `softmax(${a.text}, axis = ${r(rank) - (r(2) ? rank : 0)})`, shape: a.shape });
      const { axes, axText } = pickAxes(rank);
      const keep = form === 1;
      const [m, e] = [fresh(), fresh()];
      const sm = `sum(${e}, ${axText}keepdims = ${keep})`;
      const smShape = reducedShape(a.shape, axes, keep);
      const q = form !== 3 && bcast(a.shape, smShape);
      return [
        [m, { text: `max(${a.text}, ${axText}keepdims = true)`, shape: reducedShape(a.shape, axes, true) }],
        [e, { text: `exp(${a.text} - ${m})`, shape: a.shape }],
        [fresh(), q ? { text: `(${e} / ${sm})`, shape: q } : { text: `log(${sm})`, shape: smShape }],
      ];
    }
    // two reductions over different axes in one expression
    case 4: {
      if (rank === 0) return [];
      const r1 = reduction(pre(a.text), a.shape);
      const r2 = reduction(a.text, a.shape);
      const s1 = bcast(a.shape, r1.shape);
      const s12 = s1 && bcast(s1, r2.shape);
      if (s12 && sizeOf(s12) <= MAX_SIZE) return one({ text: `(${a.text} * ${r1.text} + ${r2.text})`, shape: s12 });
      const s = bcast(r1.shape, r2.shape);
      return s ? one({ text: `(${r1.text} - ${r2.text})`, shape: s }) : one(r1);
    }
    // a per-row value used at several places
    case 5: {
      if (rank === 0) return [];
      const t = fresh();
      const red = reduction(pre(a.text), a.shape);
      const row: Val = { text: `(${red.text} * 2 + 1)`, shape: red.shape };
      const s = bcast(a.shape, red.shape);
      if (!s) return [[t, row]];
      return [
        [t, row],
        [fresh(), { text: `(${a.text} / (${t} * ${t} + 1) + ${t} * ${a.text} - ${t})`, shape: s }],
      ];
    }
    // a view of a reduction, or a reduction of a view
    case 6: {
      if (rank === 0) return [];
      if (r(2)) {
        const v = view(reduction(pre(a.text), a.shape));
        return v ? one(r(2) ? readBack(v) : v) : [];
      }
      const v = view(a);
      if (!v || v.shape.length === 0) return [];
      const red = reduction(pre(v.text), v.shape);
      return one(r(2) ? readBack(red) : red);
    }
    // a plain view
    case 7:
      return one(view(a));
    // a matmul feeding a reduction, or a reduction feeding a matmul
    case 8: {
      const two = pool.filter((p) => p.shape.length === 2);
      let x = two[r(two.length)]!;
      if (r(2) && rank === 3) {
        // a reduction over one axis of a 3-D value, then the matmul
        const ax = r(3);
        const keep = r(2) === 0;
        const shape = a.shape.filter((_, i) => i !== ax);
        x = { text: keep ? `reshape(sum(${a.text}, axis = ${ax}, keepdims = true), [${shape.join(', ')}])` : `sum(${a.text}, axis = ${ax})`, shape };
      }
      const ws = pool.filter((p) => p.shape.length === 2 && p.shape[0] === x.shape[1]);
      const wt = pool.filter((p) => p.shape.length === 2 && p.shape[1] === x.shape[1]);
      let prod: Val | undefined;
      if (ws.length && (r(2) || !wt.length)) {
        const w = ws[r(ws.length)]!;
        prod = { text: `(${x.text} @ ${w.text})`, shape: [x.shape[0]!, w.shape[1]!] };
      } else if (wt.length) {
        const w = wt[r(wt.length)]!;
        prod = { text: `(${x.text} @ transpose(${w.text}))`, shape: [x.shape[0]!, w.shape[0]!] };
      }
      if (!prod) return [];
      const p = fresh();
      const form = r(4);
      if (form === 0) return [[p, prod]];
      const keep = form === 1;
      const red = `sum(${p}, axis = -1${keep ? ', keepdims = true' : ''})`;
      const redShape = keep ? [prod.shape[0]!, 1] : [prod.shape[0]!];
      const back = bcast(prod.shape, redShape);
      return [
        [p, prod],
        [fresh(), back ? { text: `(${p} - ${red} * 0.5)`, shape: back } : { text: `(${red} * 2 + 1)`, shape: redShape }],
      ];
    }
    // positions from iota cast to f32
    case 9: {
      if (rank === 0) return [];
      const ax = r(rank);
      // iota(1) broadcasts along the axis: a position-dependent value that must not read the loop index there
      const n = r(4) === 0 ? 1 : a.shape[ax]!;
      const tail = rank - 1 - ax;
      const pos = tail === 0 ? `cast(iota(${n}), f32)` : `reshape(cast(iota(${n}), f32), [${[n, ...Array(tail).fill(1)].join(', ')}])`;
      const form = r(3);
      if (form === 0) return one({ text: `(${a.text} + ${pos} * 0.25)`, shape: a.shape });
      if (form === 1) {
        const red = reduction(`(${a.text} * ${pos})`, a.shape);
        return one(readBack(red));
      }
      return one({ text: `(${a.text} * ${pos} - ${reduction(a.text, a.shape, true).text})`, shape: a.shape });
    }
    // unary ops, and a concat (its pieces are kernel boundaries)
    default: {
      const same = pool.filter((p) => p.shape.join() === a.shape.join());
      if (r(3) === 0 && rank > 0) {
        const ax = r(rank);
        const shape = a.shape.map((d, i) => (i === ax ? 2 * d : d));
        return one({ text: `concat([${a.text}, ${same[r(same.length)]!.text}], ${ax})`, shape });
      }
      const u = [`tanh(${a.text})`, `relu(${a.text})`, `exp(tanh(${a.text}))`, `(${a.text} * 2 + 1)`, `(-${a.text})`][r(5)]!;
      return one({ text: u, shape: a.shape });
    }
  }
};

const programArb = fc
  .tuple(fc.array(fc.array(fc.nat(1 << 20), { minLength: 12, maxLength: 12 }), { minLength: 1, maxLength: 5 }), fc.nat(100))
  .map(([picks, second]) => {
    const pool: Val[] = Object.entries(INPUTS).map(([k, s]) => ({ text: k, shape: s }));
    const lets: string[] = [];
    const names: string[] = [];
    let n = 0;
    const fresh = () => `t${n++}`;
    for (const p of picks) {
      if (lets.length >= 6) break;
      for (const [name, v] of step(pool, p, fresh)) {
        lets.push(`  let ${name} = ${v.text}`);
        names.push(name);
        pool.push({ text: name, shape: v.shape });
      }
    }
    const last = pool[pool.length - 1]!.text;
    // a second output reads an earlier let: a value read by two roots, or one that escapes
    const other = names.length > 1 && second % 2 ? `\n  output out2 = ${names[second % (names.length - 1)]}` : '';
    return `${lets.join('\n')}\n  output out = ${last}${other}`;
  });

describe('fusion fuzz: reductions, views and positions in fused loops', () => {
  test('random programs: compiled f64 = interpreter', () => {
    fc.assert(
      fc.property(programArb, (body) => {
        expect(compare(body)).toBeLessThan(1e-9);
      }),
      { numRuns: 120, seed: 20261203 },
    );
  });

  test.each([
    ['fusion', 20261204],
    ['epilogue', 20261205],
  ])('the same with the code generation step %s switched off', (off, seed) => {
    fc.assert(
      fc.property(programArb, (body) => {
        expect(compare(body, [off as string])).toBeLessThan(1e-9);
      }),
      { numRuns: 40, seed: seed as number },
    );
  });
});

// Programs the properties found, shrunk by hand; each failed until the fix named.
describe('fusion fuzz findings', () => {
  // An inline value of shape [1] that reads its position (iota(1), always 0) broadcast along an axis of
  // size > 1 was evaluated at the loop's index on that axis: treeExpr (placement.ts) passed axisIndex(lead +
  // axis) without the stride-0 treatment leafOf gives a size-1 axis, so iota(1) read 0, 1, 2, 3 instead of
  // 0, in every kernel that inlines it (with 'fusion' off the iota is stored and read correctly). Fixed:
  // a size-1 axis of an inline node reads index 0.
  test.each([
    ['v + cast(iota(1), f32)', 'map kernel'],
    ['a + cast(iota(1), f32)', 'map kernel, 2-D'],
    ['(a @ g) + cast(iota(1), f32)', 'matmul epilogue'],
    ['sum(a + cast(iota(1), f32), axis = 0)', 'reduce kernel'],
    ['a / (sum(a * a, axis = -1, keepdims = true) + 1) + cast(iota(1), f32)', 'row kernel'],
  ])('%s (%s): iota(1) broadcast along an axis is 0 at every index', (expr) => {
    expect(compare(`  output out = ${expr}`)).toBeLessThan(1e-9);
  });
});
