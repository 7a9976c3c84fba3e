// Elaboration of expressions: literals, names, operators, indexing, blocks and calls (user functions,
// layers, built-ins, primitives, grad). Static arithmetic (dims, literals) is folded here.
import { didYouMean } from '../diagnostics/suggest.js';
import type { Arg, BinaryOp, Expr, FnDecl, UpdateStmt } from '../ast/ast.js';
import { printType } from '../ast/print.js';
import type { Span } from '../diagnostics/span.js';
import { note } from '../diagnostics/codes.js';
import { InternalError } from '../diagnostics/diagnostic.js';
import type { OpName } from '../ops/registry.js';
import { dimAdd, dimDiv, dimMul, dimSub } from '../types/dims.js';
import { fmtType, sameShape, sameType } from '../types/types.js';
import type { CallArgs } from './args.js';
import { BUILTINS } from './builtins.js';
import { logical } from './builtinsShape.js';
import type { Elab } from './elab.js';
import { callPrimitive } from './call.js';
import { callGrad } from './gradcall.js';
import { callCustom } from './customGrad.js';
import { isStackOverflow } from './limits.js';
import { stdlibDoc } from './stdlibDoc.js';
import { indexTensor } from './index.js';
import { ERROR, describe, type Binding, type Scope } from './scope.js';

const PRIM_OF: Partial<Record<BinaryOp, OpName>> = {
  '+': 'add',
  '-': 'sub',
  '*': 'mul',
  '/': 'div',
  '**': 'pow',
  '==': 'eq',
  '!=': 'ne',
  '<': 'lt',
  '<=': 'le',
  '>': 'gt',
  '>=': 'ge',
};

const foldStatic = (op: BinaryOp, a: number | string, b: number | string): number | string | undefined => {
  if (op === '+') return dimAdd(a, b);
  if (op === '-') return dimSub(a, b);
  if (op === '*') return dimMul(a, b);
  if (typeof a !== 'number' || typeof b !== 'number') return op === '/' ? dimDiv(a, b) : undefined;
  switch (op) {
    case '/':
      return a / b;
    case '**':
      return a ** b;
    case '==':
      return +(a === b);
    case '!=':
      return +(a !== b);
    case '<':
      return +(a < b);
    case '<=':
      return +(a <= b);
    case '>':
      return +(a > b);
    case '>=':
      return +(a >= b);
    default:
      return undefined;
  }
};

export class ExprElab {
  constructor(readonly c: Elab) {}

  expr = (e: Expr, scope: Scope): Binding => {
    const v = this.elabExpr(e, scope);
    if (this.c.recorder) this.record(e, v, scope);
    return v;
  };

  /** For editors: the expression's type, and where a name or member it reads is defined. */
  private record(e: Expr, v: Binding, scope: Scope): void {
    const r = this.c.recorder!;
    r.expr(e.span, describe(v), v.k === 'tensor' ? this.c.type(v.id) : undefined);
    if (e.kind === 'Name') {
      const def = scope.lookup(e.name)?.span;
      if (def) r.ref(e.span, def, e.name);
    } else if (e.kind === 'Member') {
      const obj = this.c.recorder && e.object.kind === 'Name' ? scope.lookup(e.object.name)?.binding : undefined;
      const def = obj && (obj.k === 'module' || obj.k === 'layer') ? obj.scope.own(e.name.name)?.span : undefined;
      if (def) r.ref(e.name.span, def, e.name.name);
    }
  }

  /** All tensors of one dtype and shape (a list that stacks into one tensor). */
  private sameTensorTypes(items: readonly Binding[]): boolean {
    const types = items.map((it) => (it.k === 'tensor' ? this.c.type(it.id) : undefined));
    return types.every((t) => t !== undefined && sameType(t, types[0]!));
  }

