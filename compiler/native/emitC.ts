// Loop IR → C source, the native backend's printer beside the JavaScript one (codegen/emitJs.ts), from
// the same kernels. As there, only validated numbers (`cnum`) and generated identifiers (`ident`) reach
// the source. Buffers hold `elem` (float or double, the module's precision); values are computed as
// `real`, always double, as JavaScript computes them (a float32 module rounds only when it stores), so
// the two backends round alike; loop indices and integer lets are `long`.
//
// The loop IR is untyped (JavaScript has one number type), so each variable's C type is inferred: a
// variable is integral when every value assigned to it is (integer literals, integral variables, + − ×
// of those, comparisons); everything else is real. Division is always real division (JavaScript's),
// and an index that is not integral is converted with a cast. A real variable whose every value is an
// element as it is (a load, a literal the element type holds exactly, another such variable, a select or
// negation of them) is an `elem`: the same value, since float → double is exact, but a float32 module then
// compares and moves floats (max pooling's running maximum) instead of converting every element it reads.
import { InternalError } from '../diagnostics/diagnostic.js';
import { ident, safeComment } from '../codegen/emitJs.js';
import { inferIntegral, narrowByAssignments } from '../loops/integral.js';
import { COMPARISONS, type Expr, type ExternArg, type Stmt } from '../loops/loops.js';
import { MATH, type MathFn } from '../ops/math.js';

/** Calls whose result is integral whatever their arguments (none today: floor and friends return real). */
const INT_CALLS: ReadonlySet<string> = new Set();

export type CReal = 'f32' | 'f64';

/** A validated number as a C literal: integral values as integers (`long` past 2³¹), others real. */
export const cnum = (v: number, real: CReal): string => {
  if (typeof v !== 'number') throw new InternalError('codegen: non-numeric literal');
  if (Number.isNaN(v)) return 'NAN';
  if (v === Infinity) return 'INFINITY';
  if (v === -Infinity) return '(-INFINITY)';
  if (Object.is(v, -0)) return real === 'f32' ? '(-0.0f)' : '(-0.0)';
  if (Number.isInteger(v) && Math.abs(v) < 2 ** 31) return v < 0 ? `(${v})` : String(v);
  if (Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER) return v < 0 ? `(${v}L)` : `${v}L`;
  let s = String(v);
  if (!/^-?[0-9.e+-]+$/.test(s)) throw new InternalError(`codegen: bad literal ${s}`);
  if (!/[.e]/.test(s)) s += '.0';
  if (real === 'f32') s += 'f';
  return v < 0 ? `(${s})` : s;
};

/** Whether the element type holds `v` exactly (NaN and ±∞ included). */
const exactIn = (v: number, elem: CReal): boolean => elem === 'f64' || Number.isNaN(v) || Math.fround(v) === v;

/** Whether an expression is an element as it is: a load, a literal the element type holds exactly, an element-valued variable, a select or negation of them. */
const isElemOf = (elems: ReadonlySet<string>, elem: CReal): ((e: Expr) => boolean) => {
  const ok = (e: Expr): boolean =>
    e.k === 'load' ||
    (e.k === 'num' && exactIn(e.v, elem)) ||
    (e.k === 'var' && elems.has(e.name)) ||
    (e.k === 'negate' && ok(e.a)) ||
    (e.k === 'sel' && ok(e.a) && ok(e.b));
  return ok;
};

/** Printer state for one kernel: which variables are integral, and which hold elements as they are. */
export class CPrinter {
  private readonly ints = new Set<string>();
  private readonly elems = new Set<string>();
  /** Values are double in every module (see the header), so literals and math functions are double's. */
  readonly real: CReal = 'f64';

  /** `elem`: the module's element type (buffers' `elem`). */
  constructor(private readonly elem: CReal = 'f64') {}

  /** Infers integral variables of a kernel body (loops/integral.ts), then the element-valued ones among the rest. */
  infer(body: readonly Stmt[]): void {
    inferIntegral(body, this.ints, (e) => this.isInt(e), false);
    narrowByAssignments(body, this.ints, this.elems, isElemOf(this.elems, this.elem));
  }

  isInt(e: Expr): boolean {
    switch (e.k) {
      case 'num':
        return Number.isInteger(e.v) && Math.abs(e.v) <= Number.MAX_SAFE_INTEGER;
      case 'var':
        return this.ints.has(e.name);
      case 'load':
        return false;
      case 'negate':
        return this.isInt(e.a);
      case 'call':
        return INT_CALLS.has(e.fn);
      case 'sel':
        return this.isInt(e.a) && this.isInt(e.b);
      case 'bin':
        return COMPARISONS.has(e.op) || (e.op !== '/' && this.isInt(e.a) && this.isInt(e.b));
    }
  }

  private cond(e: Expr): string {
    if (e.k === 'bin' && COMPARISONS.has(e.op)) {
      if (e.op === '!=' && e.b.k === 'num' && e.b.v === 0 && e.a.k === 'bin' && COMPARISONS.has(e.a.op)) return this.cond(e.a);
      return `${this.expr(e.a)} ${e.op} ${this.expr(e.b)}`;
    }
    return `${this.expr(e)} != 0`;
  }

  private index(e: Expr): string {
    return this.isInt(e) ? this.top(e) : `(long)(${this.top(e)})`;
  }

