// argmax along one axis (argmin is argmax of −x, a built-in): the index of the largest element as i32,
// as torch.argmax: the first of tied maxima, and a NaN counts as larger than everything (the first NaN
// wins). No gradient (an integer result). An axis of static size 0 has no argmax (PyTorch raises too).
import { bin, let_, letMut, load, loop, num, sel, set, store, v, when, type Stmt } from '../loops/loops.js';
import { reduceShape, shapeError } from '../types/shapes.js';
import { fmtShape } from '../types/types.js';
import { along, axisAttr, checkAxis, forEachLine, genAxis, lineLoops } from './lines.js';
import { nd } from './ndarray.js';
import type { KernelArgs, OpDef } from './op.js';

/** Whether x beats the best so far: x > best, or x is the first NaN. */
const beats = (x: number, best: number): boolean => x > best || (x !== x && best === best);

const kernel = (k: KernelArgs): Stmt[] => {
  const [X] = k.ins as [string];
  const axis = axisAttr(k.attrs);
  let line = 0;
  const o = k.fresh('line');
  const body = lineLoops(k.fresh, k.inShapes[0]!, axis, (base, l) => {
    const best = k.fresh('best'),
      at = k.fresh('at'),
      j = k.fresh('k'),
      x = k.fresh('x'),
      win = k.fresh('win');
    line++;
    return [
      letMut(best, load(X, base)),
      letMut(at, num(0)),
      loop(
        j,
        l.n,
        [
          let_(x, load(X, along(base, v(j), l.inner))),
          // x > best, or x is NaN while best is not
          let_(win, sel(bin('>', v(x), v(best)), num(1), sel(bin('!=', v(x), v(x)), sel(bin('==', v(best), v(best)), num(1), num(0)), num(0)))),
          when([bin('==', v(win), num(1))], [set(best, v(x)), set(at, v(j))]),
        ],
        1,
      ),
      store(k.out, v(o), v(at)),
      set(o, bin('+', v(o), num(1))),
    ];
  });
  return line ? [letMut(o, num(0)), ...body] : [];
};

export const ARGMAX: OpDef = {
  name: 'argmax',
  arity: 1,
  attrs: { axis: 'int', keepdims: { kind: 'bool', optional: true } },
  kind: 'movement',
  internal: true,
  doc: 'index of the largest element along an axis (i32): the first of tied maxima, a NaN counts as the largest (the first NaN); no gradient',
  shape: ([x], a) => {
    const err = checkAxis('argmax', x!, a);
    if (err) return err;
    const ax = axisAttr(a);
    if (x!.shape[ax] === 0) return shapeError(`argmax over axis ${ax} of ${fmtShape(x!.shape)}, which is empty`, 0);
    return { dtype: 'i32', shape: reduceShape(x!.shape, [ax], a['keepdims'] === true) };
  },
  eval: ([x], a, out) => {
    const r = nd(out.shape);
    let line = 0;
    forEachLine(x!.shape, axisAttr(a), (base, s, n) => {
      let best = x!.data[base]!,
        at = 0;
      for (let j = 1; j < n; j++) {
        const y = x!.data[base + j * s]!;
        if (beats(y, best)) {
          best = y;
          at = j;
        }
      }
      r.data[line++] = at;
    });
    return r;
  },
  emit: { kind: 'kernel', kernel },
  differs: 'an axis of static size 0 is a compile-time error, a symbolic one that is 0 at run time gives 0 (torch.argmax raises)',
  edges: [
    { ins: [[1, NaN, 3, NaN]], attrs: { axis: 0 }, out: [1] },
    { ins: [[2, 5, 5, 1]], attrs: { axis: 0 }, out: [1] },
    { ins: [[-Infinity, -Infinity]], attrs: { axis: 0 }, out: [0] },
    { ins: [[-0, 0]], attrs: { axis: 0 }, out: [0] },
  ],
  vjp: () => [null],
  differentiable: false,
  gen: (k) => {
    const { shape, axis } = genAxis(k);
    return { shapes: [shape], attrs: { axis, keepdims: k.bool() } };
  },
  flops: (ins) => ins[0]!.reduce((p, d) => p * d, 1),
};