  private elabExpr = (e: Expr, scope: Scope): Binding => {
    switch (e.kind) {
      case 'Num':
        return { k: 'static', value: e.value };
      case 'Bool':
        return { k: 'static', value: e.value ? 1 : 0 };
      case 'Str':
        return { k: 'string', value: e.value };
      case 'Name': {
        const entry = scope.lookup(e.name);
        if (!entry) return this.c.err('E0101', e.span, `unknown name '${e.name}'`, didYouMean(e.name, scope.names()));
        return entry.binding;
      }
      case 'Member':
        return this.member(this.expr(e.object, scope), e.name.name, e.span);
      case 'List':
        return { k: 'list', items: e.items.map((x) => this.expr(x, scope)) };
      case 'Unary': {
        const v = this.expr(e.operand, scope);
        if (v.k === 'static') return typeof v.value === 'number' ? { k: 'static', value: -v.value } : { k: 'static', value: dimSub(0, v.value) };
        const id = this.c.tensor(v, e.operand.span);
        return id === undefined ? ERROR : this.c.op('neg', [id], {}, e.span, [e.operand.span]);
      }
      case 'Binary':
        return this.binary(e.op, this.expr(e.left, scope), this.expr(e.right, scope), e.span, e.left.span, e.right.span);
      case 'Index': {
        const v = this.expr(e.object, scope);
        // A list (e.g. a scan's carries) indexed by a number picks that item. Items of one type could be
        // stacked into a tensor and indexed (what a list literal means where a tensor is expected, and
        // what happens to them, with the same values); items of different shapes or types cannot be.
        const first = e.indices[0];
        if (v.k === 'list' && first?.kind === 'At' && !this.sameTensorTypes(v.items)) {
          const at = this.expr(first.value, scope);
          if (at.k === 'static' && typeof at.value === 'number' && Number.isInteger(at.value)) {
            const n = v.items.length,
              i = at.value < 0 ? n + at.value : at.value;
            if (i < 0 || i >= n) return this.c.err('E0203', first.span, `index ${at.value} is out of range for a list of ${n} items`);
            if (e.indices.length === 1) return v.items[i]!;
            const item = this.c.tensor(v.items[i]!, e.object.span);
            return item === undefined ? ERROR : indexTensor(this.c, item, { ...e, indices: e.indices.slice(1) }, (x) => this.expr(x, scope));
          }
        }
        const id = this.c.tensor(v, e.object.span);
        return id === undefined ? ERROR : indexTensor(this.c, id, e, (x) => this.expr(x, scope));
      }
      case 'Block': {
        const inner = scope.child();
        for (const l of e.lets) {
          if (l.kind === 'Update') {
            this.update(l, inner);
            continue;
          }
          const v = this.expr(l.value, inner);
          if (v.k === 'tensor') this.c.b.label(v.id, l.name.name);
          this.c.recordShape(l.name.span, l.name.name, v);
          inner.define(l.name.name, v, l.name.span);
        }
        return this.expr(e.result, inner);
      }
      case 'Call':
        return this.call(e, scope);
    }
  };

  /** `update s = value`: records the state's new value for the training step (it is not differentiated). */
  update(u: UpdateStmt, scope: Scope): void {
    const target = scope.lookup(u.name.name);
    const v = this.expr(u.value, scope);
    if (!target) {
      this.c.err('E0101', u.name.span, `unknown name '${u.name.name}'`, didYouMean(u.name.name, scope.names()));
      return;
    }
    const t = target.binding;
    const state = t.k === 'tensor' ? this.c.states.find((s) => s.id === t.id) : undefined;
    if (!state) {
      this.c.err(
        'E0105',
        u.name.span,
        `only a 'state' can be updated; '${u.name.name}' is ${describe(t)}`,
        target.span ? [note('declared here', target.span)] : [],
      );
      return;
    }
    const id = v.k === 'error' ? undefined : this.c.tensor(v, u.value.span);
    if (id === undefined) return;
    const vt = this.c.type(id);
    if (vt.dtype !== state.type.dtype || !sameShape(vt.shape, state.type.shape)) {
      this.c.err('E0205', u.value.span, `'${u.name.name}' is ${fmtType(state.type)}, but the update is ${fmtType(vt)}`, [note('declared here', state.span)]);
      return;
    }
    this.c.stateUpdates.set(state.id, { value: id, span: u.span });
  }

