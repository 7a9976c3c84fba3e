// The checker: walks the AST and builds typed IR at the same time ("elaboration"). Functions are generic
// and inlined at each call, so a function body is checked with its actual argument types. Every user
// mistake becomes a diagnostic; checking continues with an `error` value that silences follow-on errors.
import type { Expr, TypeAnn } from '../ast/ast.js';
import { Collector, InternalError, type Note } from '../diagnostics/diagnostic.js';
import { error, note, type Code } from '../diagnostics/codes.js';
import type { Span } from '../diagnostics/span.js';
import { CountingBuilder, callDepth, describeNode, nodeBudget, tooLarge } from './budget.js';
import { DEFAULT_LIMITS, LimitExceeded, type Limits } from './limits.js';
import { opDef, type OpName } from '../ops/registry.js';
import { isShapeError, type ShapeError } from '../types/shapes.js';
import { dimAdd, dimDiv, dimMul, dimSub, fmtDim } from '../types/dims.js';
import { type Dim, type DType, type TensorType, fmtType, sameShape } from '../types/types.js';
import type { LoweringOptions } from './options.js';
import type { Recorder } from './record.js';
import { ERROR, describe, type Binding, type InitSpec, type Scope } from './scope.js';

export interface ParamInfo {
  readonly name: string;
  readonly id: number;
  readonly type: TensorType;
  readonly init: InitSpec;
  readonly span: Span;
}
export interface ShapeNote {
  readonly span: Span;
  readonly name: string;
  readonly type: TensorType;
}
/** A layer instance, in instantiation order (a parent before its sub-layers), and the types its calls return. */
export interface LayerInfo {
  readonly path: string;
  readonly kind: string;
  readonly span: Span;
  readonly outputs: TensorType[];
  /** The layer's compile-time number arguments (the converters read LSTMCell's forget_bias). */
  readonly args: Record<string, number>;
}
export interface Frame {
  readonly name: string;
  readonly span: Span;
  readonly key: object;
}

export const isStdlib = (file: string): boolean => file.startsWith('stdlib:');

export class Elab {
  readonly b = new CountingBuilder((id) => this.onNode(id));
  readonly diags = new Collector();
  readonly params: ParamInfo[] = [];
  /** Non-differentiated tensors (`state`) and the values `update` gives them while training. */
  readonly states: ParamInfo[] = [];
  readonly stateUpdates = new Map<number, { value: number; span: Span }>();
  readonly shapes: ShapeNote[] = [];
  readonly layers: LayerInfo[] = [];
  readonly stack: Frame[] = [];
  /** Set by editors (the language server) to collect types and definitions; undefined otherwise. */
  recorder: Recorder | undefined;
  /** Random call sites get distinct streams, numbered in source order. */
  streams = 0;
  private readonly hypers = new Map<string, number>();
  /** Nodes created so far (scan bodies included, which are cut out of the builder), and inlined copies per function. */
  private created = 0;
  private oversized = false;
  readonly copies = new Map<object, { name: string; span: Span; count: number }>();

  constructor(
    readonly limits: Limits = DEFAULT_LIMITS,
    readonly lowering: LoweringOptions = {},
  ) {}

  /** Every node: counted against the budget, and its size checked (the first too-large tensor of a model is reported). */
  private onNode(id: number): void {
    if (++this.created > this.limits.maxNodes) {
      const at = this.stack.length ? this.stack[this.stack.length - 1]!.span : this.b.span;
      throw new LimitExceeded(nodeBudget(this.limits, this.siteOf(at), this.stack.slice(0, -1), this.copies));
    }
    if (this.oversized) return;
    const n = this.b.node(id);
    const d = tooLarge(n.type, describeNode(n.op, n.attrs, n.label), n.span);
    if (d) {
      this.oversized = true;
      this.err('E0605', n.span, d.message, d.notes);
    }
  }

  /** A function or layer is being inlined at `span`: counts the copy and enforces the call depth. */
  enter(frame: Frame, decl: { readonly name: { readonly name: string; readonly span: Span } }): void {
    if (this.stack.length >= this.limits.maxCallDepth) throw new LimitExceeded(callDepth(this.limits, this.siteOf(frame.span), [...this.stack, frame]));
    const c = this.copies.get(decl);
    if (c) c.count++;
    else this.copies.set(decl, { name: decl.name.name, span: decl.name.span, count: 1 });
    this.stack.push(frame);
  }

