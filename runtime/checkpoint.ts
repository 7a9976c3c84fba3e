// safetensors files: 8-byte little-endian header length N, an N-byte JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__: {string: string}}, then raw
// little-endian data. Written through the atomic writer (runtime/write.ts). Read without trusting the
// file: regular files only, the size known before anything is read, a bounded header, and every entry
// checked (an object, a known dtype, a shape of non-negative integers, offsets inside the data,
// byte size = element size × element count, no two tensors overlapping) before any tensor is made.
// F16 and BF16 are widened to float32 on load; F64 stays float64 (callers convert).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { DataError } from './data/errors.js';
import type { Tensor, TensorData } from './tensor.js';
import { setOwn } from './tensor.js';
import { writeFileAtomic } from './write.js';

const BYTES: Readonly<Record<string, number>> = { F64: 8, F32: 4, F16: 2, BF16: 2, I32: 4 };
/** Headers longer than this are refused (as the safetensors reference implementation does). */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;
const METADATA = '__metadata__';

const dtypeOf = (d: TensorData): string => (d instanceof Float64Array ? 'F64' : d instanceof Int32Array ? 'I32' : 'F32');

export const encodeSafetensors = (tensors: Readonly<Record<string, Tensor>>, metadata: Readonly<Record<string, string>> = {}): Uint8Array => {
  const names = Object.keys(tensors).sort();
  if (names.includes(METADATA)) throw new RangeError(`'${METADATA}' is reserved by safetensors and cannot name a tensor`);
  const header: Record<string, unknown> = Object.keys(metadata).length ? { [METADATA]: metadata } : {};
  let offset = 0;
  for (const n of names) {
    const t = tensors[n]!;
    setOwn(header, n, { dtype: dtypeOf(t.data), shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] });
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let p = 8 + head.length;
  for (const n of names) {
    const d = tensors[n]!.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), p);
    p += d.byteLength;
  }
  return out;
};

/** Writes a safetensors file completely or not at all (a WriteError names the path and reason). */
export const saveSafetensors = (path: string, tensors: Readonly<Record<string, Tensor>>, metadata: Readonly<Record<string, string>> = {}): void => {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
};