  member(obj: Binding, name: string, span: Span): Binding {
    if (obj.k === 'error') return ERROR;
    if (obj.k === 'module' || obj.k === 'layer') {
      const entry = obj.scope.own(name);
      if (!entry) return this.c.err('E0101', span, `${describe(obj)} has no member '${name}'`, didYouMean(name, obj.scope.ownNames()));
      return entry.binding;
    }
    return this.c.err('E0105', span, `${describe(obj)} has no members (looked up '${name}')`);
  }

  binary(op: BinaryOp, l: Binding, r: Binding, span: Span, ls: Span, rs: Span): Binding {
    if (l.k === 'error' || r.k === 'error') return ERROR;
    if (l.k === 'static' && r.k === 'static') {
      const v = foldStatic(op, l.value, r.value);
      if (v !== undefined) return { k: 'static', value: v };
    }
    // x ** 2 is x·x: cheaper, and its derivative needs no log(x).
    if (op === '**' && r.k === 'static' && r.value === 2 && l.k === 'tensor') return this.c.op('mul', [l.id, l.id], {}, span, [ls, ls]);
    const lt = l.k === 'tensor' ? this.c.type(l.id).dtype : undefined;
    const rt = r.k === 'tensor' ? this.c.type(r.id).dtype : undefined;
    const a = this.c.tensor(l, ls, rt),
      b = this.c.tensor(r, rs, lt);
    if (a === undefined || b === undefined) return ERROR;
    if (op === '@') return this.matmul(a, b, span, ls, rs);
    return this.c.op(PRIM_OF[op]!, [a, b], {}, span, [ls, rs]);
  }

  /** `@` accepts vectors as NumPy does: a leading vector is a row, a trailing vector a column, and the added axis is dropped. */
  matmul(a: number, b: number, span: Span, ls: Span, rs: Span): Binding {
    const ta = this.c.type(a),
      tb = this.c.type(b);
    if (ta.shape.length === 0 || tb.shape.length === 0) {
      return this.c.err('E0202', span, `matmul needs tensors of rank ≥ 1, got ${fmtType(ta)} @ ${fmtType(tb)}`, [
        note(`left is ${fmtType(ta)}`, ls),
        note(`right is ${fmtType(tb)}`, rs),
      ]);
    }
    const reshape = (id: number, shape: readonly (number | string)[]) => this.c.op('reshape', [id], { shape }, span);
    const a2 = ta.shape.length === 1 ? reshape(a, [1, ta.shape[0]!]) : { k: 'tensor' as const, id: a };
    const b2 = tb.shape.length === 1 ? reshape(b, [tb.shape[0]!, 1]) : { k: 'tensor' as const, id: b };
    if (a2.k !== 'tensor' || b2.k !== 'tensor') return ERROR;
    const m = this.c.op('matmul', [a2.id, b2.id], {}, span, [ls, rs]);
    if (m.k !== 'tensor' || (ta.shape.length > 1 && tb.shape.length > 1)) return m;
    const s = this.c.type(m.id).shape;
    const keep = s.filter((_, i) => !((ta.shape.length === 1 && i === s.length - 2) || (tb.shape.length === 1 && i === s.length - 1)));
    return reshape(m.id, keep);
  }

  args(args: readonly Arg[], scope: Scope): CallArgs {
    const pos: { v: Binding; span: Span }[] = [];
    const kw = new Map<string, { v: Binding; span: Span }>();
    for (const a of args) {
      const v = this.expr(a.value, scope);
      if (a.name) {
        if (kw.has(a.name.name)) this.c.err('E0104', a.span, `argument '${a.name.name}' given twice`);
        kw.set(a.name.name, { v, span: a.span });
      } else pos.push({ v, span: a.span });
    }
    return { pos, kw };
  }

  call(e: Expr & { kind: 'Call' }, scope: Scope): Binding {
    const callee = this.expr(e.callee, scope);
    const args = this.args(e.args, scope);
    return this.apply(callee, args, e.span, scope, e);
  }