  /** A stack overflow inside a call: becomes E0604 at the innermost call (the frames are still on the stack here). */
  overflow(span: Span): LimitExceeded {
    return new LimitExceeded(callDepth(this.limits, this.siteOf(span), this.stack, true));
  }

  /** The user's call site for a span inside the standard library. */
  siteOf(span: Span): Span {
    if (!isStdlib(span.file)) return span;
    return [...this.stack].reverse().find((f) => !isStdlib(f.span.file))?.span ?? span;
  }

  /** A run-time scalar the caller provides (the random key, the training flag), created on first use. */
  hyper(name: string, span: Span): number {
    let id = this.hypers.get(name);
    if (id === undefined) {
      id = this.b.input(name, 'hyper', { dtype: 'f32', shape: [] }, span);
      this.hypers.set(name, id);
    }
    return id;
  }

  /** Runs f with the run-time scalar `name` read from node `id` instead (a scan step's own random key). */
  withHyper<T>(name: string, id: number, f: () => T): T {
    const had = this.hypers.get(name);
    this.hypers.set(name, id);
    try {
      return f();
    } finally {
      if (had === undefined) this.hypers.delete(name);
      else this.hypers.set(name, had);
    }
  }

  /** Reports an error. Errors inside stdlib code are shown at the user's call site, with the stdlib line as a note. */
  err(code: Code, span: Span, message: string, notes: readonly Note[] = []): Binding {
    let primary = span;
    const extra: Note[] = [];
    if (isStdlib(span.file)) {
      const site = [...this.stack].reverse().find((f) => !isStdlib(f.span.file));
      if (site) {
        primary = site.span;
        extra.push(note(`inside ${site.name}, in the standard library`, span));
      }
    }
    const calls = this.stack
      .filter((f) => f.span !== primary && !isStdlib(f.span.file))
      .slice(-3)
      .reverse()
      .map((f) => note(`in the call of ${f.name} here`, f.span));
    this.diags.push(error(code, primary, message, [...notes, ...extra, ...calls]));
    return ERROR;
  }

  type(id: number): TensorType {
    return this.b.type(id);
  }

  /** A tensor from a binding: statics become constants ("weakly typed": integers follow an integer partner). */
  tensor(v: Binding, span: Span, partner?: DType): number | undefined {
    if (v.k === 'tensor') return v.id;
    if (v.k === 'static') {
      const intLike = typeof v.value === 'string' || Number.isInteger(v.value);
      return this.b.at(span, () => this.b.num(v.value, intLike && partner && partner !== 'f32' ? 'i32' : 'f32'));
    }
    if (v.k === 'list' && v.items.length > 0) return this.listTensor(v.items, span, partner);
    if (v.k !== 'error') this.err('E0105', span, `expected a tensor, found ${describe(v)}`);
    return undefined;
  }

  /** `[1, 2, 3]` or `[[1, 0], [0, 1]]` where a tensor is expected: a constant built from its entries. */
  private listTensor(items: readonly Binding[], span: Span, partner?: DType): number | undefined {
    const rows = items.map((it) => this.tensor(it, span, partner));
    if (rows.some((r) => r === undefined)) return undefined;
    const first = this.type(rows[0]!);
    if (rows.some((r) => !sameShape(this.type(r!).shape, first.shape))) {
      this.err('E0203', span, 'the rows of a tensor literal must all have the same shape');
      return undefined;
    }
    const lifted = rows.map((r) => this.b.at(span, () => this.b.op('reshape', [r!], { shape: [1, ...first.shape] })));
    return lifted.length === 1 ? lifted[0] : this.b.at(span, () => this.b.op('concat', lifted, { axis: 0 }));
  }

  /** A compile-time number (literal, dim, or arithmetic of those). */
  staticValue(v: Binding, span: Span, what: string): Dim | undefined {
    if (v.k === 'static') return v.value;
    if (v.k !== 'error') this.err('E0206', span, `${what} must be a compile-time number, found ${describe(v)}`);
    return undefined;
  }

  staticInt(v: Binding, span: Span, what: string): number | undefined {
    const d = this.staticValue(v, span, what);
    if (d === undefined) return undefined;
    if (typeof d !== 'number' || !Number.isInteger(d)) {
      this.err('E0206', span, `${what} must be an integer, found ${d}`);
      return undefined;
    }
    return d;
  }

