// IDX files (the original MNIST format), plain or gzip-compressed: magic 0 0 type ndims, big-endian
// u32 dims, then big-endian data. Labels (1-D ubyte) come back as Int32Array, images as Float32Array.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataError } from './errors.js';

const TYPES: Record<number, [number, (v: DataView, p: number) => number]> = {
  0x08: [1, (v, p) => v.getUint8(p)],
  0x09: [1, (v, p) => v.getInt8(p)],
  0x0b: [2, (v, p) => v.getInt16(p)],
  0x0c: [4, (v, p) => v.getInt32(p)],
  0x0d: [4, (v, p) => v.getFloat32(p)],
  0x0e: [8, (v, p) => v.getFloat64(p)],
};

/** The array, and its IDX element type (0x08: unsigned bytes, MNIST's pixels and labels). */
export const parseIdx = (raw: Uint8Array, name: string): { shape: number[]; data: Float32Array | Int32Array; type: number } => {
  let buf = raw;
  if (buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new DataError(name, `corrupt gzip data: ${(e as Error).message}`);
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new DataError(name, 'not an IDX file (bad magic)');
  const type = TYPES[buf[2]!];
  if (!type) throw new DataError(name, `unknown IDX element type 0x${buf[2]!.toString(16)}`);
  const nd = buf[3]!;
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 4 + 4 * nd) throw new DataError(name, 'truncated header');
  const shape = [...Array(nd).keys()].map((i) => v.getUint32(4 + 4 * i));
  const n = shape.reduce((a, b) => a * b, 1);
  const [size, read] = type;
  const off = 4 + 4 * nd;
  if (buf.length !== off + n * size) throw new DataError(name, `dims [${shape.join(', ')}] need ${n * size} data bytes, the file has ${buf.length - off}`);
  const ints = nd === 1 && size === 1;
  const data = ints ? new Int32Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = read(v, off + i * size);
  return { shape, data, type: buf[2]! };
};

export const readIdx = (path: string) => {
  let buf: Uint8Array;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new DataError(path, `cannot read: ${(e as Error).message}`);
  }
  return parseIdx(buf, path);
};
