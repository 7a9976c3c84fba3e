// A primitive called by name from .dlm. Its signature is the registry's: an op with compile-time
// arguments declares them (OpDef.call, e.g. sum's axis and keepdims), and this reads each argument by its
// declared kind and adds one node; an op without one takes its inputs as positional tensors.
import type { Span } from '../diagnostics/span.js';
import type { AttrValue, OpDef, Param, Signature } from '../ops/op.js';
import { opDef, type OpName } from '../ops/registry.js';
import { isShapeError } from '../types/shapes.js';
import { arg, axesArg, boolArg, checkArity, dimsArg, type CallArgs } from './args.js';
import type { ExprElab } from './expr.js';
import { ERROR, describe, type Binding } from './scope.js';

type Given = { readonly v: Binding; readonly span: Span };

/** op(x, y, …): every argument a tensor; the first tensor's dtype is the partner of bare numbers. */
const positional = (x: ExprElab, name: OpName, def: OpDef, a: CallArgs, span: Span): Binding => {
  if (a.kw.size) return x.c.err('E0104', [...a.kw.values()][0]!.span, `${name} takes no keyword arguments`);
  if (typeof def.arity === 'number' && a.pos.length !== def.arity) {
    return x.c.err('E0104', span, `${name} takes ${def.arity} argument${def.arity === 1 ? '' : 's'}, got ${a.pos.length}`);
  }
  const partner = a.pos.map((g) => (g.v.k === 'tensor' ? x.c.type(g.v.id).dtype : undefined)).find((d) => d !== undefined);
  const ids = a.pos.map((g) => x.c.tensor(g.v, g.span, partner));
  if (ids.some((i) => i === undefined)) return ERROR;
  return x.c.op(
    name,
    ids as number[],
    {},
    span,
    a.pos.map((g) => g.span),
  );
};

/** One compile-time argument as its attribute value; undefined after a diagnostic, null when left out. */
const compileTime = (x: ExprElab, def: OpDef, p: Param, g: Given | undefined, rank: number): AttrValue | null | undefined => {
  const what = p.what ?? p.name;
  if (p.kind === 'axes') return axesArg(x, g, rank);
  if (p.kind === 'bool') return boolArg(x, g, what);
  if (!g) return null;
  switch (p.kind) {
    case 'int':
      return x.c.staticInt(g.v, g.span, what);
    case 'dims':
      return dimsArg(x, g, what);
    case 'size':
      return x.c.staticValue(g.v, g.span, what);
    case 'dtype':
      if (g.v.k === 'dtype') return g.v.dtype;
      x.c.err('E0105', g.span, `${def.name} needs an element type (f32, i32, bool), found ${describe(g.v)}`);
      return undefined;
    default:
      return undefined;
  }
};

const withSignature = (x: ExprElab, name: OpName, def: OpDef, sig: Signature, a: CallArgs, span: Span): Binding => {
  const required = sig.params.filter((p) => !p.optional).length;
  if (
    !checkArity(
      x,
      a,
      span,
      def.name,
      sig.params.map((p) => p.name),
      required,
    )
  )
    return ERROR;
  const ins: number[] = [],
    spans: Span[] = [];
  const attrs: Record<string, AttrValue> = {};
  for (const [i, p] of sig.params.entries()) {
    const g = arg(a, i, p.name);
    if (p.kind === 'tensor' || p.kind === 'tensors') {
      if (!g) continue;
      if (p.kind === 'tensors' && (g.v.k !== 'list' || g.v.items.length === 0)) {
        return x.c.err('E0105', g.span, `${def.name} takes a non-empty list of tensors${p.example ? `, e.g. ${p.example}` : ''}`);
      }
      for (const item of p.kind === 'tensors' && g.v.k === 'list' ? g.v.items : [g.v]) {
        const id = x.c.tensor(item, g.span);
        if (id === undefined) return ERROR;
        ins.push(id);
        spans.push(g.span);
      }
      continue;
    }
    const v = compileTime(x, def, p, g, ins.length ? x.c.type(ins[0]!).shape.length : 0);
    if (v === undefined) return ERROR;
    if (v !== null) attrs[p.attr ?? p.name] = v;
  }
  const done = sig.resolve
    ? sig.resolve(
        attrs,
        ins.map((id) => x.c.type(id)),
      )
    : attrs;
  if (isShapeError(done)) return x.c.err(done.code ?? 'E0203', span, done.reason);
  return x.c.op(name, ins, done, span, spans);
};

/** The call of primitive `def` from source. */
export const callPrimitive = (x: ExprElab, name: OpName, a: CallArgs, span: Span): Binding => {
  const def = opDef(name)!;
  return def.call ? withSignature(x, name, def, def.call, a, span) : positional(x, name, def, a, span);
};