  /** Adds a primitive node at `span`; a shape error becomes a diagnostic naming every operand's type. */
  op(name: OpName, ins: readonly number[], attrs: Record<string, unknown>, span: Span, operandSpans: readonly Span[] = [], label?: string): Binding {
    let r: number | ShapeError;
    try {
      r = this.b.at(span, () => this.b.tryOp(name, ins, attrs as never, label));
    } catch (e) {
      if (e instanceof InternalError || e instanceof LimitExceeded) throw e;
      // A shape rule that could not even read its attributes: the call is malformed, not a compiler bug.
      return this.err('E0104', span, `'${name}' was called with arguments it cannot use`);
    }
    if (!isShapeError(r)) return { k: 'tensor', id: r };
    const def = opDef(name);
    // the rule's own code (E0204 a float-only op given integers), else by the op: E0201 broadcasting,
    // E0202 a matrix product (the 'contraction' emitter), E0203 any other shape rule
    const code: Code = r.code ?? (def?.kind === 'elementwise' ? 'E0201' : def?.emit.kind === 'contraction' ? 'E0202' : 'E0203');
    const notes = ins.map((id, i) =>
      note(
        `${i === 0 ? 'left ' : i === 1 && ins.length === 2 ? 'right ' : ''}operand ${ins.length > 2 ? i + 1 : ''}is ${fmtType(this.type(id))}`.replace(
          '  ',
          ' ',
        ),
        operandSpans[i],
      ),
    );
    return this.err(code, span, r.reason, ins.length > 1 || operandSpans.length ? notes : []);
  }

  /** Evaluates a type annotation's dims in a scope; unbound names become new symbolic dims when `bindNew`. */
  dims(t: TypeAnn, scope: Scope, bindNew: boolean): Dim[] | undefined {
    const out: Dim[] = [];
    let ok = true;
    const evalDim = (d: TypeAnn['dims'][number]): Dim | undefined => {
      switch (d.kind) {
        case 'DimNum':
          return d.value;
        case 'DimName': {
          const e = scope.lookup(d.name);
          if (e?.binding.k === 'static') return e.binding.value;
          if (e) {
            this.err('E0207', d.span, `'${d.name}' is ${describe(e.binding)}, not a dimension`);
            return undefined;
          }
          if (bindNew) {
            scope.define(d.name, { k: 'static', value: d.name }, d.span);
            return d.name;
          }
          this.err('E0101', d.span, `unknown dimension '${d.name}'`);
          return undefined;
        }
        case 'DimBin': {
          const l = evalDim(d.left),
            r = evalDim(d.right);
          if (l === undefined || r === undefined) return undefined;
          if (d.op === '/') {
            const q = dimDiv(l, r);
            if (q === undefined) this.err('E0207', d.span, `${fmtDim(l)} / ${fmtDim(r)} is not a whole number`);
            return q;
          }
          return d.op === '+' ? dimAdd(l, r) : d.op === '-' ? dimSub(l, r) : dimMul(l, r);
        }
      }
    };
    if (t.rest) {
      this.err('E0112', t.rest.span, "'...' (any number of dims) is allowed only in a function's parameter and result types", [
        note('inputs, parameters and states have a fixed rank: write each dimension'),
      ]);
      return undefined;
    }
    for (const d of t.dims) {
      if (d.kind === 'DimName' && d.name === '...') {
        this.err('E0112', d.span, "a type has at most one '...'");
        ok = false;
        continue;
      }
      const v = evalDim(d);
      if (v === undefined) {
        ok = false;
        continue;
      }
      if (typeof v === 'number' && (!Number.isInteger(v) || v < 0)) {
        this.err('E0207', d.span, `dimension must be a non-negative integer, got ${v}`);
        ok = false;
        continue;
      }
      out.push(v);
    }
    return ok ? out : undefined;
  }

  recordShape(span: Span, name: string, v: Binding): void {
    if (v.k === 'tensor' && !isStdlib(span.file) && !this.shapes.some((s) => s.span === span)) this.shapes.push({ span, name, type: this.type(v.id) });
  }
}

export type ExprFn = (e: Expr, scope: Scope) => Binding;
