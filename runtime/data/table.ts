// Tables — CSV/TSV, JSON arrays of records or of rows, JSONL — turned into feature and label columns.
// Columns are chosen by name or 0-based index; a label column of text (e.g. "setosa") becomes class
// indices in sorted name order (the mapping is returned, and a validation or test file is read with the
// training file's mapping); numbers stay numbers (class indices or regression values, as the model's
// target says). Missing cells ('', NA, NaN, null) are errors unless dropMissing. The table is streamed:
// only the float columns are kept.
import { closeSync, openSync, readSync } from 'node:fs';
import { csvRecords, guessDelimiter } from './csvParse.js';
import { DataError, badFile, dataError } from './errors.js';

export type Cell = string | number | boolean | null | undefined | readonly unknown[];
/** A record and where it is ("line 12"); `line`, when the source has lines, lets errors found later name it. */
export interface TableRecord {
  readonly cells: readonly Cell[];
  readonly where: string;
  readonly line?: number;
}
export interface TableSource {
  readonly file: string;
  /** Column names (a CSV header or the keys of JSON records); undefined for headerless rows. */
  readonly columns: readonly string[] | undefined;
  readonly width: number;
  records(): Generator<TableRecord>;
  /** How the header was decided, for the header line of `dlm train`. */
  readonly headerNote?: string;
}

export type ColumnRef = string | number;

export interface TableOptions {
  /** Label columns (default: the last column). Empty: no labels (prediction). */
  readonly labelColumns?: readonly ColumnRef[];
  /** Feature columns (default: every column that is not a label). */
  readonly featureColumns?: readonly ColumnRef[];
  readonly dropMissing?: boolean;
  /** Class names per label column from the training file: text labels are mapped with them. */
  readonly classNames?: readonly (readonly string[] | undefined)[];
  /** Stop after this many rows. */
  readonly limit?: number;
}

export interface TableData {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly count: number;
  /** Feature values per row (a JSON cell holding a list counts as its length). */
  readonly features: number;
  readonly featureNames: readonly string[];
  readonly labelNames: readonly string[];
  /** Per label column: the class names when its cells were text, else undefined. */
  readonly classNames: readonly (readonly string[] | undefined)[];
  readonly dropped: number;
  /** The source line of each kept row, when the source has lines (CSV/TSV): for errors found after reading. */
  readonly lines?: Int32Array;
}

const MISSING = new Set(['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'None']);
const isMissing = (c: Cell): boolean => c === null || c === undefined || (typeof c === 'string' && MISSING.has(c.trim()));
const numeric = (c: Cell): number | undefined => {
  if (typeof c === 'number') return c;
  if (typeof c === 'boolean') return c ? 1 : 0;
  if (typeof c !== 'string' || c.trim() === '') return undefined;
  const v = Number(c);
  return Number.isFinite(v) ? v : undefined;
};

const HEADER_SAMPLE = 20;

const firstLine = (path: string): string => {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw badFile(path, `cannot read: ${(e as Error).message}`);
  }
  try {
    const buf = Buffer.alloc(4096);
    return (
      buf
        .subarray(0, readSync(fd, buf, 0, buf.length, 0))
        .toString('utf8')
        .split('\n')[0] ?? ''
    );
  } finally {
    closeSync(fd);
  }
};

/** A delimited file; the header is detected (a column whose first cell is text over numbers below) unless given. */
export const csvTable = (path: string, opts: { header?: boolean | 'auto'; delimiter?: string } = {}): TableSource => {
  const delimiter = opts.delimiter ?? guessDelimiter(path, firstLine(path));
  const sample: string[][] = [];
  for (const r of csvRecords(path, delimiter)) {
    sample.push(r.cells);
    if (sample.length > HEADER_SAMPLE) break;
  }
  if (sample.length === 0) throw badFile(path, 'no data rows');
  let header: boolean, note: string;
  if (opts.header === true || opts.header === false) {
    header = opts.header;
    note = header ? 'header row (--header yes)' : 'no header row (--header no)';
  } else {
    const row0 = sample[0]!,
      rest = sample.slice(1);
    // a column votes "header" when its first cell is text and every later sampled cell is a number
    const votes = row0.some((c, j) => numeric(c) === undefined && rest.length > 0 && rest.every((r) => numeric(r[j] ?? '') !== undefined));
    // all text and no first-row value repeated below (names, not data) also means a header
    const allText = row0.every((c) => numeric(c) === undefined) && row0.every((c, j) => !rest.some((r) => r[j] === c));
    header = votes || (allText && rest.length > 0);
    note = header ? 'header row detected (--header no if it is data)' : 'no header row detected (--header yes if the first row names the columns)';
  }
  const columns = header ? sample[0] : undefined;
  const width = sample[0]!.length;
  return {
    file: path,
    columns,
    width,
    headerNote: note,
    *records() {
      let skip = header;
      for (const r of csvRecords(path, delimiter)) {
        if (skip) {
          skip = false;
          continue;
        }
        const named = columns ? ` (${columns.join(', ')})` : '';
        if (r.cells.length !== width) throw badFile(path, `expected ${width} columns${named}, found ${r.cells.length}`, r.line);
        yield { cells: r.cells, where: `line ${r.line}`, line: r.line };
      }
    },
  };
};

/** A parsed JSON value that is a table: an array of records (objects) or of rows (arrays). */
export const jsonTable = (file: string, rows: readonly unknown[], where: (i: number) => string): TableSource => {
  if (rows.length === 0) throw badFile(file, 'no data rows');
  const r0 = rows[0];
  if (Array.isArray(r0)) {
    const width = r0.length;
    return {
      file,
      columns: undefined,
      width,
      *records() {
        for (let i = 0; i < rows.length; i++) {
          const r = rows[i];
          if (!Array.isArray(r) || r.length !== width) throw badFile(file, `${where(i)} should be a list of ${width} values like the first row`);
          yield { cells: r as Cell[], where: where(i) };
        }
      },
    };
  }
  if (!r0 || typeof r0 !== 'object') {
    throw badFile(file, `${where(0)} is ${JSON.stringify(r0)?.slice(0, 40)}: expected a record {"name": value, …} or a list of values`);
  }
  const columns = Object.keys(r0);
  return {
    file,
    columns,
    width: columns.length,
    *records() {
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i];
        if (!r || typeof r !== 'object' || Array.isArray(r)) throw badFile(file, `${where(i)} is not a record like the first one`);
        yield { cells: columns.map((k) => (Object.hasOwn(r, k) ? (r as Record<string, Cell>)[k] : undefined)), where: where(i) };
      }
    },
  };
};

