// Reading one data file or folder as the CLI's --data/--val-data/--test-data names it: CSV/TSV, JSON,
// JSONL, .npy (alone, as a pair, or x.npy/y.npy in a folder), .npz, IDX (gzipped or not, MNIST's
// distribution format), image folders and plain text. Everything becomes RawData for datafit.ts, which
// checks it against the model. The file kind comes from the name (and, for folders, what they hold).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { badFile, DataError } from '../../runtime/data/errors.js';
import { readIdx } from '../../runtime/data/idx.js';
import { isImageFolder, readImageFolder } from '../../runtime/data/images.js';
import { nestedToTensor } from '../../runtime/data/json.js';
import { readLines } from '../../runtime/data/lines.js';
import { readNpy } from '../../runtime/data/npy.js';
import { openNpyRows, type NpyRows } from '../../runtime/data/npyRows.js';
import type { RowReader } from '../../runtime/data/dataset.js';
import { readNpz } from '../../runtime/data/npz.js';
import { csvTable, jsonlRows, jsonTable, readTable, type ColumnRef, type TableSource } from '../../runtime/data/table.js';
import type { Tensor } from '../../runtime/tensor.js';
import type { Model } from '../api/model.js';
import type { RawData } from './datafit.js';
import { feedSlots, modelClasses } from './datafit.js';

export interface ReadOptions {
  readonly role: 'train' | 'val' | 'test';
  readonly labelColumns?: readonly ColumnRef[];
  readonly features?: readonly ColumnRef[];
  readonly header?: boolean | 'auto';
  readonly dropMissing?: boolean;
  readonly classNames?: readonly string[];
  readonly vocab?: string;
  readonly resize?: boolean;
  readonly grayscale?: boolean;
  readonly limit?: number;
}

export type FileKind = 'table' | 'arrays' | 'images' | 'text';
export interface Read {
  readonly raw: RawData;
  readonly kind: FileKind;
  readonly notes: readonly string[];
  readonly labelColumns?: readonly string[];
  readonly featureColumns?: readonly string[];
}

const err = (path: string, code: string, message: string): DataError => new DataError(path, message, undefined, code);

const IDX = /-idx\d-ubyte(\.gz)?$|\.idx\d?(\.gz)?$/i;
const X_NAMES = ['x', 'X', 'inputs', 'features', 'data', 'images'],
  Y_NAMES = ['y', 'Y', 'targets', 'labels', 'label'];

const toF32 = (t: Tensor): Float32Array => (t.data instanceof Float32Array ? t.data : Float32Array.from(t.data));

/** x and y arrays (first axis: examples) as RawData; IDX bytes are pixels, scaled to [0, 1]. */
const fromArrays = (file: string, x: Tensor, xName: string, y: Tensor | undefined, yName: string, notes: string[], pixels = false, xRows?: RowReader): Read => {
  if (x.shape.length === 0) throw badFile(file, `${xName} is a scalar; expected one row per example (shape [N, …])`);
  const count = x.shape[0]!;
  if (y && y.shape[0] !== count) {
    throw badFile(file, `${xName} has ${count} examples (shape [${x.shape.join(', ')}]) but ${yName} has ${y.shape[0] ?? 0} (shape [${y.shape.join(', ')}])`);
  }
  const xs = toF32(x);
  if (pixels) {
    for (let i = 0; i < xs.length; i++) xs[i] = xs[i]! / 255;
    notes.push(`${xName}: bytes scaled to [0, 1]`);
  }
  const rowShape = x.shape.slice(1);
  const ys = y ? (y.data instanceof Int32Array ? y.data : toF32(y)) : undefined;
  return {
    kind: 'arrays',
    notes,
    raw: {
      file,
      count,
      x: xs,
      rowShape,
      ...(xRows ? { xRows } : {}),
      xWhat: `array ${xName} has shape [${x.shape.join(', ')}]`,
      ...(ys ? { y: ys } : {}),
      labelsPerRow: y ? y.shape.slice(1).reduce((a, b) => a * b, 1) : 0,
      yWhat: `array ${yName} has shape [${y?.shape.join(', ') ?? ''}]`,
      xFix: [`reshape ${xName} to [${count}, …] with the input's element count per example (e.g. x.reshape(len(x), -1) in NumPy)`],
      yFix: ['save integer class indices (y.astype("int32")) for a class target, float values for an f32 target'],
    },
  };
};

