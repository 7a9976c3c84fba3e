// The first-order linear recurrence along one axis, the primitive behind cumsum, cumprod, prod and
// discounted returns:
//   h₀ = b₀,  h_k = a_k·h_{k−1} + b_k          (reverse: from the last element to the first)
// cumsum(x) = linrec(1, x); cumprod(x) = linrec(x, [x₀, −0, −0, …]) (−0 so that h + b = h keeps −0);
// an RL return G_t = r_t + γ·G_{t+1} is linrec(γ, r, reverse).
// Its adjoint is the same recurrence run the other way (no division, so exact with zeros):
//   g_k = ct_k + a_{k+1}·g_{k+1}   (a reversed linrec of ct with a shifted by one),
//   ∂b_k = g_k,  ∂a_k = g_k·h_{k−1}  (h shifted by one, h_{−1} = 0; a₀ is never read, so ∂a₀ = 0).
// cumsum's derivative is thus the reverse cumsum, and cumprod's is right at zeros, to every order.
import { add, bin, let_, letMut, load, loop, mul, num, set, store, v, type Stmt } from '../loops/loops.js';
import { dimSub } from '../types/dims.js';
import { shapeError } from '../types/shapes.js';
import { fmtShape, type Dim, type Shape } from '../types/types.js';
import { promote } from './helpers.js';
import { along, axisAttr, checkAxis, forEachLine, genAxis, lineLoops, sameShape } from './lines.js';
import { nd } from './ndarray.js';
import type { GradBuilder, KernelArgs, OpDef, Value } from './op.js';

const rev = (a: Readonly<Record<string, unknown>>): boolean => a['reverse'] === true;

const kernel = (k: KernelArgs): Stmt[] => {
  const [A, B] = k.ins as [string, string];
  const axis = axisAttr(k.attrs),
    back = rev(k.attrs);
  return lineLoops(k.fresh, k.outShape, axis, (base, l) => {
    if (l.n === 0) return [];
    const h = k.fresh('h'),
      j = k.fresh('k'),
      at = k.fresh('at');
    // position of step j: j, or n − 1 − j backwards
    const pos = (e: ReturnType<typeof v>) => (back ? bin('-', num(l.n - 1), e) : e);
    const first = along(base, num(back ? l.n - 1 : 0), l.inner);
    return [
      letMut(h, load(B, first)),
      store(k.out, first, v(h)),
      loop(j, l.n, [let_(at, along(base, pos(v(j)), l.inner)), set(h, add(mul(load(A, v(at)), v(h)), load(B, v(at)))), store(k.out, v(at), v(h))], 1),
    ];
  });
};

/** x shifted by one along `axis` in the direction of the recurrence: y_k = x_{k−1} (x_{k+1} backwards), 0 at the start. */
const shifted = (b: GradBuilder, x: Value, shape: Shape, axis: number, towardEnd: boolean): Value => {
  const n = shape[axis]!;
  const begin: Dim[] = shape.map(() => 0),
    end: Dim[] = [...shape];
  const before: Dim[] = shape.map(() => 0),
    after: Dim[] = shape.map(() => 0);
  if (towardEnd) {
    end[axis] = dimSub(n, 1);
    before[axis] = 1;
  } else {
    begin[axis] = 1;
    after[axis] = 1;
  }
  return b.op('pad', [b.op('slice', [x], { begin, end })], { before, after });
};

export const LINREC: OpDef = {
  name: 'linrec',
  arity: 2,
  attrs: { axis: 'int', reverse: { kind: 'bool', optional: true } },
  kind: 'movement',
  internal: true,
  doc:
    'the linear recurrence h₀ = b₀, h_k = a_k·h_{k−1} + b_k along an axis (reverse: from the end), behind cumsum, cumprod, prod and discounted sums; ' +
    'its derivative is the same recurrence run backwards (exact at zeros)',
  shape: ([a, b], at) => {
    if (!sameShape(a!.shape, b!.shape)) return shapeError(`linrec needs operands of one shape, got ${fmtShape(a!.shape)} and ${fmtShape(b!.shape)}`, 1);
    const err = checkAxis('linrec', b!, at);
    if (err) return err;
    return { dtype: promote([a!.dtype, b!.dtype]), shape: b!.shape };
  },
  eval: ([a, b], at, out) => {
    const r = nd(out.shape);
    const back = rev(at);
    forEachLine(out.shape, axisAttr(at), (base, s, n) => {
      let h = 0;
      for (let j = 0; j < n; j++) {
        const i = base + (back ? n - 1 - j : j) * s;
        h = j === 0 ? b!.data[i]! : a!.data[i]! * h + b!.data[i]!;
        r.data[i] = h;
      }
    });
    return r;
  },
  emit: { kind: 'kernel', kernel },
  edges: [
    {
      ins: [
        [1, 1, 1],
        [Infinity, -Infinity, 1],
      ],
      attrs: { axis: 0 },
      out: [Infinity, NaN, NaN],
    }, // cumsum
    {
      ins: [
        [-0, 1],
        [-0, -0],
      ],
      attrs: { axis: 0 },
      out: [-0, -0],
    }, // cumprod keeps −0
    {
      ins: [
        [0.5, 0.5, 0.5],
        [1, 2, 4],
      ],
      attrs: { axis: 0, reverse: true },
      out: [3, 4, 4],
    }, // discounted returns
    {
      ins: [
        [NaN, 0],
        [1, 2],
      ],
      attrs: { axis: 0 },
      out: [1, 2],
    }, // a₀ is never read
  ],
  vjp: (b, ct, n) => {
    const axis = axisAttr(n.attrs),
      back = rev(n.attrs),
      shape = n.type.shape;
    if (shape[axis] === 0) return [ct, ct]; // empty: the cotangents are empty too
    const forward = !back;
    const g = b.op('linrec', [shifted(b, n.inputs[0]!, shape, axis, !forward), ct], { axis, reverse: forward });
    return [b.op('mul', [g, shifted(b, n.out, shape, axis, forward)]), g];
  },
  // forward mode: ḣ_k = a_k·ḣ_{k−1} + (ȧ_k·h_{k−1} + ḃ_k), the same recurrence over the tangents
  jvp: (b, t, n) => {
    const axis = axisAttr(n.attrs),
      shape = n.type.shape;
    const [ta, tb] = t;
    const fromA = ta ? b.op('mul', [ta, shifted(b, n.out, shape, axis, !rev(n.attrs))]) : null;
    const src = fromA && tb ? b.op('add', [fromA, tb]) : (fromA ?? tb)!;
    return shape[axis] === 0 ? src : b.op('linrec', [n.inputs[0]!, src], n.attrs);
  },
  differentiable: true,
  gen: (k) => {
    const { shape, axis } = genAxis(k);
    return { shapes: [shape, shape], attrs: { axis, reverse: k.bool() } };
  },
  flops: (_ins, out) => 2 * out.reduce((p, d) => p * d, 1),
};
