// `grad(f)(args)` inside the language: f's body is inlined as a fresh region of IR and differentiated
// with respect to one argument by the same reverse-mode driver the training step uses.
import { zerosLike, vjp } from '../autodiff/grad.js';
import { note } from '../diagnostics/codes.js';
import type { Span } from '../diagnostics/span.js';
import { fmtType } from '../types/types.js';
import type { CallArgs } from './args.js';
import type { ExprElab } from './expr.js';
import { ERROR, type Binding } from './scope.js';

export const callGrad = (x: ExprElab, g: Binding & { k: 'grad' }, args: CallArgs, span: Span): Binding => {
  const target = args.pos[g.wrt];
  if (!target) return x.c.err('E0104', span, `grad(f, wrt = ${g.wrt}) needs at least ${g.wrt + 1} positional arguments`);
  const wrtId = x.c.tensor(target.v, target.span);
  if (wrtId === undefined) return ERROR;
  const t = x.c.type(wrtId);
  if (t.dtype !== 'f32') return x.c.err('E0301', target.span, `cannot differentiate with respect to a ${fmtType(t)} value: only f32 tensors have gradients`);
  const from = x.c.b.nodes.length;
  const pos = args.pos.map((a, i) => (i === g.wrt ? { v: { k: 'tensor' as const, id: wrtId }, span: a.span } : a));
  const out = x.apply(g.of, { pos, kw: args.kw }, span, undefined as never);
  if (out.k === 'error') return ERROR;
  const outId = x.c.tensor(out, span);
  if (outId === undefined) return ERROR;
  const ot = x.c.type(outId);
  if (ot.shape.length !== 0 || ot.dtype !== 'f32') {
    return x.c.err('E0302', span, `grad needs a function returning a scalar f32, but it returns ${fmtType(ot)}`, [
      note('reduce it first, e.g. with sum(...) or mean(...)'),
    ]);
  }
  const [ct] = x.c.b.at(span, () => vjp(x.c.b, { from, out: outId, wrt: [wrtId] }));
  return { k: 'tensor', id: ct ?? x.c.b.at(span, () => zerosLike(x.c.b, wrtId)) };
};
