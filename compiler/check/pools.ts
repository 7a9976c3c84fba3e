// Pooling built-ins over 1, 2 or 3 spatial axes, with PyTorch's arguments:
//   max_pool{1,2,3}d(x, size, stride = size, padding = 0, dilation = 1, ceil_mode = false)
//   avg_pool{1,2,3}d(x, size, stride = size, padding = 0, ceil_mode = false, count_include_pad = true, divisor_override = none)
// Padding is a number, one per axis or [before, after] per axis (asymmetric). Max pooling is the
// maxpool2d/maxpool3d primitive (1-D goes through 2-D with height 1). Average pooling is a window sum
// (a depthwise convolution with a kernel of ones over the zero-padded input) divided by PyTorch's
// divisor at every output position, a product of one count per axis o:
//   with padding counted:  min(o·s − p0 + k, n + p1) − (o·s − p0)   (the window clipped to the padded input)
//   without:               min(o·s − p0 + k, n) − max(o·s − p0, 0)  (the input elements it covers)
import type { Span } from '../diagnostics/span.js';
import { poolAxes, poolOut } from '../ops/poolGeometry.js';
import type { OpName } from '../ops/registry.js';
import type { Dim } from '../types/types.js';
import type { CallArgs } from './args.js';
import { AXES, checkNames, flag, get, ints, padArg, shapeErr, spatialInput } from './convArgs.js';
import { convLowered } from './convs.js';
import type { ExprElab } from './expr.js';
import { ERROR, type Binding } from './scope.js';

type Op = (name: OpName, ins: number[], attrs: Record<string, unknown>) => number | undefined;
const opper =
  (x: ExprElab, span: Span): Op =>
  (name, ins, attrs) => {
    const r = x.c.op(name, ins, attrs, span);
    return r.k === 'tensor' ? r.id : undefined;
  };

interface Window {
  size: number[];
  stride: number[];
  pad: number[];
  dilation: number[];
  ceil: boolean;
}

/** Reads the common arguments; E0252 when a window does not fit (naming the input's shape). */
const windowArgs = (
  x: ExprElab,
  a: CallArgs,
  fn: string,
  r: number,
  sp: readonly number[],
  shape: readonly Dim[],
  span: Span,
  max: boolean,
): Window | undefined => {
  const size = ints(x, get(a, 1, 'size'), r, [], 'size', 1);
  if (size && !get(a, 1, 'size')) {
    x.c.err('E0104', span, `${fn} needs a window size: ${fn}(x, size)`);
    return undefined;
  }
  const stride = get(a, 2, 'stride') ? ints(x, get(a, 2, 'stride'), r, [], 'stride', 1) : size;
  const pad = padArg(x, get(a, 3, 'padding'), r);
  const dilation = max ? ints(x, get(a, 4, 'dilation'), r, new Array<number>(r).fill(1), 'dilation', 1) : new Array<number>(r).fill(1);
  const ceil = flag(x, get(a, max ? 5 : 4, 'ceil_mode'), 'ceil_mode', false);
  if (!size || !stride || !pad || !dilation || ceil === undefined) return undefined;
  const w: Window = { size, stride, pad, dilation, ceil };
  for (const [i, ax] of poolAxes(w as never).entries()) {
    const reach = ax.d * (ax.k - 1);
    const where = r === 1 ? '' : ` (${AXES[r]!.split(/, | and /)[i]})`;
    if (ax.p0 > reach || ax.p1 > reach) {
      const win = `${ax.k}${ax.d > 1 ? ` with dilation ${ax.d}` : ''}`;
      shapeErr(
        x,
        'E0252',
        get(a, 3, 'padding')?.span ?? span,
        `${fn}: padding ${ax.p0}+${ax.p1}${where} is more than a window of ${win} can overlap: each side must be at most ${reach}`,
        [{ what: 'the input', shape, span: get(a, 0, 'x')?.span }],
      );
      return undefined;
    }
    if (poolOut(sp[i]!, ax, ceil) < 1) {
      const win = `${ax.k}${ax.d > 1 ? ` with dilation ${ax.d}` : ''}`;
      shapeErr(x, 'E0252', span, `${fn}: a window of ${win} does not fit in ${sp[i]}${where} with padding ${ax.p0}+${ax.p1}`, [
        { what: 'the input', shape, span: get(a, 0, 'x')?.span },
      ]);
      return undefined;
    }
  }
  return w;
};

/** max_pool{r}d: the primitive for 2-D and 3-D; 1-D as 2-D over [N, C, 1, L]. */
export const maxPool =
  (r: 1 | 2 | 3) =>
  (x: ExprElab, a: CallArgs, span: Span): Binding => {
    const fn = `max_pool${r}d`;
    if (!checkNames(x, a, span, fn, ['x', 'size', 'stride', 'padding', 'dilation', 'ceil_mode'])) return ERROR;
    const inp = spatialInput(x, get(a, 0, 'x'), fn, r, span);
    if (!inp) return ERROR;
    const w = windowArgs(x, a, fn, r, inp.sp, inp.shape, span, true);
    if (!w) return ERROR;
    if (r !== 1) return x.c.op(`maxpool${r}d`, [inp.id], { ...w }, span, [get(a, 0, 'x')!.span]);
    const op = opper(x, span);
    const [N, C] = inp.shape as [Dim, number];
    const x2 = op('reshape', [inp.id], { shape: [N, C, 1, inp.sp[0]!] });
    const attrs = { size: [1, ...w.size], stride: [1, ...w.stride], pad: [0, 0, ...w.pad], dilation: [1, ...w.dilation], ceil: w.ceil };
    const y = x2 === undefined ? undefined : op('maxpool2d', [x2], attrs);
    const o = y === undefined ? undefined : op('reshape', [y], { shape: [N, C, x.c.type(y).shape[3]!] });
    return o === undefined ? ERROR : { k: 'tensor', id: o };
  };

