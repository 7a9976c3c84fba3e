// A small backend-neutral loop language: kernels are built as Stmt trees over named flat buffers,
// and a printer per backend (codegen/emitJs.ts today) turns them into source. Only validated numbers
// and generated identifiers ever appear in it.

import type { ExternKernel } from '../../runtime/wasm/heap.js';
import type { MathName } from '../ops/math.js';

export type BinOp = '+' | '-' | '*' | '/' | '<' | '<=' | '>' | '>=' | '==' | '!=';

/** The comparisons among the binary operators: their value is 1 or 0 (every printer needs to tell them apart). */
export const COMPARISONS: ReadonlySet<BinOp> = new Set(['<', '<=', '>', '>=', '==', '!=']);

/** Math functions a backend must provide: the keys of the one math table, ops/math.ts. */
export type Intrinsic = MathName;

export type Expr =
  | { readonly k: 'num'; readonly v: number }
  | { readonly k: 'var'; readonly name: string }
  | { readonly k: 'load'; readonly buf: string; readonly index: Expr }
  | { readonly k: 'bin'; readonly op: BinOp; readonly a: Expr; readonly b: Expr }
  | { readonly k: 'negate'; readonly a: Expr }
  | { readonly k: 'call'; readonly fn: Intrinsic; readonly args: readonly Expr[] }
  | { readonly k: 'sel'; readonly c: Expr; readonly a: Expr; readonly b: Expr };

export type Stmt =
  | { readonly k: 'let'; readonly name: string; readonly e: Expr; readonly mutable?: boolean }
  | { readonly k: 'set'; readonly name: string; readonly e: Expr }
  | { readonly k: 'store'; readonly buf: string; readonly index: Expr; readonly e: Expr }
  | { readonly k: 'for'; readonly v: string; readonly from: Expr; readonly to: Expr; readonly step: number; readonly body: readonly Stmt[] }
  | { readonly k: 'if'; readonly conds: readonly Expr[]; readonly body: readonly Stmt[] }
  | { readonly k: 'comment'; readonly text: string }
  /** A call of another generated kernel with buffer arguments (a loop body's kernels). */
  | { readonly k: 'call'; readonly fn: string; readonly args: readonly string[] }
  /**
   * A call of a runtime kernel (runtime/wasm: float32 only) that writes buffer `out` through one of its
   * pointer arguments and reads the others. Integer arguments are expressions.
   */
  | { readonly k: 'extern'; readonly fn: ExternFn; readonly out: string; readonly args: readonly ExternArg[] };

/**
 * Runtime kernels the generated code may call (their contracts: runtime/wasm/matmulKernels.ts); mm_strided
 * (any strides of A and B) only in native modules (runtime/native/kernelsC.ts).
 */
export type ExternFn = ExternKernel | 'mm_strided';
/** An extern argument: an integer expression, or the byte address of element `index` of a buffer. */
export type ExternArg = Expr | { readonly k: 'ptr'; readonly buf: string; readonly index: Expr };
export const ptr = (buf: string, index: Expr): ExternArg => ({ k: 'ptr', buf, index });

/** Buffers an extern call passes by address. */
export const externBuffers = (s: Stmt & { k: 'extern' }): string[] => s.args.flatMap((a) => (a.k === 'ptr' ? [a.buf] : []));

// ---- walking kernels ------------------------------------------------------------------------------

/** Every load in an expression (loads inside an index included), outer ones first. */
export const loadsIn = (e: Expr, out: (Expr & { k: 'load' })[] = []): (Expr & { k: 'load' })[] => {
  switch (e.k) {
    case 'load':
      out.push(e);
      loadsIn(e.index, out);
      break;
    case 'bin':
      loadsIn(e.a, out);
      loadsIn(e.b, out);
      break;
    case 'negate':
      loadsIn(e.a, out);
      break;
    case 'call':
      e.args.forEach((a) => {
        loadsIn(a, out);
      });
      break;
    case 'sel':
      loadsIn(e.c, out);
      loadsIn(e.a, out);
      loadsIn(e.b, out);
      break;
    default:
      break;
  }
  return out;
};

/**
 * e rewritten: where `visit` returns an expression it replaces that sub-expression; elsewhere the node is
 * rebuilt around its rewritten parts (leaves kept). `visit` gets `recur` to rewrite parts of its own.
 */
