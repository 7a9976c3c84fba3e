// Part of `npm run format`: the formatter wraps code at 160 characters but never splits a string, so a
// string or template literal on a line over 160 characters is split here into a concatenation of
// pieces (after each `\n`, else at a space), which the formatter then puts on lines of their own.
// Only text is cut, never an escape sequence or a `${…}`; tagged templates, types, `as const`, keys,
// imports and directives are left alone. Usage: node scripts/split-long-strings.mjs [FILE…] (default: the
// tracked sources, less the generated grammar bundle).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import ts from 'typescript';

const LIMIT = 160;
const PIECE = 90;

/** The literal's source between its delimiters, as units: one character, one escape sequence, or one `${…}`. */
const unitsOf = (sf, node) => {
  const units = [];
  const text = sf.text;
  const pushText = (start, end) => {
    for (let i = start; i < end; ) {
      if (text[i] === '\\') {
        const m = /^\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[\s\S])/.exec(text.slice(i, i + 12));
        const len = m ? m[0].length : 2;
        units.push({ text: text.slice(i, i + len), breakAfter: text.slice(i, i + len) === '\\n' });
        i += len;
      } else {
        units.push({ text: text[i], breakAfter: text[i] === '\n', space: text[i] === ' ' });
        i++;
      }
    }
  };
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
    pushText(node.getStart(sf) + 1, node.getEnd() - 1);
    return units;
  }
  // TemplateExpression: head `…${, then spans expr }…${ … }…`
  const head = node.head;
  pushText(head.getStart(sf) + 1, head.getEnd() - 2);
  for (const span of node.templateSpans) {
    units.push({ text: `\${${text.slice(span.expression.getFullStart(), span.expression.getEnd()).trim()}}`, expr: true });
    const lit = span.literal;
    const isTail = ts.isTemplateTail(lit);
    pushText(lit.getStart(sf) + 1, lit.getEnd() - (isTail ? 1 : 2));
  }
  return units;
};

/** Cuts units into pieces: after each line break; pieces still longer than PIECE also at a space. */
const piecesOf = (units) => {
  const lines = [[]];
  for (const u of units) {
    lines[lines.length - 1].push(u);
    if (u.breakAfter) lines.push([]);
  }
  const pieces = [];
  for (const line of lines.filter((l) => l.length > 0)) {
    let cur = [];
    let len = 0;
    for (const u of line) {
      cur.push(u);
      len += u.text.length;
      if ((u.space || u.expr) && len >= PIECE) {
        pieces.push(cur);
        cur = [];
        len = 0;
      }
    }
    // a short tail stays with the piece before it rather than standing alone
    const tail = cur.reduce((n, u) => n + u.text.length, 0);
    if (cur.length && tail < 16 && pieces.length && !pieces[pieces.length - 1].at(-1).breakAfter) pieces[pieces.length - 1].push(...cur);
    else if (cur.length) pieces.push(cur);
  }
  return pieces;
};

const skip = (node) => {
  const p = node.parent;
  if (!p) return true;
  if (ts.isImportDeclaration(p) || ts.isExportDeclaration(p) || ts.isExternalModuleReference(p) || ts.isImportTypeNode(p)) return true;
  if (ts.isLiteralTypeNode(p) || ts.isTaggedTemplateExpression(p) || ts.isEnumMember(p)) return true;
  if ((ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p) || ts.isMethodDeclaration(p)) && p.name === node) return true;
  if (ts.isComputedPropertyName(p) || (ts.isElementAccessExpression(p) && p.argumentExpression === node)) return true;
  if (ts.isAsExpression(p) || ts.isSatisfiesExpression(p) || ts.isTypeAssertionExpression(p)) return true;
  if (ts.isExpressionStatement(p)) return true; // directives ('use strict')
  if (ts.isCaseClause(p) || ts.isModuleDeclaration(p)) return true;
  return false;
};

/** Whether the concatenation may stand where the literal stood without parentheses. */
const bare = (node) => {
  const p = node.parent;
  return (
    (ts.isCallExpression(p) && p.expression !== node) ||
    (ts.isNewExpression(p) && p.expression !== node) ||
    ts.isVariableDeclaration(p) ||
    ts.isArrayLiteralExpression(p) ||
    ts.isPropertyAssignment(p) ||
    ts.isReturnStatement(p) ||
    ts.isArrowFunction(p) ||
    ts.isParenthesizedExpression(p) ||
    ts.isTemplateSpan(p) ||
    (ts.isConditionalExpression(p) && p.condition !== node) ||
    (ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.PlusToken && p.left === node) ||
    (ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.EqualsToken && p.right === node)
  );
};

const lineStarts = (text) => {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
};

const longLines = (text) => {
  const set = new Set();
  text.split('\n').forEach((l, i) => {
    if ([...l].length > LIMIT) set.add(i);
  });
  return set;
};

const rewrite = (file) => {
  const text = fs.readFileSync(file, 'utf8');
  const long = longLines(text);
  if (!long.size) return 0;
  const kind = file.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const starts = lineStarts(text);
  const lineOf = (pos) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const edits = [];
  const visit = (n) => {
    const literal = ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateExpression(n);
    if (literal && !skip(n)) {
      const a = lineOf(n.getStart(sf));
      const b = lineOf(n.getEnd());
      let onLong = false;
      for (let l = a; l <= b; l++) if (long.has(l)) onLong = true;
      if (onLong && n.getEnd() - n.getStart(sf) > PIECE + 10) {
        const pieces = piecesOf(unitsOf(sf, n));
        if (pieces.length > 1) {
          const q = ts.isStringLiteral(n) ? text[n.getStart(sf)] : '`';
          const joined = pieces.map((p) => `${q}${p.map((u) => u.text).join('')}${q}`).join(' + ');
          edits.push([n.getStart(sf), n.getEnd(), bare(n) ? joined : `(${joined})`]);
          return;
        }
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  if (!edits.length) return 0;
  edits.sort((x, y) => y[0] - x[0]);
  let out = text;
  for (const [s, e, r] of edits) out = out.slice(0, s) + r + out.slice(e);
  fs.writeFileSync(file, out);
  return edits.length;
};

let total = 0;
const tracked = () =>
  execFileSync('git', ['ls-files', '*.ts', '*.mjs', '*.js'], { encoding: 'utf8' })
    .split('\n')
    .filter((f) => f !== '' && !f.includes('.ohm-bundle.'));
const files = process.argv.length > 2 ? process.argv.slice(2) : tracked();
for (const file of files) {
  const n = rewrite(file);
  if (n) console.log(`${file}: ${n} literal${n === 1 ? '' : 's'} split`);
  total += n;
}
console.log(`${total} long literals split`);
