// JSON tensors: nested numeric arrays (must be rectangular) or {"shape": [...], "data": [...]}.
import { readFileSync } from 'node:fs';
import type { Tensor } from '../tensor.js';
import { DataError } from './errors.js';
import { MAX_ELEMENTS } from './npy.js';
import type { Dataset } from './dataset.js';

/** The most dimensions a tensor read from a file may have. */
export const MAX_RANK = 32;

const readJson = (path: string): unknown => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DataError(path, `cannot read: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DataError(path, `invalid JSON: ${(e as Error).message}`);
  }
};

/** Flattens a nested array, checking it is rectangular and numeric; errors name the path inside. */
export const nestedToTensor = (v: unknown, file: string, where = ''): Tensor => {
  if (typeof v === 'number') return { data: Float32Array.of(v), shape: [] };
  if (v && typeof v === 'object' && !Array.isArray(v) && 'data' in v) {
    const o = v as { data: unknown; shape?: unknown };
    const flat = nestedToTensor(o.data, file, `${where}.data`);
    if (o.shape === undefined) return flat;
    if (!Array.isArray(o.shape) || o.shape.length > MAX_RANK || !o.shape.every((d) => Number.isInteger(d) && d >= 0 && d <= MAX_ELEMENTS)) {
      throw new DataError(file, `${where}.shape must be a list of at most ${MAX_RANK} sizes, each a non-negative integer`);
    }
    const n = (o.shape as number[]).reduce((a, b) => a * b, 1);
    if (n !== flat.data.length) throw new DataError(file, `${where}.shape [${o.shape.join(', ')}] needs ${n} values, data has ${flat.data.length}`);
    return { data: flat.data, shape: o.shape as number[] };
  }
  if (!Array.isArray(v)) throw new DataError(file, `expected a number or a list at ${where || 'the top level'}, found ${JSON.stringify(v)?.slice(0, 30)}`);
  const shape: number[] = [];
  for (let x: unknown = v; Array.isArray(x); x = x[0]) {
    // The walk below recurses once per level: a rank limit keeps hostile nesting off the stack.
    if (shape.length === MAX_RANK)
      throw new DataError(file, `${where || 'the data'} is nested more than ${MAX_RANK} levels deep; a tensor has at most ${MAX_RANK} dimensions`);
    shape.push(x.length);
  }
  const out: number[] = [];
  const walk = (x: unknown, d: number, path: string): void => {
    if (d === shape.length) {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new DataError(file, `${path} is ${JSON.stringify(x)}, not a finite number`);
      out.push(x);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[d]) throw new DataError(file, `${path} should be a list of ${shape[d]} (the array is not rectangular)`);
    x.forEach((y, i) => {
      walk(y, d + 1, `${path}[${i}]`);
    });
  };
  walk(v, 0, where);
  return { data: Float32Array.from(out), shape };
};

export const readJsonTensor = (path: string): Tensor => nestedToTensor(readJson(path), path);

/** {"x": [[...], ...], "y": [labels]} → Dataset. */
export const readJsonDataset = (path: string, opts: { xKey?: string; yKey?: string } = {}): Dataset => {
  const j = readJson(path) as Record<string, unknown>;
  const x = nestedToTensor(j?.[opts.xKey ?? 'x'], path, `.${opts.xKey ?? 'x'}`);
  const y = nestedToTensor(j?.[opts.yKey ?? 'y'], path, `.${opts.yKey ?? 'y'}`);
  const count = x.shape[0] ?? 0;
  if (y.data.length !== count) throw new DataError(path, `${count} rows of x but ${y.data.length} labels`);
  y.data.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0) throw new DataError(path, `label ${i} is ${v}, not a class index`);
  });
  return { x: x.data as Float32Array, y: Int32Array.from(y.data), count, featureShape: x.shape.slice(1) };
};
