// CST → AST only: one Ohm operation, `toAst`, that builds the nodes of ast/ast.ts with their spans.
// No name resolution or checking here. Positional-after-keyword arguments are collected for parse.ts.
import type { IterationNode, Node } from 'ohm-js';
import type * as A from '../ast/ast.js';
import type { Span } from '../diagnostics/span.js';
import grammar, { type DlmActionDict } from '../grammar/dlm.ohm-bundle.js';

/** State for one parse (parsing is synchronous, so a module-level slot is safe). */
export const parseState = { file: '', misplacedArgs: [] as Span[], badNumbers: [] as Span[] };

const sp = (n: Node): Span => ({ file: parseState.file, start: n.source.startIdx, end: n.source.endIdx });
const ast = <T>(n: Node): T => n['toAst']() as T;
const opt = <T>(n: IterationNode): T | undefined => (n.children[0] ? ast<T>(n.children[0]) : undefined);
const list = <T>(n: Node): T[] => n.asIteration().children.map((c) => ast<T>(c));
const ident = (n: Node): A.Ident => ({ name: n.sourceString, span: sp(n) });
const binary = (op: string, l: Node, r: Node, self: Node): A.Expr => ({ kind: 'Binary', op: op as A.BinaryOp, left: ast(l), right: ast(r), span: sp(self) });

