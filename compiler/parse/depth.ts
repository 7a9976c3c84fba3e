// Nesting limits for untrusted source, checked without recursion: brackets before the parser runs (so
// the parser never recurses past them), and the depth of the AST after it (so the checker's recursive
// walk over expressions stays within the stack).
import type { Span } from '../diagnostics/span.js';

const OPS = '+-*/@<>=!';
const isOp = (c: string | undefined): boolean => c !== undefined && c !== '' && OPS.includes(c);
const nextSignificant = (text: string, i: number): string | undefined => {
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return text[i];
};

/**
 * The position of the first bracket that opens more than `max` levels deep, or of the operator that
 * makes one chain of operators (at one bracket level, in one statement) longer than 8·max characters —
 * an expression the AST check would reject anyway (each binary operator nests one level), found before
 * the parser spends seconds on it. Comments and strings are skipped.
 */
export const tooDeepBracket = (text: string, max: number): number | undefined => {
  let depth = 0,
    last = '';
  const ops: number[] = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 47 /* / */ && text.charCodeAt(i + 1) === 47) {
      const e = text.indexOf('\n', i);
      if (e < 0) break;
      i = e - 1;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 42 /* * */) {
      const e = text.indexOf('*/', i + 2);
      if (e < 0) break;
      i = e + 1;
      continue;
    }
    if (c === 34 /* " */) {
      const e = text.indexOf('"', i + 1);
      const nl = text.indexOf('\n', i + 1);
      if (e < 0 || (nl >= 0 && nl < e)) continue;
      i = e;
      last = '"';
      continue;
    }
    const ch = text[i]!;
    if (c === 40 || c === 91 || c === 123) {
      if (++depth > max) return i;
      ops[depth] = 0;
    } else if (c === 41 || c === 93 || c === 125) depth = Math.max(0, depth - 1);
    else if (c === 44 || c === 59)
      ops[depth] = 0; // , ;
    else if (c === 10) {
      if (!isOp(last) && !isOp(nextSignificant(text, i + 1))) ops[depth] = 0;
    } else if (isOp(ch) && ++ops[depth]! > 8 * max) return i;
    if (!/\s/.test(ch)) last = ch;
  }
  return undefined;
};

/** The span of the first AST node nested more than `max` nodes deep (breadth of lists does not count), or undefined. */
export const tooDeepNode = (root: object, max: number): Span | undefined => {
  const stack: { v: unknown; d: number }[] = [{ v: root, d: 0 }];
  while (stack.length) {
    const { v, d } = stack.pop()!;
    if (Array.isArray(v)) {
      for (const x of v) stack.push({ v: x, d });
      continue;
    }
    if (!v || typeof v !== 'object') continue;
    const o = v as Record<string, unknown>;
    const isNode = typeof o['kind'] === 'string';
    const depth = isNode ? d + 1 : d;
    if (depth > max && o['span']) return o['span'] as Span;
    for (const k in o) if (k !== 'span' && Object.hasOwn(o, k)) stack.push({ v: o[k], d: depth });
  }
  return undefined;
};
