// safetensors checkpoints: 8-byte little-endian header length, a JSON header {name: {dtype, shape,
// data_offsets}, __metadata__}, then raw little-endian data. Written atomically: a temporary file is
// fsynced and renamed over the target, so a crash never leaves a half-written checkpoint.
import { setOwn } from './tensor.js';
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './write.js';
import { DataError } from './data/errors.js';
import type { Tensor, TensorData } from './tensor.js';

const DTYPES = { F32: Float32Array, F64: Float64Array, I32: Int32Array } as const;
type DType = keyof typeof DTYPES;

const dtypeOf = (d: TensorData): DType => (d instanceof Float64Array ? 'F64' : d instanceof Int32Array ? 'I32' : 'F32');

export const encodeSafetensors = (tensors: Readonly<Record<string, Tensor>>, metadata: Readonly<Record<string, string>> = {}): Uint8Array => {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = Object.keys(metadata).length ? { __metadata__: metadata } : {};
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

export const saveSafetensors = (path: string, tensors: Readonly<Record<string, Tensor>>, metadata: Readonly<Record<string, string>> = {}): void => {
  const bytes = encodeSafetensors(tensors, metadata);
  writeFileAtomic(path, bytes);
};

export const decodeSafetensors = (buf: Uint8Array, name: string): { tensors: Record<string, Tensor>; metadata: Record<string, string> } => {
  if (buf.length < 8) throw new DataError(name, 'not a safetensors file (too short)');
  const n = Number(new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getBigUint64(0, true));
  if (n > buf.length - 8) throw new DataError(name, `header length ${n} exceeds the file size`);
  let header: Record<string, { dtype?: string; shape?: number[]; data_offsets?: [number, number] }>;
  try { header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + n))); } catch (e) { throw new DataError(name, `invalid header JSON: ${(e as Error).message}`); }
  const base = 8 + n;
  const tensors: Record<string, Tensor> = {};
  const spans: [number, number, string][] = [];
  for (const [k, v] of Object.entries(header)) {
    if (k === '__metadata__') continue;
    const ctor = DTYPES[v.dtype as DType];
    if (!ctor) throw new DataError(name, `tensor '${k}' has unsupported dtype ${v.dtype}`);
    const [s, e] = v.data_offsets ?? [-1, -1];
    const count = (v.shape ?? []).reduce((a, b) => a * b, 1);
    if (!(s >= 0 && e >= s && base + e <= buf.length)) throw new DataError(name, `tensor '${k}' has data offsets outside the file`);
    if (e - s !== count * ctor.BYTES_PER_ELEMENT) throw new DataError(name, `tensor '${k}' has ${e - s} bytes but shape [${v.shape?.join(', ')}] needs ${count * ctor.BYTES_PER_ELEMENT}`);
    spans.push([s, e, k]);
    const copy = new Uint8Array(buf.subarray(base + s, base + e)); // a copy: aligned, and independent of the file buffer
    setOwn(tensors, k, { data: new ctor(copy.buffer, copy.byteOffset, count), shape: v.shape ?? [] });
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) if (spans[i]![0] < spans[i - 1]![1]) throw new DataError(name, `tensors '${spans[i - 1]![2]}' and '${spans[i]![2]}' overlap`);
  const meta = (header['__metadata__'] ?? {}) as Record<string, string>;
  return { tensors, metadata: meta };
};

export const loadSafetensors = (path: string) => {
  let buf: Uint8Array;
  try { buf = readFileSync(path); } catch (e) { throw new DataError(path, `cannot read: ${(e as Error).message}`); }
  return decodeSafetensors(buf, path);
};
