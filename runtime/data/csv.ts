// CSV datasets, streamed in 1 MiB chunks: numeric feature columns plus an integer label column.
// Errors name the file, the 1-based line and the column.
import { closeSync, openSync, readSync } from 'node:fs';
import type { Dataset } from './dataset.js';
import { DataError } from './errors.js';

export interface CsvOptions {
  readonly header?: boolean | 'auto';
  /** Name or 0-based index of the label column (default: the last column). */
  readonly labelColumn?: string | number;
  /** Labels must be integers in [0, numClasses). */
  readonly numClasses?: number;
  readonly delimiter?: string;
}

function* lines(path: string): Generator<string> {
  const fd = (() => {
    try {
      return openSync(path, 'r');
    } catch (e) {
      throw new DataError(path, `cannot read: ${(e as Error).message}`);
    }
  })();
  const chunk = new Uint8Array(1 << 20);
  const dec = new TextDecoder();
  let rest = '';
  try {
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      const text = rest + dec.decode(chunk.subarray(0, n), { stream: true });
      const parts = text.split('\n');
      rest = parts.pop()!;
      yield* parts;
    }
    rest += dec.decode();
    if (rest.length) yield rest;
  } finally {
    closeSync(fd);
  }
}

export const readCsv = (path: string, opts: CsvOptions = {}): Dataset => {
  const delim = opts.delimiter ?? ',';
  let x = new Float32Array(1 << 16),
    y = new Int32Array(1 << 12);
  let count = 0,
    width = -1,
    labelAt = -1,
    lineNo = 0;
  let names: string[] | undefined;
  for (const raw of lines(path)) {
    lineNo++;
    const line = raw.replace(/\r$/, '');
    if (!line.trim()) continue;
    const cells = line.split(delim).map((c) => c.trim());
    if (width < 0) {
      const looksHeader = cells.some((c) => c !== '' && Number.isNaN(Number(c)));
      if (opts.header === true || (opts.header !== false && looksHeader)) {
        names = cells;
        width = cells.length;
        continue;
      }
      width = cells.length;
    }
    if (labelAt < 0) {
      const lc = opts.labelColumn ?? width - 1;
      labelAt = typeof lc === 'number' ? lc : (names?.indexOf(lc) ?? -1);
      if (labelAt < 0 || labelAt >= width) throw new DataError(path, `no label column ${JSON.stringify(lc)}${names ? ` (columns: ${names.join(', ')})` : ''}`);
    }
    if (cells.length !== width) throw new DataError(path, `expected ${width} columns, found ${cells.length}`, lineNo);
    const f = width - 1;
    if ((count + 1) * f > x.length) {
      const nx = new Float32Array(x.length * 2);
      nx.set(x);
      x = nx;
    }
    if (count + 1 > y.length) {
      const ny = new Int32Array(y.length * 2);
      ny.set(y);
      y = ny;
    }
    let j = 0;
    for (let c = 0; c < width; c++) {
      const v = Number(cells[c]);
      if (cells[c] === '' || !Number.isFinite(v))
        throw new DataError(path, `column ${c + 1}${names ? ` (${names[c]})` : ''} is '${cells[c]}', not a number`, lineNo);
      if (c === labelAt) {
        if (!Number.isInteger(v) || v < 0 || (opts.numClasses !== undefined && v >= opts.numClasses)) {
          throw new DataError(path, `label ${v} is not a class index${opts.numClasses !== undefined ? ` in 0…${opts.numClasses - 1}` : ''}`, lineNo);
        }
        y[count] = v;
      } else x[count * f + j++] = v;
    }
    count++;
  }
  if (count === 0) throw new DataError(path, 'no data rows');
  return { x: x.slice(0, count * (width - 1)), y: y.slice(0, count), count, featureShape: [width - 1] };
};