  apply(callee: Binding, args: CallArgs, span: Span, scope: Scope, e?: Expr & { kind: 'Call' }): Binding {
    if (callee.k === 'error' || [...args.pos, ...args.kw.values()].some((a) => a.v.k === 'error')) return ERROR;
    switch (callee.k) {
      case 'fn':
        return this.callFn(callee.decl, callee.scope, args, span);
      case 'layer': {
        const fwd = callee.scope.own('forward');
        if (fwd?.binding.k !== 'fn') return this.c.err('E0105', span, `layer '${callee.path}' has no 'fn forward(...)' to call`);
        const out = this.callFn(fwd.binding.decl, fwd.binding.scope, args, span, callee.path);
        const info = out.k === 'tensor' ? this.c.layers.find((l) => l.path === callee.path) : undefined;
        if (info && out.k === 'tensor' && !info.outputs.some((t) => sameType(t, this.c.type(out.id)))) info.outputs.push(this.c.type(out.id));
        return out;
      }
      case 'builtin': {
        const composite = Object.hasOwn(BUILTINS, callee.name) ? BUILTINS[callee.name] : undefined;
        if (!composite) throw new InternalError(`no composite built-in '${callee.name}'`);
        return composite(this, args, span, scope);
      }
      case 'primitive':
        return callPrimitive(this, callee.name, args, span);
      case 'grad':
        return callGrad(this, callee, args, span);
      case 'all':
        return logical(true)(this, args, span, scope); // `all` is also the every-axis word
      case 'word':
        // `none` called on a value is that value: a loss's reduction = none (PyTorch's reduction='none')
        if (callee.name === 'none' && args.pos.length === 1 && args.kw.size === 0) return args.pos[0]!.v;
        return this.c.err('E0105', span, `${describe(callee)} cannot be called`);
      case 'init': {
        // zeros([2, 3]) / ones(shape): a tensor constructor; zeros() / ones(): the parameter initializer
        if (args.pos.length && Object.hasOwn(BUILTINS, callee.spec.name)) return BUILTINS[callee.spec.name]!(this, args, span, scope);
        const out: Record<string, number> = { ...callee.spec.args };
        for (const [k, a] of args.kw) {
          const v = this.c.staticValue(a.v, a.span, `initializer argument '${k}'`);
          if (typeof v === 'number') out[k] = v;
        }
        if (args.pos.length)
          return this.c.err('E0104', span, `initializer '${callee.spec.name}' takes keyword arguments only, e.g. ${callee.spec.name}(std = 0.01)`);
        return { k: 'init', spec: { name: callee.spec.name, args: out } };
      }
      case 'layerDef':
        return e
          ? this.c.err(
              'E0105',
              span,
              `layer '${callee.decl.name.name}' must be instantiated with 'layer name = ${callee.decl.name.name}(...)' before it is called`,
            )
          : ERROR;
      default: {
        // a name that hides a function (a state called `mean`, an output called like a helper) says where it was bound
        const name = e?.callee.kind === 'Name' ? e.callee.name : undefined;
        const bound = name !== undefined ? scope.lookup(name)?.span : undefined;
        return this.c.err('E0105', span, `${describe(callee)} cannot be called`, name !== undefined && bound ? [note(`'${name}' is defined here`, bound)] : []);
      }
    }
  }