export interface Safetensors {
  /** Tensors by name (a null-prototype object: a name such as `constructor` is only ever a tensor). */
  readonly tensors: Record<string, Tensor>;
  /** The stored dtype of each tensor (F32, F64, F16, BF16, I32). */
  readonly dtypes: Record<string, string>;
  readonly metadata: Record<string, string>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

const widenHalf = (u: Uint16Array): Float32Array => {
  // IEEE half: (−1)^s · 2^(e−15) · (1 + m/1024), subnormal 2^−14 · m/1024, e = 31 → Inf/NaN
  const out = new Float32Array(u.length);
  for (let i = 0; i < u.length; i++) {
    const h = u[i]!,
      s = h & 0x8000 ? -1 : 1,
      e = (h >> 10) & 31,
      m = h & 1023;
    out[i] = e === 0 ? s * 2 ** -14 * (m / 1024) : e === 31 ? (m ? NaN : s * Infinity) : s * 2 ** (e - 15) * (1 + m / 1024);
  }
  return out;
};
const widenBf16 = (u: Uint16Array): Float32Array => {
  // bfloat16 is the upper half of a float32
  const bits = new Uint32Array(u.length);
  for (let i = 0; i < u.length; i++) bits[i] = u[i]! << 16;
  return new Float32Array(bits.buffer);
};

const tensorData = (bytes: Uint8Array, dtype: string, count: number): TensorData => {
  const copy = new Uint8Array(bytes); // aligned, and independent of the file buffer
  if (dtype === 'F32') return new Float32Array(copy.buffer, 0, count);
  if (dtype === 'F64') return new Float64Array(copy.buffer, 0, count);
  if (dtype === 'I32') return new Int32Array(copy.buffer, 0, count);
  const u = new Uint16Array(copy.buffer, 0, count);
  return dtype === 'F16' ? widenHalf(u) : widenBf16(u);
};

/** Parses and validates a safetensors file held in memory; every defect is a DataError naming it. */
export const decodeSafetensors = (buf: Uint8Array, name: string): Safetensors => {
  const fail = (msg: string): never => {
    throw new DataError(name, msg);
  };
  if (buf.length < 8) fail(`not a safetensors file: ${buf.length} bytes, too short for the 8-byte header length`);
  const n64 = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getBigUint64(0, true);
  if (n64 > BigInt(buf.length - 8)) fail(`header length ${n64} exceeds the file size (${buf.length} bytes; truncated or not a safetensors file)`);
  const n = Number(n64);
  if (n > MAX_HEADER_BYTES) fail(`header length ${n} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + n)));
  } catch (e) {
    fail(`invalid header JSON: ${(e as Error).message}`);
  }
  if (!isObject(header)) fail(`the header must be a JSON object, got ${header === null ? 'null' : Array.isArray(header) ? 'an array' : typeof header}`);
  const h = header as Record<string, unknown>;
  const dataLen = buf.length - 8 - n;
  const tensors: Record<string, Tensor> = Object.create(null);
  const dtypes: Record<string, string> = Object.create(null);
  const metadata: Record<string, string> = Object.create(null);
  const spans: [number, number, string][] = [];
  for (const [k, v] of Object.entries(h)) {
    if (k === METADATA) {
      if (!isObject(v)) fail(`${METADATA} must be an object of strings`);
      for (const [mk, mv] of Object.entries(v as Record<string, unknown>)) {
        if (typeof mv !== 'string') fail(`${METADATA} entry '${mk}' must be a string, got ${mv === null ? 'null' : typeof mv}`);
        metadata[mk] = mv as string;
      }
      continue;
    }
    if (!isObject(v))
      fail(`tensor '${k}' must be an object {dtype, shape, data_offsets}, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
    const e = v as Record<string, unknown>;
    if (typeof e['dtype'] !== 'string' || !Object.hasOwn(BYTES, e['dtype']))
      fail(`tensor '${k}' has unsupported dtype ${JSON.stringify(e['dtype'])} (dlm reads ${Object.keys(BYTES).join(', ')})`);
    const dtype = e['dtype'] as string;
    const shape = e['shape'];
    if (!Array.isArray(shape) || !shape.every(isCount)) fail(`tensor '${k}' has shape ${JSON.stringify(shape)}: it must be a list of non-negative integers`);
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(count * 8)) fail(`tensor '${k}' has shape [${(shape as number[]).join(', ')}]: too many elements`);
    const off = e['data_offsets'];
    if (!Array.isArray(off) || off.length !== 2 || !off.every(isCount))
      fail(`tensor '${k}' has data_offsets ${JSON.stringify(off)}: it must be [begin, end], two non-negative integers`);
    const [s, end] = off as [number, number];
    if (s > end || end > dataLen) fail(`tensor '${k}' has data offsets [${s}, ${end}] outside the file's ${dataLen} data bytes`);
    const need = count * BYTES[dtype]!;
    if (end - s !== need) fail(`tensor '${k}' has ${end - s} bytes but ${dtype} of shape [${(shape as number[]).join(', ')}] needs ${need}`);
    spans.push([s, end, k]);
    dtypes[k] = dtype;
    tensors[k] = { data: tensorData(buf.subarray(8 + n + s, 8 + n + end), dtype, count), shape: [...(shape as number[])] };
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (let i = 1; i < spans.length; i++) {
    const [a, b] = [spans[i - 1]!, spans[i]!];
    if (b[0] < a[1] && b[1] > b[0] && a[1] > a[0]) fail(`tensors '${a[2]}' and '${b[2]}' overlap`);
  }
  return { tensors, dtypes, metadata };
};

/** Reads and validates a safetensors file; only regular files, and only as many bytes as they hold. */
export const loadSafetensors = (path: string): Safetensors => {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new DataError(path, `cannot read: ${(e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile())
      throw new DataError(
        path,
        `not a regular file (${st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : 'a device or socket'}): checkpoints are read only from files`,
      );
    const buf = new Uint8Array(st.size);
    for (let done = 0; done < st.size; ) {
      const got = readSync(fd, buf, done, st.size - done, done);
      if (got === 0) throw new DataError(path, `the file shrank while it was read (${done} of ${st.size} bytes)`);
      done += got;
    }
    return decodeSafetensors(buf, path);
  } finally {
    closeSync(fd);
  }
};
