// upsample(x, size = none, scale_factor = none, mode = nearest, align_corners = false) — also called
// interpolate, as PyTorch's F.interpolate: x is [N, C, L], [N, C, H, W] or [N, C, D, H, W]; exactly one
// of `size` (a number or one per axis) and `scale_factor` (output ⌊n·factor⌋, and the index rule uses
// 1/factor as PyTorch does); mode nearest, or linear / bilinear / trilinear for 1-, 2- and 3-D inputs.
import type { Span } from '../diagnostics/span.js';
import { upsampleScales } from '../ops/upsample.js';
import { fmtShape } from '../types/types.js';
import type { CallArgs } from './args.js';
import { checkNames, flag, get, ints, spatialInput } from './convArgs.js';
import type { ExprElab } from './expr.js';
import { ERROR, describe, type Binding } from './scope.js';

const LINEAR = ['', 'linear', 'bilinear', 'trilinear'];

export const upsample =
  (fn: string) =>
  (x: ExprElab, a: CallArgs, span: Span): Binding => {
    if (!checkNames(x, a, span, fn, ['x', 'size', 'scale_factor', 'mode', 'align_corners'])) return ERROR;
    const xa = get(a, 0, 'x');
    const rank = xa && xa.v.k === 'tensor' ? x.c.type(xa.v.id).shape.length : 4;
    const r = rank - 2;
    if (r < 1 || r > 3) {
      const got = fmtShape(x.c.type((xa!.v as { id: number }).id).shape);
      return x.c.err('E0254', xa!.span, `${fn} takes [N, C, L], [N, C, H, W] or [N, C, D, H, W], got ${got}`);
    }
    const inp = spatialInput(x, xa, fn, r, span);
    if (!inp) return ERROR;
    const mg = get(a, 3, 'mode');
    const mode = !mg ? 'nearest' : mg.v.k === 'word' && ['nearest', ...LINEAR.slice(1)].includes(mg.v.name) ? mg.v.name : undefined;
    if (!mode) return x.c.err('E0254', mg!.span, `${fn}'s mode is nearest, linear, bilinear or trilinear, found ${describe(mg!.v)}`);
    if (mode !== 'nearest' && mode !== LINEAR[r]) {
      const need = LINEAR.indexOf(mode) + 2;
      return x.c.err('E0254', mg!.span, `${fn}: mode ${mode} needs a ${need}-D input; the input ${fmtShape(inp.shape)} is ${r + 2}-D (use ${LINEAR[r]})`);
    }
    const ag = get(a, 4, 'align_corners');
    if (ag && mode === 'nearest') return x.c.err('E0254', ag.span, `${fn}: align_corners applies to the linear modes only (as PyTorch), not nearest`);
    const align = flag(x, ag, 'align_corners', false);
    const sg = get(a, 1, 'size'),
      fg = get(a, 2, 'scale_factor');
    const given = (g: typeof sg) => g !== undefined && !(g.v.k === 'word' && g.v.name === 'none');
    if (given(sg) === given(fg)) return x.c.err('E0254', span, `${fn} takes exactly one of size and scale_factor`);
    let out: number[] | undefined, factors: number[] | undefined;
    if (given(sg)) out = ints(x, sg, r, [], 'size', 1);
    else {
      const items = fg!.v.k === 'list' ? fg!.v.items : [fg!.v];
      if (items.length !== 1 && items.length !== r) {
        return x.c.err('E0254', fg!.span, `scale_factor takes a number or a list of ${r}, found a list of ${items.length}`);
      }
      const fs = items.map((it) => x.c.staticValue(it, fg!.span, 'scale_factor'));
      if (fs.some((f) => typeof f !== 'number')) return fs.some((f) => f === undefined) ? ERROR : x.c.err('E0254', fg!.span, 'scale_factor must be a number');
      factors = (fs.length === 1 ? new Array<number>(r).fill(fs[0] as number) : fs) as number[];
      if (factors.some((f) => !(f > 0) || !Number.isFinite(f))) {
        return x.c.err('E0254', fg!.span, `scale_factor must be positive and finite, found ${factors.join(', ')}`);
      }
      out = inp.sp.map((n, i) => Math.floor(n * factors![i]!));
      const bad = out.findIndex((o) => o < 1 || o > 2 ** 31 - 1);
      if (bad >= 0) {
        const why = `gives ${out[bad]} positions from ${inp.sp[bad]} on axis ${bad + 2} of ${fmtShape(inp.shape)}`;
        return x.c.err('E0254', fg!.span, `${fn}: scale_factor ${factors[bad]} ${why}`);
      }
    }
    if (!out || align === undefined) return ERROR;
    const m = mode === 'nearest' ? 'nearest' : 'linear';
    return x.c.op('upsample', [inp.id], { mode: m, align, out, scale: upsampleScales(m, align, inp.sp, out, factors), factor: factors ?? [] }, span, [
      xa!.span,
    ]);
  };