/** .npy feature files larger than this are read a batch at a time instead of loaded (npyRows.ts). */
export const STREAM_BYTES = 128 * 1024 * 1024;

/** x from a large .npy, read on demand: the tensor's data is empty and rows come from the reader. */
const streamedNpy = (path: string, notes: string[]): { t: Tensor; rows: NpyRows } | undefined => {
  if (statSync(path).size <= STREAM_BYTES) return undefined;
  const rows = openNpyRows(path);
  notes.push(`${basename(path)}: ${(statSync(path).size / 2 ** 20).toFixed(0)} MiB, read from disk a batch at a time (not loaded)`);
  return { t: { data: new Float32Array(0), shape: [...rows.shape] }, rows };
};

const readArray = (path: string): { t: Tensor; pixels: boolean } => {
  // IDX unsigned bytes in more than one dimension are images (MNIST, Fashion-MNIST): pixels
  if (IDX.test(path)) {
    const r = readIdx(path);
    return { t: r, pixels: r.type === 0x08 && r.shape.length > 1 };
  }
  if (/\.npy$/i.test(path)) return { t: readNpy(path), pixels: false };
  throw new DataError(path, 'expected an .npy or IDX file in a pair x,y', undefined, 'E0710');
};

const pick = (names: readonly string[], have: (n: string) => boolean): string | undefined => names.find(have);

const sibling = (path: string, from: RegExp, to: string): string | undefined => {
  const b = basename(path);
  const s = b.replace(from, to);
  return s !== b && existsSync(join(dirname(path), s)) ? join(dirname(path), s) : undefined;
};

const arraysInFolder = (dir: string, model: Model, o: ReadOptions): Read | undefined => {
  const files = readdirSync(dir);
  const { input, target } = feedSlots(model);
  const npy = (n: string) => files.includes(`${n}.npy`);
  const xn = pick([input.name, ...X_NAMES], npy);
  if (xn) {
    const yn = pick([...(target ? [target.name] : []), ...Y_NAMES], npy);
    const notes: string[] = [],
      big = streamedNpy(join(dir, `${xn}.npy`), notes);
    const y = yn ? readNpy(join(dir, `${yn}.npy`)) : undefined;
    return fromArrays(dir, big?.t ?? readNpy(join(dir, `${xn}.npy`)), `${xn}.npy`, y, `${yn}.npy`, notes, false, big?.rows);
  }
  const images = files.filter((f) => /images?-idx3-ubyte(\.gz)?$/.test(f)),
    labels = files.filter((f) => /labels?-idx1-ubyte(\.gz)?$/.test(f));
  if (images.length) {
    const prefer = o.role === 'test' ? /^(t10k|test)/ : /^train/;
    const im = images.find((f) => prefer.test(f)) ?? images[0]!;
    const lb = labels.find((f) => f.split('-')[0] === im.split('-')[0]);
    const x = readArray(join(dir, im));
    return fromArrays(dir, x.t, im, lb ? readIdx(join(dir, lb)) : undefined, lb ?? 'labels', [`IDX files ${im}${lb ? ` and ${lb}` : ''}`], x.pixels);
  }
  return undefined;
};

const tableRead = (t: TableSource, model: Model, o: ReadOptions, notes: string[]): Read => {
  const { target } = feedSlots(model);
  // the label column: as given, else the column named like the model's target, else the last one
  const byName = target && t.columns?.includes(target.name) ? [target.name] : undefined;
  const labels = o.labelColumns ?? byName ?? (target ? [t.width - 1] : []);
  const d = readTable(t, {
    labelColumns: labels,
    ...(o.features ? { featureColumns: o.features } : {}),
    ...(o.dropMissing ? { dropMissing: true } : {}),
    ...(o.classNames ? { classNames: [o.classNames] } : {}),
    ...(o.limit !== undefined ? { limit: o.limit } : {}),
  });
  const why = o.labelColumns ? '--label-column' : byName ? `named like target ${target!.name}` : 'the last column; --label-column to choose';
  if (t.headerNote) notes.push(t.headerNote);
  if (d.dropped) notes.push(`${d.dropped} row${d.dropped === 1 ? '' : 's'} with missing values dropped`);
  const names = (ns: readonly string[]) => ns.map((n) => `'${n}'`).join(', ');
  const classNames = d.classNames[0];
  const cols = d.featureNames.length > 8 ? `${d.featureNames.length} columns` : `columns ${names(d.featureNames)}`;
  return {
    kind: 'table',
    notes,
    labelColumns: d.labelNames,
    featureColumns: d.featureNames,
    raw: {
      file: t.file,
      count: d.count,
      x: d.x,
      rowShape: [d.features],
      ...(labels.length ? { y: d.y } : {}),
      xWhat: `the file has ${d.features} feature value${d.features === 1 ? '' : 's'} per row (${cols})`,
      labelsPerRow: d.labelNames.length,
      yWhat: `label column${d.labelNames.length === 1 ? '' : 's'} ${names(d.labelNames)} (${why})`,
      ...(d.lines ? { exampleWhere: (i: number) => `line ${d.lines![i]}` } : {}),
      ...(classNames ? { classNames, task: 'classes' as const } : {}),
      xFix: [
        'choose the feature columns with --features NAME,NAME,… (names or 0-based indices)',
        `the label column is ${names(d.labelNames)}: choose another with --label-column`,
      ],
      yFix: ['choose the label column(s) with --label-column NAME[,NAME…]'],
    },
  };
};