export const rewriteExpr = (e: Expr, visit: (x: Expr, recur: (y: Expr) => Expr) => Expr | undefined): Expr => {
  const recur = (x: Expr): Expr => {
    const r = visit(x, recur);
    if (r !== undefined) return r;
    switch (x.k) {
      case 'load':
        return { ...x, index: recur(x.index) };
      case 'bin':
        return { ...x, a: recur(x.a), b: recur(x.b) };
      case 'negate':
        return { ...x, a: recur(x.a) };
      case 'call':
        return { ...x, args: x.args.map(recur) };
      case 'sel':
        return { ...x, c: recur(x.c), a: recur(x.a), b: recur(x.b) };
      default:
        return x;
    }
  };
  return recur(e);
};

/** The expressions a statement evaluates itself (a nested body's are its statements'). */
export const stmtExprs = (s: Stmt): Expr[] => {
  switch (s.k) {
    case 'for':
      return [s.from, s.to];
    case 'if':
      return [...s.conds];
    case 'let':
    case 'set':
      return [s.e];
    case 'store':
      return [s.index, s.e];
    case 'extern':
      return s.args.map((a) => (a.k === 'ptr' ? a.index : a));
    default:
      return [];
  }
};

// ---- smart constructors with light constant folding of index arithmetic -------------------------

export const num = (v: number): Expr => ({ k: 'num', v });
export const v = (name: string): Expr => ({ k: 'var', name });
export const load = (buf: string, index: Expr): Expr => ({ k: 'load', buf, index });
export const call = (fn: Intrinsic, ...args: Expr[]): Expr => ({ k: 'call', fn, args });
export const sel = (c: Expr, a: Expr, b: Expr): Expr => ({ k: 'sel', c, a, b });
export const neg = (a: Expr): Expr => (a.k === 'num' ? num(-a.v) : { k: 'negate', a });

export const bin = (op: BinOp, a: Expr, b: Expr): Expr => {
  if (a.k === 'num' && b.k === 'num' && (op === '+' || op === '*' || op === '-')) {
    return num(op === '+' ? a.v + b.v : op === '-' ? a.v - b.v : a.v * b.v);
  }
  return { k: 'bin', op, a, b };
};

export const add = (a: Expr, b: Expr): Expr => {
  if (a.k === 'num' && a.v === 0) return b;
  if (b.k === 'num' && b.v === 0) return a;
  return bin('+', a, b);
};
export const mul = (a: Expr, b: Expr): Expr => {
  if ((a.k === 'num' && a.v === 0) || (b.k === 'num' && b.v === 0)) return num(0);
  if (a.k === 'num' && a.v === 1) return b;
  if (b.k === 'num' && b.v === 1) return a;
  return bin('*', a, b);
};

/** offset + Σ idx[d] * strides[d], skipping zero strides. */
export const affine = (offset: number, idx: readonly Expr[], strides: readonly number[]): Expr => {
  let e: Expr = num(0);
  idx.forEach((ix, d) => {
    e = add(e, mul(ix, num(strides[d] ?? 0)));
  });
  return add(e, num(offset));
};

export const let_ = (name: string, e: Expr): Stmt => ({ k: 'let', name, e });
export const letMut = (name: string, e: Expr): Stmt => ({ k: 'let', name, e, mutable: true });
export const set = (name: string, e: Expr): Stmt => ({ k: 'set', name, e });
export const store = (buf: string, index: Expr, e: Expr): Stmt => ({ k: 'store', buf, index, e });
export const loop = (name: string, n: number | Expr, body: readonly Stmt[], from: number | Expr = 0, step = 1): Stmt => ({
  k: 'for',
  v: name,
  from: typeof from === 'number' ? num(from) : from,
  to: typeof n === 'number' ? num(n) : n,
  step,
  body,
});
export const comment = (text: string): Stmt => ({ k: 'comment', text });
export const callKernel = (fn: string, args: readonly string[]): Stmt => ({ k: 'call', fn, args });
/** Runs body when every condition holds (a conjunction). */
export const when = (conds: readonly Expr[], body: readonly Stmt[]): Stmt => ({ k: 'if', conds, body });
