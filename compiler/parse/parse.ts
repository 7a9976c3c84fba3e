// Source text → AST, or syntax diagnostics. Never throws: a failed match becomes E0001 at the rightmost
// failure position with what was expected there; E0002/E0003 come from literal and argument checks.
import * as E from 'fp-ts/lib/Either.js';
import type { Module } from '../ast/ast.js';
import { error, note } from '../diagnostics/codes.js';
import type { Result } from '../diagnostics/diagnostic.js';
import type { SourceFile } from '../diagnostics/span.js';
import { grammar, parseState, semantics } from './toAst.js';
import { tooDeepBracket, tooDeepNode } from './depth.js';

/** How deeply brackets and expressions may nest (E0607); the checker's `maxNesting` limit. */
export const DEFAULT_MAX_NESTING = 256;
const tooDeep = (file: string, at: { start: number; end: number }, max: number) =>
  error('E0607', { file, start: at.start, end: at.end }, `this is nested more than ${max} levels deep`, [
    note('raise the limit with --max-nesting N (library: limits: { maxNesting })'),
  ]);

/** Turns Ohm's expected-text list into something short: at most 6 alternatives, quoted tokens first. */
const expectedText = (raw: string): string => {
  const items = raw
    .replace(/^Expected /, '')
    .split(/, or |, | or /)
    .map((s) => s.trim())
    .filter(Boolean);
  const uniq = [...new Set(items)];
  const shown = uniq.slice(0, 6);
  return shown.join(', ') + (uniq.length > shown.length ? ', …' : '');
};

/**
 * A line that starts with '(' or '[' begins a new statement, as in Go or Kotlin: otherwise
 * `let v = mean(x)` followed by a line `(x - m) / v` would parse as a call `mean(x)(x - m)`.
 * The newline ending the previous line becomes ';' (same length, so offsets are unchanged) when that
 * line ends in something an expression can end with. Comments are left alone.
 */
export const markStatementEnds = (text: string): string => {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const next = lines[i + 1];
    if (next === undefined || !/^\s*[([]/.test(next) || /\/\*|\*\//.test(line)) {
      out.push(line, '\n');
      continue;
    }
    const c = line.indexOf('//');
    const code = c < 0 ? line : line.slice(0, c);
    if (!/[A-Za-z0-9_)\].]\s*$/.test(code)) {
      out.push(line, '\n');
      continue;
    }
    if (c < 0) out.push(line, ';');
    else if (c > 0 && /\s/.test(line[c - 1]!)) out.push(line.slice(0, c - 1), ';', line.slice(c), '\n');
    else out.push(line, '\n');
  }
  out.pop(); // the split added no newline after the last line
  return out.join('');
};

/** Where a stack overflow in the parser most likely came from: the line with the most operators. */
const longestChain = (text: string): { start: number; end: number } => {
  let best = { start: 0, end: 0, ops: -1 },
    start = 0;
  for (const line of text.split('\n')) {
    const ops = line.replace(/[^-+*/@<>=]/g, '').length;
    if (ops > best.ops) best = { start, end: start + Math.min(line.length, 1), ops };
    start += line.length + 1;
  }
  return best;
};

export const parse = (src: SourceFile, maxNesting = DEFAULT_MAX_NESTING): Result<Module> => {
  const deepAt = tooDeepBracket(src.text, maxNesting);
  if (deepAt !== undefined) return E.left([tooDeep(src.path, { start: deepAt, end: deepAt + 1 }, maxNesting)]);
  try {
    const m = grammar.match(markStatementEnds(src.text));
    if (m.failed()) {
      let pos = m.getRightmostFailurePosition();
      // When the failure is at the start of a later line, point just after the last token instead
      // (a missing ']' is reported where it is missing, not at the next line).
      let prev = pos - 1;
      while (prev >= 0 && /\s/.test(src.text[prev]!)) prev--;
      if (src.text.slice(prev + 1, pos).includes('\n')) pos = prev + 1;
      const word = /^[A-Za-z_][A-Za-z0-9_]*|^\S/.exec(src.text.slice(m.getRightmostFailurePosition()))?.[0];
      const end = Math.min(src.text.length, pos + 1);
      const found = word ? `'${word}'` : 'the end of the file';
      return E.left([error('E0001', { file: src.path, start: pos, end: Math.max(end, pos) }, `expected ${expectedText(m.getExpectedText())}, found ${found}`)]);
    }
    parseState.file = src.path;
    parseState.misplacedArgs = [];
    parseState.badNumbers = [];
    const ast = semantics(m)['toAst']() as Module;
    const deep = tooDeepNode(ast, maxNesting);
    if (deep) return E.left([tooDeep(src.path, deep, maxNesting)]);
    const diags = [
      ...parseState.badNumbers.map((s) =>
        error('E0002', s, 'this number is too large to represent', [
          note('float numbers must be below about 1.8e308; write `inf` or `-inf` for an infinite value'),
        ]),
      ),
      ...parseState.misplacedArgs.map((s) =>
        error('E0003', s, 'a positional argument cannot follow a keyword argument', [note('name it, or move it before the keyword arguments')]),
      ),
    ];
    return diags.length ? E.left(diags) : E.right(ast);
  } catch (e) {
    // Ohm can overflow the stack on a very long chain (1 + 1 + … without brackets): a nesting error, not a crash.
    if (e instanceof RangeError) return E.left([tooDeep(src.path, longestChain(src.text), maxNesting)]);
    return E.left([error('E0001', { file: src.path, start: 0, end: 0 }, `the file could not be parsed: ${(e as Error).message}`)]);
  }
};