const jsonRead = (path: string, model: Model, o: ReadOptions): Read => {
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw badFile(path, `invalid JSON: ${(e as Error).message}`);
  }
  if (Array.isArray(j))
    return tableRead(
      jsonTable(path, j, (i) => `record ${i}`),
      model,
      o,
      [],
    );
  if (!j || typeof j !== 'object') throw badFile(path, 'expected a list of records or {"x": [...], "y": [...]}');
  const { input, target } = feedSlots(model);
  const has = (k: string) => Object.hasOwn(j as object, k);
  const xn = pick([input.name, ...X_NAMES], has),
    yn = pick([...(target ? [target.name] : []), ...Y_NAMES], has);
  const keys = [input.name, ...X_NAMES].join(', ');
  if (!xn) throw err(path, 'E0710', `no array for input ${input.name}: looked for keys ${keys}; the file has ${Object.keys(j).join(', ')}`);
  const get = (k: string) => nestedToTensor((j as Record<string, unknown>)[k], path, `.${k}`);
  return fromArrays(path, get(xn), `.${xn}`, yn ? get(yn) : undefined, `.${yn}`, []);
};

/** Reads a data file or folder for the model (the caller checks the fit). */
export const readData = (path: string, model: Model, o: ReadOptions): Read => {
  const pair = path.split(',');
  if (pair.length === 2 && pair.every((p) => existsSync(p))) {
    const notes: string[] = [],
      big = /\.npy$/i.test(pair[0]!) ? streamedNpy(pair[0]!, notes) : undefined;
    const x = big ? { t: big.t, pixels: false } : readArray(pair[0]!),
      y = readArray(pair[1]!);
    return fromArrays(pair[0]!, x.t, basename(pair[0]!), y.t, basename(pair[1]!), notes, x.pixels, big?.rows);
  }
  if (!existsSync(path)) throw badFile(path, 'no such file or folder');
  if (statSync(path).isDirectory()) {
    if (isImageFolder(path)) {
      const { input } = feedSlots(model);
      const s = input.type.shape.slice(1).map(Number);
      const [C, H, W] = s.length === 3 ? s : s.length === 2 ? [1, s[0]!, s[1]!] : [NaN, NaN, NaN];
      if (![C, H, W].every((d) => Number.isInteger(d))) {
        const has = `input ${input.name} has shape [${input.type.shape.join(', ')}]`;
        throw err(path, 'E0707', `an image folder feeds an input of shape [B, C, H, W] or [B, H, W]; ${has}`);
      }
      const ds = readImageFolder(path, { channels: C!, height: H!, width: W!, ...pickDefined(o, ['resize', 'grayscale', 'classNames', 'limit']) });
      return {
        kind: 'images',
        notes: [`images as ${C}×${H}×${W} in [0, 1]${o.resize ? ', resized (bilinear)' : ''}${o.grayscale ? ', grayscale (luma)' : ''}`],
        raw: {
          file: path,
          count: ds.count,
          x: ds.x,
          rowShape: [C!, H!, W!],
          xWhat: `images of ${C}×${H}×${W}`,
          y: ds.y,
          labelsPerRow: 1,
          yWhat: 'class folders',
          classNames: ds.classNames,
          task: 'classes',
        },
      };
    }
    const r = arraysInFolder(path, model, o);
    if (r) return r;
    throw err(
      path,
      'E0710',
      'a data folder holds class subfolders of PNG/JPEG images, x.npy and y.npy ' + "(or arrays named like the model's input and target), or IDX files",
    );
  }
  if (/\.(csv|tsv)$/i.test(path)) return tableRead(csvTable(path, { header: o.header ?? 'auto' }), model, o, []);
  if (/\.(jsonl|ndjson)$/i.test(path)) {
    const text = (() => {
      try {
        return readFileSync(path, 'utf8');
      } catch (e) {
        throw badFile(path, `cannot read: ${(e as Error).message}`);
      }
    })();
    const { rows, lines } = jsonlRows(path, text);
    return tableRead(
      jsonTable(path, rows, (i) => `line ${lines[i]}`),
      model,
      o,
      [],
    );
  }
  if (/\.json$/i.test(path)) return jsonRead(path, model, o);
  if (/\.npz$/i.test(path)) {
    const arrays = readNpz(path);
    const { input, target } = feedSlots(model);
    const suffix = o.role === 'test' ? '_test' : '_train';
    const has = (n: string) => arrays.has(n);
    const xn = pick([input.name, ...X_NAMES.map((n) => n + suffix), ...X_NAMES], has);
    const yn = pick([...(target ? [target.name] : []), ...Y_NAMES.map((n) => n + suffix), ...Y_NAMES], has);
    const looked = [input.name, 'x', `x${suffix}`, 'inputs', 'features', 'data', 'images'].join(', ');
    if (!xn) throw err(path, 'E0710', `no array for input ${input.name}: looked for ${looked}; the file has ${[...arrays.keys()].join(', ') || 'none'}`);
    return fromArrays(path, arrays.get(xn)!, xn, yn ? arrays.get(yn) : undefined, yn ?? 'y', [`arrays ${xn}${yn ? ` and ${yn}` : ''}`]);
  }
  if (/\.npy$/i.test(path) || IDX.test(path)) {
    // the labels beside it: x.npy → y.npy, X_train.npy → y_train.npy, train-images-idx3-ubyte → train-labels-idx1-ubyte
    const labels = /\.npy$/i.test(path) ? sibling(path, /x(?=[^x]*$)/i, 'y') : sibling(path, /images?-idx3/, 'labels-idx1');
    const notes = labels ? [`labels from ${basename(labels)}`] : [];
    const big = /\.npy$/i.test(path) ? streamedNpy(path, notes) : undefined;
    const x = big ? { t: big.t, pixels: false } : readArray(path);
    return fromArrays(path, x.t, basename(path), labels ? readArray(labels).t : undefined, labels ? basename(labels) : 'labels', notes, x.pixels, big?.rows);
  }
  if (/\.txt$/i.test(path)) {
    const { input } = feedSlots(model);
    const T = Number(input.type.shape[1]);
    if (input.type.shape.length !== 2 || !Number.isInteger(T) || input.type.dtype !== 'i32') {
      const is = `input ${input.name} is ${input.type.dtype}[${input.type.shape.join(', ')}]`;
      throw err(path, 'E0709', `a text file feeds a language model with an input i32[B, T] of fixed length; ${is}`);
    }
    const ds = readLines(path, { T, ...pickDefined(o, ['vocab', 'limit']) });
    const skipped = ds.skipped ? `; ${ds.skipped} lines of ${T} or more characters skipped` : '';
    const k = modelClasses(model);
    if (k !== undefined && ds.vocab.length > k) {
      throw err(
        path,
        'E0709',
        `the text has ${ds.vocab.length - 1} distinct characters (${JSON.stringify(ds.vocab.slice(1))}) plus the boundary, ` +
          `but the model scores ${k} classes; give the embedding and the output ${ds.vocab.length}`,
      );
    }
    return {
      kind: 'text',
      notes: [`characters as token ids (vocabulary of ${ds.vocab.length - 1} + boundary)${skipped}`],
      raw: {
        file: path,
        count: ds.count,
        x: ds.x,
        rowShape: [T],
        xWhat: `lines as ${T} token ids`,
        y: ds.y,
        labelsPerRow: T,
        yWhat: 'the next character at each position',
        vocab: ds.vocab,
        task: 'classes',
      },
    };
  }
  throw err(path, 'E0701', 'unknown data file type: use .csv, .tsv, .json, .jsonl, .npy (or x.npy,y.npy), .npz, IDX (-ubyte, .gz), .txt, or a folder');
};

const pickDefined = <T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> =>
  Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as Partial<Pick<T, K>>;
