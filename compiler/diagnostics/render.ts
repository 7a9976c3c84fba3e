// Renders diagnostics as `file:line:col: error[CODE]: message`, a caret frame under the source, and notes.
// The only place that turns offsets into lines and columns.
import type { Diagnostic } from './diagnostic.js';
import { type SourceFile, type Span, lineCol, lineText } from './span.js';

export type SourceLookup = (path: string) => SourceFile | undefined;

export interface RenderOptions {
  readonly color?: boolean;
}

const paint = (on: boolean, code: string, s: string): string => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

export const location = (sp: Span, lookup: SourceLookup): string => {
  const src = lookup(sp.file);
  if (!src) return sp.file;
  const { line, col } = lineCol(src, sp.start);
  return `${sp.file}:${line}:${col}`;
};

const MAX_FRAME = 160;

const frame = (sp: Span, src: SourceFile, color: boolean): string => {
  const { line, col } = lineCol(src, sp.start);
  const end = lineCol(src, Math.max(sp.start, sp.end - 1));
  const text = lineText(src, line).replace(/\t/g, ' ');
  const width = Math.max(1, end.line === line ? end.col - col + 1 : text.length - col + 1);
  const gutter = String(line);
  const pad = ' '.repeat(gutter.length);
  // A very long line (a generated or hostile file) is shown as a window around the caret.
  let shown = text,
    caretAt = col - 1,
    caretW = width;
  if (text.length > MAX_FRAME) {
    const from = Math.max(0, Math.min(col - 1 - 40, text.length - MAX_FRAME));
    shown = `${from > 0 ? '…' : ''}${text.slice(from, from + MAX_FRAME)}${from + MAX_FRAME < text.length ? '…' : ''}`;
    caretAt = col - 1 - from + (from > 0 ? 1 : 0);
    caretW = Math.max(1, Math.min(width, MAX_FRAME - (col - 1 - from)));
  }
  return [`  ${gutter} | ${shown}`, `  ${pad} | ${' '.repeat(caretAt)}${paint(color, '31;1', '^'.repeat(caretW))}`].join('\n');
};

export const renderDiagnostic = (d: Diagnostic, lookup: SourceLookup, opts: RenderOptions = {}): string => {
  const color = opts.color ?? false;
  const sev = paint(color, d.severity === 'error' ? '31;1' : '33;1', `${d.severity}[${d.code}]`);
  const head = d.span ? `${location(d.span, lookup)}: ` : '';
  const lines = [`${paint(color, '1', head)}${sev}: ${d.message}`];
  const src = d.span ? lookup(d.span.file) : undefined;
  if (d.span && src) lines.push(frame(d.span, src, color));
  for (const n of d.notes) {
    lines.push(`  ${paint(color, '36;1', 'note')}: ${n.message}${n.span ? `  (${location(n.span, lookup)})` : ''}`);
  }
  return lines.join('\n');
};

export const renderDiagnostics = (ds: readonly Diagnostic[], lookup: SourceLookup, opts: RenderOptions = {}): string => {
  const errors = ds.filter((d) => d.severity === 'error').length;
  const body = ds.map((d) => renderDiagnostic(d, lookup, opts)).join('\n\n');
  return errors > 0 ? `${body}\n\n${errors} error${errors === 1 ? '' : 's'}` : body;
};