const actions: DlmActionDict<unknown> = {
  Module(items) {
    return { kind: 'Module', file: parseState.file, items: items.children.map((c) => ast(c)), span: sp(this) } satisfies A.Module;
  },
  Import_path(_i, str, _as, alias) {
    return { kind: 'Import', module: str.sourceString.slice(1, -1), isPath: true, alias: ident(alias), span: sp(this) } satisfies A.ImportDecl;
  },
  Import_module(_i, name) {
    return { kind: 'Import', module: name.sourceString, isPath: false, alias: ident(name), span: sp(this) } satisfies A.ImportDecl;
  },
  FnDecl(_fn, name, _o, params, _c, ret, body, rule, _semi) {
    const r = opt<A.TypeAnn>(ret),
      g = opt<A.GradRule>(rule);
    return {
      kind: 'Fn',
      name: ident(name),
      params: list(params),
      ...(r ? { ret: r } : {}),
      body: ast(body),
      ...(g ? { grad: g } : {}),
      span: sp(this),
    } satisfies A.FnDecl;
  },
  GradRule(_g, _o, params, _c, body) {
    return { params: params.asIteration().children.map(ident), body: ast(body), span: sp(this) } satisfies A.GradRule;
  },
  RetType(_arrow, t) {
    return ast(t);
  },
  FnBody_expr(_eq, e) {
    return ast(e);
  },
  Param(name, type, dflt) {
    const t = opt<A.TypeAnn>(type),
      d = opt<A.Expr>(dflt);
    return { name: ident(name), ...(t ? { type: t } : {}), ...(d ? { default: d } : {}), span: sp(this) } satisfies A.Param;
  },
  ParamType(_c, t) {
    return ast(t);
  },
  ParamDefault(_e, e) {
    return ast(e);
  },
  LayerDecl(_l, name, _o, params, _c, _ob, members, _cb) {
    return { kind: 'Layer', name: ident(name), params: list(params), members: members.children.map((c) => ast(c)), span: sp(this) } satisfies A.LayerDecl;
  },
  LayerMember(m, _semi) {
    return ast(m);
  },
  ModelDecl(_m, name, _o, members, _c) {
    return { kind: 'Model', name: ident(name), members: members.children.map((c) => ast(c)), span: sp(this) } satisfies A.ModelDecl;
  },
  ModelMember(m, _semi) {
    return ast(m);
  },
  InputDecl(kw, name, _c, t) {
    return { kind: 'Input', role: kw.sourceString as 'input' | 'target', name: ident(name), type: ast(t), span: sp(this) } satisfies A.InputDecl;
  },
  StateDecl(_s, name, _c, t, _e, init) {
    return { kind: 'State', name: ident(name), type: ast(t), init: ast(init), span: sp(this) } satisfies A.StateDecl;
  },
  UpdateStmt(_u, name, _e, value, _semi) {
    return { kind: 'Update', name: ident(name), value: ast(value), span: sp(this) } satisfies A.UpdateStmt;
  },
  ParamDecl(_p, name, _c, t, _e, init) {
    return { kind: 'Param', name: ident(name), type: ast(t), init: ast(init), span: sp(this) } satisfies A.ParamDecl;
  },
  SubLayer(_l, name, _e, ctor) {
    return { kind: 'SubLayer', name: ident(name), ctor: ast(ctor), span: sp(this) } satisfies A.SubLayerDecl;
  },
  LetStmt(_l, name, _e, value, _semi) {
    return { kind: 'Let', name: ident(name), value: ast(value), span: sp(this) } satisfies A.LetStmt;
  },
  OutputDecl(_o, name, _e, value) {
    return { kind: 'Output', name: ident(name), value: ast(value), span: sp(this) } satisfies A.OutputDecl;
  },
  LossDecl(_l, name, value, trains, withOpt) {
    const n = opt<A.Ident>(name),
      t = opt<A.Expr[]>(trains),
      w = opt<{ e: A.Expr; groups?: A.OptimizerGroup[] }>(withOpt);
    return {
      kind: 'Loss',
      ...(n ? { name: n } : {}),
      value: ast(value),
      ...(t ? { trains: t } : {}),
      ...(w ? { optimizer: w.e } : {}),
      ...(w?.groups ? { optimizerGroups: w.groups } : {}),
      span: sp(this),
    } satisfies A.LossDecl;
  },
  LossWith(_w, e, groups) {
    const g = opt<A.OptimizerGroup[]>(groups);
    return { e: ast(e), ...(g ? { groups: g } : {}) };
  },
  OptimizerGroups(_o, groups, _c) {
    return groups.children.map((c) => ast(c));
  },
  OptimizerGroup(_g, _o, args, _c, _semi) {
    return { args: list<A.Arg>(args), span: sp(this) } satisfies A.OptimizerGroup;
  },
  LossName(name, _e) {
    return ident(name);
  },
  LossTrains(_t, list) {
    return list.asIteration().children.map((c) => ast(c));
  },
  TrainDecl(_t, _o, settings, _c) {
    return { kind: 'Train', settings: settings.children.map((c) => ast(c)), span: sp(this) } satisfies A.TrainDecl;
  },
  TrainSetting(name, _e, value, _semi) {
    return { name: ident(name), value: ast(value), span: sp(this) };
  },
  OptimizerDecl(_o, value, groups) {
    const g = opt<A.OptimizerGroup[]>(groups);
    return { kind: 'Optimizer', value: ast(value), ...(g ? { groups: g } : {}), span: sp(this) } satisfies A.OptimizerDecl;
  },
  TypeAnn(dt, dims) {
    const items = opt<(A.DimExpr | RestDim)[]>(dims) ?? [];
    const at = items.findIndex((d) => d.kind === 'Rest');
    const rest = at >= 0 ? { rest: { at, span: items[at]!.span } } : {};
    // a second `...` is kept as an unknown dimension named '...' (the checker reports it)
    const list = items.filter((_, i) => i !== at).map((d): A.DimExpr => (d.kind === 'Rest' ? { kind: 'DimName', name: '...', span: d.span } : d));
    return { kind: 'TypeAnn', dtype: dt.sourceString as A.TypeAnn['dtype'], dims: list, ...rest, span: sp(this) } satisfies A.TypeAnn;
  },
  Dims(_o, ds, _c) {
    return list(ds);
  },
  DimItem_rest(_d) {
    return { kind: 'Rest', span: sp(this) } satisfies RestDim;
  },
  DimExpr_add(l, _p, r) {
    return { kind: 'DimBin', op: '+', left: ast(l), right: ast(r), span: sp(this) } satisfies A.DimExpr;
  },
  DimExpr_sub(l, _p, r) {
    return { kind: 'DimBin', op: '-', left: ast(l), right: ast(r), span: sp(this) } satisfies A.DimExpr;
  },
  DimTerm_div(l, _p, r) {
    return { kind: 'DimBin', op: '/', left: ast(l), right: ast(r), span: sp(this) } satisfies A.DimExpr;
  },
  DimTerm_mul(l, _p, r) {
    return { kind: 'DimBin', op: '*', left: ast(l), right: ast(r), span: sp(this) } satisfies A.DimExpr;
  },
  DimAtom_paren(_o, d, _c) {
    return ast(d);
  },
  DimAtom_num(n) {
    return { kind: 'DimNum', value: Number(n.sourceString), span: sp(this) } satisfies A.DimExpr;
  },
  DimAtom_name(n) {
    return { kind: 'DimName', name: n.sourceString, span: sp(this) } satisfies A.DimExpr;
  },
  CmpExpr_cmp(l, op, r) {
    return binary(op.sourceString, l, r, this);
  },
  AddExpr_bin(l, op, r) {
    return binary(op.sourceString, l, r, this);
  },
  MulExpr_bin(l, op, r) {
    return binary(op.sourceString, l, r, this);
  },
  UnaryExpr_neg(_m, e) {
    return { kind: 'Unary', op: '-', operand: ast(e), span: sp(this) } satisfies A.Expr;
  },
  PowExpr_pow(l, _p, r) {
    return binary('**', l, r, this);
  },
  PostfixExpr_call(callee, _o, args, _c) {
    const as = list<A.Arg>(args);
    let seenKw = false;
    for (const a of as) {
      if (a.name) seenKw = true;
      else if (seenKw) parseState.misplacedArgs.push(a.span);
    }
    return { kind: 'Call', callee: ast(callee), args: as, span: sp(this) } satisfies A.Expr;
  },
  PostfixExpr_member(obj, _d, name) {
    return { kind: 'Member', object: ast(obj), name: ident(name), span: sp(this) } satisfies A.Expr;
  },
  PostfixExpr_index(obj, _o, items, _c) {
    return { kind: 'Index', object: ast(obj), indices: list(items), span: sp(this) } satisfies A.Expr;
  },
  Arg_kw(name, _e, value) {
    return { name: ident(name), value: ast(value), span: sp(this) } satisfies A.Arg;
  },
  Arg_pos(value) {
    return { value: ast(value), span: sp(this) } satisfies A.Arg;
  },
  IndexItem_slice(start, _c, end) {
    const s = opt<A.Expr>(start),
      e = opt<A.Expr>(end);
    return { kind: 'Slice', ...(s ? { start: s } : {}), ...(e ? { end: e } : {}), span: sp(this) } satisfies A.IndexItem;
  },
  IndexItem_step(start, _c, end, _c2, step) {
    const s = opt<A.Expr>(start),
      e = opt<A.Expr>(end),
      st = opt<A.Expr>(step);
    return { kind: 'Slice', ...(s ? { start: s } : {}), ...(e ? { end: e } : {}), ...(st ? { step: st } : {}), span: sp(this) } satisfies A.IndexItem;
  },
  IndexItem_at(e) {
    return { kind: 'At', value: ast(e), span: sp(this) } satisfies A.IndexItem;
  },
  Primary_paren(_o, e, _c) {
    return ast(e);
  },
  Primary_list(_o, items, _c) {
    return { kind: 'List', items: list(items), span: sp(this) } satisfies A.Expr;
  },
  Primary_num(n) {
    const value = Number(n.sourceString);
    if (!Number.isFinite(value)) parseState.badNumbers.push(sp(this));
    return { kind: 'Num', value, text: n.sourceString, span: sp(this) } satisfies A.Expr;
  },
  Primary_bool(b) {
    return { kind: 'Bool', value: b.sourceString === 'true', span: sp(this) } satisfies A.Expr;
  },
  Primary_str(s) {
    return { kind: 'Str', value: s.sourceString.slice(1, -1), span: sp(this) } satisfies A.Expr;
  },
  Primary_name(n) {
    return { kind: 'Name', name: n.sourceString, span: sp(this) } satisfies A.Expr;
  },
  Block(_o, lets, result, _c) {
    return { kind: 'Block', lets: lets.children.map((c) => ast(c)), result: ast(result), span: sp(this) } satisfies A.Expr;
  },
};

export const semantics = grammar.createSemantics().addOperation<unknown>('toAst', actions);
export { grammar };

/** A `...` among a type's dims, before TypeAnn sets it apart. */
interface RestDim {
  readonly kind: 'Rest';
  readonly span: Span;
}
