// argsort along one axis: the permutation that sorts each line, as i32, stable (equal elements keep their
// order, as torch.sort(stable=True) and np.argsort(kind='stable')); a NaN sorts as larger than every
// number (last ascending, first descending; −0 and 0 are equal). sort/topk are built-ins over it:
// values = take_along(x, argsort(x)), so their gradient reaches only the selected positions.
// The kernel is a bottom-up merge sort of the indices (O(n log n)) in a scratch buffer of 2n entries.
import { bin, call, let_, letMut, load, loop, num, sel, set, store, v, when, type Expr, type Stmt } from '../loops/loops.js';
import { InternalError } from '../diagnostics/diagnostic.js';
import { shapeError } from '../types/shapes.js';
import { along, axisAttr, checkAxis, forEachLine, genAxis, lineLoops } from './lines.js';
import { nd } from './ndarray.js';
import { freshNames, type Attrs, type KernelArgs, type OpDef } from './op.js';

const desc = (a: Attrs): boolean => a['descending'] === true;

/** Whether x goes strictly before y: x < y (x > y descending), NaN counting as the largest. */
const before = (x: number, y: number, d: boolean): boolean => (d ? x > y || (x !== x && y === y) : x < y || (y !== y && x === x));
const beforeExpr = (x: Expr, y: Expr, d: boolean): Expr => {
  const nan = (e: Expr) => bin('!=', e, e),
    num_ = (e: Expr) => bin('==', e, e);
  const [big, small] = d ? [x, y] : [y, x];
  // d: x > y or (x NaN and y not);  else: x < y or (y NaN and x not)
  return sel(bin('<', small, big), num(1), sel(nan(big), sel(num_(small), num(1), num(0)), num(0)));
};

const kernel = (k: KernelArgs): Stmt[] => {
  const [X] = k.ins as [string];
  const axis = axisAttr(k.attrs),
    d = desc(k.attrs);
  const shape = k.inShapes[0]!,
    n = shape[axis]!;
  if (!k.scratch) throw new InternalError('argsort: the kernel needs a scratch buffer');
  if (n === 0) return [];
  const S = k.scratch(2 * n);
  return lineLoops(k.fresh, shape, axis, (base, l) => {
    const j0 = k.fresh('j');
    const body: Stmt[] = [loop(j0, n, [store(S, v(j0), v(j0))])];
    let src = 0;
    for (let w = 1; w < n; w *= 2) {
      const dst = n - src;
      const [lo, mid, hi, i, j, t, si, sj, right] = freshNames(k, ['lo', 'mid', 'hi', 'i', 'j', 't', 'si', 'sj', 'right']);
      const key = (s: string) => load(X, along(base, v(s), l.inner));
      body.push(
        loop(
          lo!,
          n,
          [
            let_(mid!, call('min', bin('+', v(lo!), num(w)), num(n))),
            let_(hi!, call('min', bin('+', v(lo!), num(2 * w)), num(n))),
            letMut(i!, v(lo!)),
            letMut(j!, v(mid!)),
            loop(
              t!,
              v(hi!),
              [
                let_(si!, load(S, bin('+', num(src), call('min', v(i!), num(n - 1))))),
                let_(sj!, load(S, bin('+', num(src), call('min', v(j!), num(n - 1))))),
                // take from the right run only when it is strictly before the left one (stability)
                let_(right!, sel(bin('>=', v(i!), v(mid!)), num(1), sel(bin('>=', v(j!), v(hi!)), num(0), beforeExpr(key(sj!), key(si!), d)))),
                when([bin('==', v(right!), num(1))], [store(S, bin('+', num(dst), v(t!)), v(sj!)), set(j!, bin('+', v(j!), num(1)))]),
                when([bin('==', v(right!), num(0))], [store(S, bin('+', num(dst), v(t!)), v(si!)), set(i!, bin('+', v(i!), num(1)))]),
              ],
              v(lo!),
            ),
          ],
          0,
          2 * w,
        ),
      );
      src = dst;
    }
    const j1 = k.fresh('j');
    body.push(loop(j1, n, [store(k.out, along(base, v(j1), l.inner), load(S, bin('+', num(src), v(j1))))]));
    return body;
  });
};

export const ARGSORT: OpDef = {
  name: 'argsort',
  arity: 1,
  attrs: { axis: 'int', descending: { kind: 'bool', optional: true } },
  kind: 'movement',
  internal: true,
  doc: 'the stable sorting permutation along an axis (i32), ascending or `descending`; a NaN sorts as the largest; no gradient',
  shape: ([x], a) => {
    const err = checkAxis('argsort', x!, a);
    if (err) return err;
    return x!.dtype === 'bool' || x!.dtype === 'i32' || x!.dtype === 'f32' ? { dtype: 'i32', shape: x!.shape } : shapeError(`argsort of ${x!.dtype}`, 0);
  },
  eval: ([x], a, out) => {
    const r = nd(out.shape),
      d = desc(a);
    forEachLine(x!.shape, axisAttr(a), (base, s, n) => {
      const key = (i: number) => x!.data[base + i * s]!;
      const order = [...Array(n).keys()].sort((p, q) => (before(key(p), key(q), d) ? -1 : before(key(q), key(p), d) ? 1 : 0));
      order.forEach((i, j) => {
        r.data[base + j * s] = i;
      });
    });
    return r;
  },
  emit: { kind: 'kernel', kernel },
  edges: [
    { ins: [[NaN, 1, -0, 0, -Infinity]], attrs: { axis: 0 }, out: [4, 2, 3, 1, 0] },
    { ins: [[NaN, 1, -0, 0, -Infinity]], attrs: { axis: 0, descending: true }, out: [0, 1, 2, 3, 4] },
    { ins: [[2, 1, 2, 1]], attrs: { axis: 0, descending: true }, out: [0, 2, 1, 3] },
  ],
  vjp: () => [null],
  differentiable: false,
  gen: (k) => {
    const { shape, axis } = genAxis(k);
    return { shapes: [shape], attrs: { axis, descending: k.bool() } };
  },
  flops: (ins, _o, a) => {
    const n = ins[0]![axisAttr(a)] ?? 1;
    return ins[0]!.reduce((p, q) => p * q, 1) * Math.ceil(Math.log2(n + 1));
  },
};