  expr(e: Expr): string {
    switch (e.k) {
      case 'num':
        return cnum(e.v, this.real);
      case 'var':
        // an element-valued variable is read as real, so arithmetic on it is double's, as before
        return this.elems.has(e.name) ? `((real)${ident(e.name)})` : ident(e.name);
      case 'load':
        return `${ident(e.buf)}[${this.index(e.index)}]`;
      case 'negate':
        return `(-${this.expr(e.a)})`;
      case 'call': {
        // the C name from the math table (ops/math.ts); dlm_* helpers are in the native prelude or the table's cDef
        const fn = (MATH as Record<string, MathFn | undefined>)[e.fn]?.c;
        if (!fn) throw new InternalError(`codegen: no C function for ${String(e.fn)}`);
        return `${fn[this.real === 'f32' ? 0 : 1]}(${e.args.map((a) => this.expr(a)).join(', ')})`;
      }
      case 'sel':
        return `(${this.cond(e.c)} ? ${this.expr(e.a)} : ${this.expr(e.b)})`;
      case 'bin':
        if (COMPARISONS.has(e.op)) return `(${this.cond(e)})`;
        // JavaScript division is real division, also of two integers
        if (e.op === '/') return `((real)${this.expr(e.a)} / ${this.expr(e.b)})`;
        return `(${this.expr(e.a)} ${e.op} ${this.expr(e.b)})`;
    }
  }

  private top(e: Expr): string {
    const s = this.expr(e);
    return e.k === 'bin' && !COMPARISONS.has(e.op) && e.op !== '/' ? s.slice(1, -1) : s;
  }

  /** Extern (float32 runtime kernel) arguments: element pointers, and integers (byte strides, sizes). */
  private externArg(a: ExternArg): string {
    if (a.k === 'ptr') return `${ident(a.buf)} + ${this.index(a.index)}`;
    if (!this.isInt(a)) throw new InternalError('codegen: a real extern argument');
    return this.top(a);
  }

  /**
   * An `if` whose body only assigns local variables (a running maximum and its index: pooling) takes its
   * last condition as a value and assigns through selects, `x = dlm_sel ? e : x`, which the compiler
   * turns into conditional moves instead of a branch that mispredicts on data; the other conditions
   * (bounds, which guard the loads) stay a branch. The same values in the same order: `e` is evaluated
   * only where it was before.
   */
  private ifStmt(s: Stmt & { k: 'if' }, indent: string): string[] {
    const guards = s.conds.map((c) => this.cond(c));
    if (!s.body.length || !s.body.every((b) => b.k === 'set') || !guards.length) {
      return [`${indent}if (${guards.join(' && ')}) {`, ...this.stmts(s.body, indent + '  '), `${indent}}`];
    }
    const last = guards.pop()!;
    const inner = indent + (guards.length ? '    ' : '  ');
    const sets = s.body.map((b) => {
      const x = ident((b as Stmt & { k: 'set' }).name);
      return `${inner}${x} = dlm_sel ? ${this.expr((b as Stmt & { k: 'set' }).e)} : ${x};`;
    });
    const block = [`${indent}${guards.length ? '  ' : ''}{`, `${inner}const int dlm_sel = ${last};`, ...sets, `${indent}${guards.length ? '  ' : ''}}`];
    return guards.length ? [`${indent}if (${guards.join(' && ')}) {`, ...block, `${indent}}`] : block;
  }

  stmts(ss: readonly Stmt[], indent: string): string[] {
    const out: string[] = [];
    for (const s of ss) {
      switch (s.k) {
        case 'comment':
          out.push(`${indent}/* ${safeComment(s.text)} */`);
          break;
        case 'call':
          out.push(`${indent}${ident(s.fn)}(${s.args.map(ident).join(', ')});`);
          break;
        case 'extern':
          out.push(`${indent}${ident(s.fn)}(${s.args.map((a) => this.externArg(a)).join(', ')});`);
          break;
        case 'let': {
          const type = this.ints.has(s.name) ? 'long' : this.elems.has(s.name) ? 'elem' : 'real';
          out.push(`${indent}${s.mutable ? '' : 'const '}${type} ${ident(s.name)} = ${this.top(s.e)};`);
          break;
        }
        case 'set': {
          const e = s.e;
          const compound = e.k === 'bin' && (e.op === '+' || e.op === '*') && e.a.k === 'var' && e.a.name === s.name;
          if (compound) out.push(`${indent}${ident(s.name)} ${e.op}= ${this.top(e.b)};`);
          else out.push(`${indent}${ident(s.name)} = ${this.top(e)};`);
          break;
        }
        case 'store':
          out.push(`${indent}${ident(s.buf)}[${this.index(s.index)}] = ${this.top(s.e)};`);
          break;
        case 'if':
          out.push(...this.ifStmt(s, indent));
          break;
        case 'for': {
          const i = ident(s.v);
          if (!Number.isInteger(s.step)) throw new InternalError('codegen: non-integer loop step');
          out.push(
            `${indent}for (long ${i} = ${this.index(s.from)}; ${i} < ${this.index(s.to)}; ${i}${s.step === 1 ? '++' : ` += ${s.step}`}) {`,
            ...this.stmts(s.body, indent + '  '),
            `${indent}}`,
          );
          break;
        }
      }
    }
    return out;
  }
}
