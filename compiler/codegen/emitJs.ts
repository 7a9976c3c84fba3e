// Loop IR → JavaScript source. The only JS printer: numbers pass through `lit` (which rejects anything
// that is not a finite number or ±Infinity), and names are generated identifiers checked by `ident`.
import { InternalError } from '../diagnostics/diagnostic.js';
import { COMPARISONS, mul, num, type Expr, type ExternArg, type Intrinsic, type Stmt } from '../loops/loops.js';
import { MATH, mathPrelude, type MathFn } from '../ops/math.js';

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export const ident = (name: string): string => {
  if (!IDENT.test(name)) throw new InternalError(`codegen: '${name}' is not a generated identifier`);
  return name;
};

export const lit = (v: number): string => {
  if (typeof v !== 'number') throw new InternalError('codegen: non-numeric literal');
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (Object.is(v, -0)) return '-0';
  return String(v);
};

/** Comment text: keep only characters that cannot end a comment or start code. */
export const safeComment = (s: string): string =>
  s
    .replace(/[^A-Za-z0-9_ .,:;=@%#()[\]+\-<>'|/^]/g, '?')
    .replace(/\*\//g, '?')
    .replace(/\/\//g, '/?')
    .slice(0, 160);

/** How generated code calls a math function: its JavaScript builtin, or the prelude's copy of its implementation. */
const jsFn = (fn: Intrinsic): string => (MATH[fn] as MathFn).builtin ?? ident(fn);

const JS_CMP: Record<string, string> = { '==': '===', '!=': '!==' };

/** An expression in boolean position (no 1/0 conversion needed). */
const cond = (e: Expr): string => {
  if (e.k === 'bin' && COMPARISONS.has(e.op)) {
    // `c != 0` where c is itself a comparison is just c.
    if (e.op === '!=' && e.b.k === 'num' && e.b.v === 0 && e.a.k === 'bin' && COMPARISONS.has(e.a.op)) return cond(e.a);
    return `${expr(e.a)} ${JS_CMP[e.op] ?? e.op} ${expr(e.b)}`;
  }
  return `${expr(e)} !== 0`;
};

export const expr = (e: Expr): string => {
  switch (e.k) {
    case 'num':
      return e.v < 0 || Object.is(e.v, -0) ? `(${lit(e.v)})` : lit(e.v);
    case 'var':
      return ident(e.name);
    case 'load':
      return `${ident(e.buf)}[${expr(e.index)}]`;
    case 'negate':
      return `(-${expr(e.a)})`;
    case 'call':
      return `${jsFn(e.fn)}(${e.args.map(expr).join(', ')})`;
    case 'sel':
      return `(${cond(e.c)} ? ${expr(e.a)} : ${expr(e.b)})`;
    case 'bin':
      return COMPARISONS.has(e.op) ? `(${cond(e)} ? 1 : 0)` : `(${expr(e.a)} ${e.op} ${expr(e.b)})`;
  }
};

/** Strip the outer parentheses of a top-level expression for readability. */
const top = (e: Expr): string => {
  const s = expr(e);
  return e.k === 'bin' && !COMPARISONS.has(e.op) ? s.slice(1, -1) : s;
};

/** Bytes per element of the buffers extern (float32) kernels address. */
const EXTERN_ELEMENT_BYTES = 4;

/** An extern argument: a number, or a buffer's byte address plus an element offset. */
const externArg = (a: ExternArg): string => {
  if (a.k !== 'ptr') return top(a);
  const bytes = mul(a.index, num(EXTERN_ELEMENT_BYTES));
  return bytes.k === 'num' && bytes.v === 0 ? `${ident(a.buf)}.byteOffset` : `${ident(a.buf)}.byteOffset + ${expr(bytes)}`;
};

export const stmts = (ss: readonly Stmt[], indent: string): string[] => {
  const out: string[] = [];
  for (const s of ss) {
    switch (s.k) {
      case 'comment':
        out.push(`${indent}// ${safeComment(s.text)}`);
        break;
      case 'call':
        out.push(`${indent}${ident(s.fn)}(${s.args.map(ident).join(', ')});`);
        break;
      case 'extern':
        out.push(`${indent}${ident(s.fn)}(${s.args.map(externArg).join(', ')});`);
        break;
      case 'let':
        out.push(`${indent}${s.mutable ? 'let' : 'const'} ${ident(s.name)} = ${top(s.e)};`);
        break;
      case 'set': {
        // acc = acc + x  →  acc += x
        const e = s.e;
        if (e.k === 'bin' && (e.op === '+' || e.op === '*') && e.a.k === 'var' && e.a.name === s.name)
          out.push(`${indent}${ident(s.name)} ${e.op}= ${top(e.b)};`);
        else out.push(`${indent}${ident(s.name)} = ${top(e)};`);
        break;
      }
      case 'store':
        out.push(`${indent}${ident(s.buf)}[${top(s.index)}] = ${top(s.e)};`);
        break;
      case 'if':
        out.push(`${indent}if (${s.conds.map(cond).join(' && ')}) {`);
        out.push(...stmts(s.body, indent + '  '));
        out.push(`${indent}}`);
        break;
      case 'for': {
        const i = ident(s.v);
        out.push(`${indent}for (let ${i} = ${top(s.from)}; ${i} < ${top(s.to)}; ${i}${s.step === 1 ? '++' : ` += ${lit(s.step)}`}) {`);
        out.push(...stmts(s.body, indent + '  '));
        out.push(`${indent}}`);
        break;
      }
    }
  }
  return out;
};

/** Helpers every generated module defines before its kernels. */
export const PRELUDE = ['"use strict";', '// math functions without a JavaScript builtin, printed from their implementations in ops/math.ts', ...mathPrelude()];