  callFn(decl: FnDecl, closure: Scope, args: CallArgs, span: Span, what = decl.name.name): Binding {
    if (this.c.stack.some((f) => f.key === decl))
      return this.c.err('E0106', span, `'${decl.name.name}' calls itself; recursion is not supported (use scan for loops)`, [
        note(`'${decl.name.name}' is defined here`, decl.name.span),
      ]);
    const inner = closure.child();
    if (args.pos.length > decl.params.length)
      return this.c.err('E0104', span, `${what} takes ${decl.params.length} argument${decl.params.length === 1 ? '' : 's'}, got ${args.pos.length}`, [
        note('defined here', decl.name.span),
      ]);
    for (const k of args.kw.keys())
      if (!decl.params.some((p) => p.name.name === k))
        return this.c.err('E0104', args.kw.get(k)!.span, `${what} has no parameter '${k}'`, [
          ...didYouMean(
            k,
            decl.params.map((p) => p.name.name),
          ),
          note('defined here', decl.name.span),
        ]);
    this.c.enter({ name: what, span, key: decl }, decl);
    const values: Binding[] = [];
    try {
      for (let i = 0; i < decl.params.length; i++) {
        const p = decl.params[i]!;
        const given = args.pos[i] ?? args.kw.get(p.name.name);
        if (given && args.pos[i] && args.kw.has(p.name.name))
          return this.c.err('E0104', args.kw.get(p.name.name)!.span, `argument '${p.name.name}' given twice`);
        let v: Binding;
        if (given) v = given.v;
        else if (p.default) v = this.expr(p.default, inner);
        else return this.c.err('E0104', span, `${what} is missing argument '${p.name.name}'`, [note('parameter declared here', p.span)]);
        if (p.type && v.k !== 'error' && !this.checkAnnotation(v, p.type, inner, given?.span ?? span, `argument '${p.name.name}' of ${what}`)) return ERROR;
        inner.define(p.name.name, v, p.name.span);
        values.push(v);
      }
      if (decl.grad) return callCustom(this, decl, closure, values, span, what);
      const result = this.expr(decl.body, inner);
      if (decl.ret && result.k !== 'error' && !this.checkAnnotation(result, decl.ret, inner, decl.body.span, `the result of ${what}`)) return ERROR;
      return result;
    } catch (e) {
      throw isStackOverflow(e) ? this.c.overflow(span) : e;
    } finally {
      this.c.stack.pop();
    }
  }

  /** Unifies a value with a declared type; binds dims the annotation introduces. */
  checkAnnotation(v: Binding, t: NonNullable<FnDecl['ret']>, scope: Scope, span: Span, what: string): boolean {
    const id = this.c.tensor(v, span);
    if (id === undefined) return false;
    const actual = this.c.type(id);
    const r = actual.shape.length,
      n = t.dims.length;
    // With `...` at `at`, dims[0..at) are the first actual dims and dims[at..n) the last ones.
    const at = t.rest?.at ?? n;
    const actualAt = (i: number) => (i < at ? i : r - (n - i));
    const declared = printType(t);
    // built only for a diagnostic: the doc comment is read from the stdlib's text
    const notes = () => {
      const convert =
        actual.dtype === t.dtype || v.k === 'static'
          ? []
          : t.dtype === 'i32' && actual.dtype === 'f32'
            ? [note('integer class indices come from cast(x, i32), or from one-hot or probability rows with argmax(x, -1)')]
            : [note(`cast(x, ${t.dtype}) converts`)];
      return [note('declared here', t.span), ...stdlibDoc(t.span), ...convert];
    };
    if (t.rest ? r < n : r !== n) {
      const rank = t.rest ? `at least rank ${n}` : `rank ${n}`;
      this.c.err('E0205', span, `${what} is ${fmtType(actual)}, but is declared as ${declared} (${rank})`, notes());
      return false;
    }
    // Unbound single names take the actual dim; everything else must match.
    t.dims.forEach((d, i) => {
      if (d.kind === 'DimName' && d.name !== '...' && !scope.lookup(d.name)) scope.define(d.name, { k: 'static', value: actual.shape[actualAt(i)]! }, d.span);
    });
    const { rest: _rest, ...withoutRest } = t;
    const fixed = this.c.dims(withoutRest, scope, false);
    if (!fixed) return false;
    const want = t.rest ? [...fixed.slice(0, at), ...actual.shape.slice(at, r - (n - at)), ...fixed.slice(at)] : fixed;
    const dtypeOk = t.dtype === actual.dtype || (t.dtype === 'f32' && v.k === 'static');
    if (!dtypeOk || !sameShape(want, actual.shape)) {
      const expected = !t.rest
        ? fmtType({ dtype: t.dtype, shape: want })
        : sameShape(want, actual.shape)
          ? declared
          : `${declared}, here ${fmtType({ dtype: t.dtype, shape: want })}`;
      this.c.err('E0205', span, `${what} is ${fmtType(actual)}, but is declared as ${expected}`, notes());
      return false;
    }
    return true;
  }
}
