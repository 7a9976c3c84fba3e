// NumPy .npy files (format 1.0–3.0), little-endian C-order f4/f8/i4/i8/u1/i1/u2/i2. The header dict is
// parsed with patterns, never evaluated.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../write.js';
import type { Tensor } from '../tensor.js';
import { DataError } from './errors.js';

const MAGIC = '\x93NUMPY';
/** The most elements (and the largest dimension) a tensor may have: 2³¹ − 1. */
export const MAX_ELEMENTS = 2 ** 31 - 1;

export const parseNpy = (buf: Uint8Array, name: string): Tensor => {
  if (buf.length < 10 || !MAGIC.split('').every((c, i) => buf[i] === c.charCodeAt(0))) throw new DataError(name, 'not an .npy file (bad magic)');
  const major = buf[6]!;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + hlen > buf.length) throw new DataError(name, 'truncated header');
  const header = new TextDecoder().decode(buf.subarray(start, start + hlen));
  const descr = /'descr'\s*:\s*'([<>|=]?)([a-z])(\d+)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeM = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeM) throw new DataError(name, `cannot read the header ${header.trim()}`);
  if (fortran[1] === 'True') throw new DataError(name, 'Fortran-order arrays are not supported; save with np.ascontiguousarray');
  if (descr[1] === '>') throw new DataError(name, 'big-endian arrays are not supported; use arr.astype("<f4")');
  const dims = shapeM[1]!
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = dims.find((d) => !/^\d+L?$/.test(d) || Number.parseInt(d, 10) > MAX_ELEMENTS);
  if (bad !== undefined)
    throw new DataError(name, `the header's shape (${shapeM[1]!.trim()}) has '${bad}', not a size: sizes are non-negative integers up to ${MAX_ELEMENTS}`);
  if (dims.length > 32) throw new DataError(name, `the header's shape has ${dims.length} dimensions; at most 32 are supported`);
  const shape = dims.map((d) => Number.parseInt(d, 10));
  const n = shape.reduce((a, b) => a * b, 1);
  if (n > MAX_ELEMENTS) throw new DataError(name, `shape [${shape.join(', ')}] has ${n} elements; a tensor can have at most ${MAX_ELEMENTS} (2³¹ − 1)`);
  const kind = `${descr[2]}${descr[3]}`;
  const off = start + hlen;
  const sizes: Record<string, number> = { f4: 4, f8: 8, i4: 4, i8: 8, u1: 1, i1: 1, u2: 2, i2: 2 };
  const sz = sizes[kind];
  if (!sz) throw new DataError(name, `unsupported dtype ${descr[0]}`);
  if (off + n * sz > buf.length) throw new DataError(name, `data is truncated: shape [${shape.join(', ')}] needs ${n * sz} bytes`);
  const read = (i: number): number => {
    const p = off + i * sz;
    switch (kind) {
      case 'f4':
        return dv.getFloat32(p, true);
      case 'f8':
        return dv.getFloat64(p, true);
      case 'i4':
        return dv.getInt32(p, true);
      case 'i8': {
        const v = Number(dv.getBigInt64(p, true));
        if (!Number.isSafeInteger(v) || Math.abs(v) > 2 ** 31) throw new DataError(name, `int64 value ${v} at ${i} does not fit int32`);
        return v;
      }
      case 'u1':
        return dv.getUint8(p);
      case 'i1':
        return dv.getInt8(p);
      case 'u2':
        return dv.getUint16(p, true);
      default:
        return dv.getInt16(p, true);
    }
  };
  const data = kind.startsWith('f') ? new (kind === 'f8' ? Float64Array : Float32Array)(n) : new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = read(i);
  return { data, shape };
};

export const readNpy = (path: string): Tensor => {
  let buf: Uint8Array;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new DataError(path, `cannot read: ${(e as Error).message}`);
  }
  return parseNpy(buf, path);
};

export const encodeNpy = (t: Tensor): Uint8Array => {
  const descr = t.data instanceof Float64Array ? '<f8' : t.data instanceof Int32Array ? '<i4' : '<f4';
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${t.shape.join(', ')}${t.shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad === 64 ? 0 : pad) + '\n';
  const out = new Uint8Array(10 + header.length + t.data.byteLength);
  out.set([0x93, ...Array.from('NUMPY', (c) => c.charCodeAt(0)), 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), 10 + header.length);
  return out;
};

export const writeNpy = (path: string, t: Tensor): void => {
  writeFileAtomic(path, encodeNpy(t));
};