/** JSONL: one JSON record (or list) per line. */
export const jsonlRows = (file: string, text: string): { rows: unknown[]; lines: number[] } => {
  const rows: unknown[] = [],
    lines: number[] = [];
  text.split('\n').forEach((l, i) => {
    if (!l.trim()) return;
    try {
      rows.push(JSON.parse(l));
    } catch (e) {
      throw badFile(file, `invalid JSON: ${(e as Error).message}`, i + 1);
    }
    lines.push(i + 1);
  });
  return { rows, lines };
};

const colError = (t: TableSource, ref: ColumnRef, what: string): DataError =>
  dataError(
    t.file,
    'E0704',
    `no ${what} column ${JSON.stringify(ref)}: the file has ${
      t.columns ? `columns ${t.columns.map((c) => JSON.stringify(c)).join(', ')}` : `${t.width} unnamed columns (indices 0…${t.width - 1})`
    }`,
  );

/** The 0-based index of a column given by name or index. */
export const resolveColumn = (t: TableSource, ref: ColumnRef, what: string): number => {
  if (typeof ref === 'number' || /^\d+$/.test(ref)) {
    const i = Number(ref);
    if (t.columns && typeof ref === 'string' && t.columns.includes(ref)) return t.columns.indexOf(ref);
    if (i < t.width) return i;
    throw colError(t, ref, what);
  }
  const i = t.columns?.indexOf(ref) ?? -1;
  if (i < 0) throw colError(t, ref, what);
  return i;
};

const columnName = (t: TableSource, j: number): string => t.columns?.[j] ?? `column ${j}`;

