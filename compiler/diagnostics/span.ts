// Source spans as offsets into a named source text; line/column is computed only when rendering.

export interface Span {
  readonly file: string;
  readonly start: number;
  readonly end: number;
}

export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

export const span = (file: string, start: number, end: number): Span => ({ file, start, end });
export const NO_SPAN: Span = { file: '<generated>', start: 0, end: 0 };

export const joinSpans = (a: Span, b: Span): Span => (a.file === b.file ? { file: a.file, start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) } : a);

const lineTables = new WeakMap<SourceFile, number[]>();

const lineStarts = (src: SourceFile): number[] => {
  let t = lineTables.get(src);
  if (!t) {
    t = [0];
    for (let i = 0; i < src.text.length; i++) if (src.text.charCodeAt(i) === 10) t.push(i + 1);
    lineTables.set(src, t);
  }
  return t;
};

/** 1-based line and column of an offset. */
export const lineCol = (src: SourceFile, offset: number): { line: number; col: number } => {
  const t = lineStarts(src);
  let lo = 0,
    hi = t.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (t[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, col: offset - t[lo]! + 1 };
};

export const lineText = (src: SourceFile, line: number): string => {
  const t = lineStarts(src);
  const start = t[line - 1] ?? src.text.length;
  const end = t[line] ?? src.text.length + 1;
  return src.text.slice(start, end - 1).replace(/\r$/, '');
};