/** avg_pool{r}d: Σ over the zero-padded window / PyTorch's divisor (see the file comment). */
export const avgPool =
  (r: 1 | 2 | 3) =>
  (x: ExprElab, a: CallArgs, span: Span): Binding => {
    const fn = `avg_pool${r}d`;
    if (!checkNames(x, a, span, fn, ['x', 'size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override'])) return ERROR;
    const inp = spatialInput(x, get(a, 0, 'x'), fn, r, span);
    if (!inp) return ERROR;
    const w = windowArgs(x, a, fn, r, inp.sp, inp.shape, span, false);
    const incl = flag(x, get(a, 5, 'count_include_pad'), 'count_include_pad', true);
    const dg = get(a, 6, 'divisor_override');
    const override = !dg || (dg.v.k === 'word' && dg.v.name === 'none') ? undefined : ints(x, dg, 1, [], 'divisor_override', 1)?.[0];
    if (!w || incl === undefined || (dg && !(dg.v.k === 'word' && dg.v.name === 'none') && override === undefined)) return ERROR;
    const op = opper(x, span);
    const [N, C] = inp.shape as [Dim, number];
    const axes = poolAxes(w as never);
    const outs = axes.map((ax, i) => poolOut(inp.sp[i]!, ax, w.ceil));
    // Windows that reach past the padded input read zeros (they add nothing to the sum); rows no window
    // reaches are cut off, so the convolution's sizes divide evenly.
    const far = axes.map((ax, i) => (outs[i]! - 1) * ax.s + ax.k - ax.p0 - inp.sp[i]!);
    const kept = inp.sp.map((n, i) => Math.min(n, n + far[i]!));
    let src = inp.id;
    if (kept.some((n, i) => n !== inp.sp[i])) {
      const cut = op('slice', [src], { begin: new Array<number>(r + 2).fill(0), end: [N, C, ...kept] });
      if (cut === undefined) return ERROR;
      src = cut;
    }
    const pad = axes.flatMap((ax, i) => [ax.p0, Math.max(far[i]!, 0)]);
    const b = x.c.b;
    // 1-D pools go through 2-D with height 1
    const sp2 = r === 1 ? [1, kept[0]!] : kept;
    const xs = r === 1 ? op('reshape', [src], { shape: [N, C, ...sp2] }) : src;
    const ones = b.at(span, () => b.op('broadcast_to', [b.num(1)], { shape: [C, 1, ...(r === 1 ? [1, w.size[0]!] : w.size)] }));
    const geo =
      r === 1
        ? { stride: [1, w.stride[0]!], pad: [0, 0, ...pad], dilation: [1, 1], groups: C }
        : { stride: w.stride, pad, dilation: w.size.map(() => 1), groups: C };
    const sum = xs === undefined ? undefined : convLowered(x, xs, ones, geo, span);
    if (sum === undefined) return ERROR;
    const sum1 = r === 1 ? op('reshape', [sum], { shape: [N, C, outs[0]!] }) : sum;
    if (sum1 === undefined) return ERROR;
    if (override !== undefined) return { k: 'tensor', id: b.at(span, () => b.op('div', [sum1, b.num(override)])) };
    // divisor = Π over axes of count_i(o_i); where every window has the same count (no padding counted
    // differently, no ragged end) it is one number, else vectors built from iota (small integers, exact in f32)
    const counts = axes.map((ax, i) =>
      Array.from({ length: outs[i]! }, (_, o) => {
        const start = o * ax.s - ax.p0,
          n = inp.sp[i]!;
        return incl ? Math.min(start + ax.k, n + ax.p1) - start : Math.min(start + ax.k, n) - Math.max(start, 0);
      }),
    );
    if (counts.every((c) => c.every((q) => q === c[0]))) {
      return { k: 'tensor', id: b.at(span, () => b.op('div', [sum1, b.num(counts.reduce((p, c) => p * c[0]!, 1))])) };
    }
    let divisor: number | undefined;
    for (const [i, ax] of axes.entries()) {
      const n = inp.sp[i]!;
      const c = b.at(span, () => {
        const start = b.op('sub', [b.op('mul', [b.op('cast', [b.op('iota', [], { n: outs[i]! })], { dtype: 'f32' }), b.num(ax.s)]), b.num(ax.p0)]);
        const end = b.op('add', [start, b.num(ax.k)]);
        const count = incl
          ? b.op('sub', [b.op('minimum', [end, b.num(n + ax.p1)]), start])
          : b.op('sub', [b.op('minimum', [end, b.num(n)]), b.op('maximum', [start, b.num(0)])]);
        return b.op('reshape', [count], { shape: outs.map((o, j) => (j === i ? o : 1)) });
      });
      divisor = divisor === undefined ? c : b.at(span, () => b.op('mul', [divisor!, c]));
    }
    return { k: 'tensor', id: b.at(span, () => b.op('div', [sum1, divisor!])) };
  };