/** Reads the chosen columns of a table into floats: features row-major, labels (values or class indices). */
export const readTable = (t: TableSource, opts: TableOptions = {}): TableData => {
  const labels = (opts.labelColumns ?? [t.width - 1]).map((c) => resolveColumn(t, c, 'label'));
  const features = opts.featureColumns
    ? opts.featureColumns.map((c) => resolveColumn(t, c, 'feature'))
    : [...Array(t.width).keys()].filter((j) => !labels.includes(j));
  const clash = features.find((j) => labels.includes(j));
  if (clash !== undefined) throw new DataError(t.file, `column ${JSON.stringify(columnName(t, clash))} is both a feature and a label`, undefined, 'E0704');
  const given = opts.classNames ?? [];
  // per label column: undefined until decided, then 'number' or a name → index map
  const kinds: ('number' | Map<string, number> | undefined)[] = labels.map((_, k) => (given[k] ? new Map(given[k]!.map((n, i) => [n, i])) : undefined));
  let x = new Float32Array(1 << 12),
    y = new Float32Array(1 << 10),
    lines: Int32Array | undefined;
  let count = 0,
    dropped = 0,
    width = -1;
  const limit = opts.limit ?? Infinity;
  const row: number[] = [];
  const lab: number[] = [];
  outer: for (const r of t.records()) {
    if (count >= limit) break;
    row.length = 0;
    lab.length = 0;
    for (const j of features) {
      const c = r.cells[j];
      if (Array.isArray(c)) {
        flattenInto(c, row, t.file, `${r.where}, ${JSON.stringify(columnName(t, j))}`);
        continue;
      }
      if (isMissing(c)) {
        if (opts.dropMissing) {
          dropped++;
          continue outer;
        }
        throw missing(t, r, j);
      }
      const v = numeric(c);
      if (v === undefined) {
        throw dataError(
          t.file,
          'E0705',
          `${r.where}: feature column ${JSON.stringify(columnName(t, j))} is ${JSON.stringify(c)}, not a number; ` +
            'choose numeric feature columns with --features, or make it the label with --label-column',
        );
      }
      row.push(v);
    }
    for (let k = 0; k < labels.length; k++) {
      const j = labels[k]!,
        c = r.cells[j];
      if (isMissing(c)) {
        if (opts.dropMissing) {
          dropped++;
          continue outer;
        }
        throw missing(t, r, j);
      }
      let kind = kinds[k];
      if (kind === undefined) kind = kinds[k] = numeric(c as Cell) === undefined ? new Map() : 'number';
      if (kind === 'number') {
        const v = numeric(c as Cell);
        if (v === undefined) {
          throw dataError(
            t.file,
            'E0705',
            `${r.where}: label column ${JSON.stringify(columnName(t, j))} is ${JSON.stringify(c)}, but its first rows are numbers`,
          );
        }
        lab.push(v);
      } else {
        const name = typeof c === 'string' ? c : JSON.stringify(c);
        let id = kind.get(name);
        if (id === undefined) {
          const col = JSON.stringify(columnName(t, j));
          if (given[k]) {
            throw dataError(
              t.file,
              'E0708',
              `${r.where}: class ${JSON.stringify(name)} in column ${col} is not one of the training data's classes (${given[k]!.join(', ')})`,
            );
          }
          id = kind.size;
          kind.set(name, id);
        }
        lab.push(id);
      }
    }
    if (width < 0) width = row.length;
    else if (row.length !== width) throw badFile(t.file, `${r.where} has ${row.length} feature values, the first row ${width}`);
    while ((count + 1) * width > x.length) {
      const nx = new Float32Array(x.length * 2);
      nx.set(x);
      x = nx;
    }
    while ((count + 1) * labels.length > y.length) {
      const ny = new Float32Array(y.length * 2);
      ny.set(y);
      y = ny;
    }
    x.set(row, count * width);
    y.set(lab, count * labels.length);
    if (r.line !== undefined) {
      if (!lines || count >= lines.length) {
        const nl = new Int32Array(Math.max(1024, (lines?.length ?? 0) * 2));
        if (lines) nl.set(lines);
        lines = nl;
      }
      lines[count] = r.line;
    }
    count++;
  }
  if (count === 0) throw badFile(t.file, dropped ? `every row has a missing value (${dropped} dropped)` : 'no data rows');
  // text labels: indices in sorted name order (a file's order of first appearance is not a stable mapping)
  const classNames = kinds.map((kind, k) => {
    if (!(kind instanceof Map)) return undefined;
    if (given[k]) return given[k];
    const names = [...kind.keys()].sort();
    const remap = new Float32Array(names.length);
    names.forEach((n, i) => {
      remap[kind.get(n)!] = i;
    });
    for (let i = 0; i < count; i++) y[i * labels.length + k] = remap[y[i * labels.length + k]!]!;
    return names;
  });
  return {
    x: x.slice(0, count * width),
    y: y.slice(0, count * labels.length),
    count,
    features: width,
    dropped,
    featureNames: features.map((j) => columnName(t, j)),
    labelNames: labels.map((j) => columnName(t, j)),
    classNames,
    ...(lines ? { lines: lines.slice(0, count) } : {}),
  };
};

const missing = (t: TableSource, r: TableRecord, j: number): DataError =>
  new DataError(t.file, `${r.where}: column ${JSON.stringify(columnName(t, j))} has no value; pass --drop-missing to skip such rows`, undefined, 'E0706');

const flattenInto = (v: readonly unknown[], out: number[], file: string, where: string, depth = 0): void => {
  if (depth > 32) throw badFile(file, `${where}: lists nested more than 32 deep`);
  for (const e of v) {
    if (Array.isArray(e)) flattenInto(e, out, file, where, depth + 1);
    else if (typeof e === 'number' && Number.isFinite(e)) out.push(e);
    else throw new DataError(file, `${where} holds ${JSON.stringify(e)?.slice(0, 30)}, not a finite number`, undefined, 'E0705');
  }
};
