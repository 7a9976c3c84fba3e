// NumPy .npz archives (np.savez, np.savez_compressed): a ZIP file of .npy members, stored or deflated.
// The central directory is read from the end of the file; ZIP64 archives (over 4 GiB) are refused.
import { readFileSync } from 'node:fs';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Tensor } from '../tensor.js';
import { badFile } from './errors.js';
import { parseNpy } from './npy.js';

const EOCD = 0x06054b50,
  CENTRAL = 0x02014b50,
  LOCAL = 0x04034b50;

/** The arrays of an .npz file by name (the member name without ".npy"). */
export const readNpz = (path: string): Map<string, Tensor> => {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw badFile(path, `cannot read: ${(e as Error).message}`);
  }
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let end = -1;
  for (let p = buf.length - 22; p >= Math.max(0, buf.length - 22 - 65535); p--)
    if (v.getUint32(p, true) === EOCD) {
      end = p;
      break;
    }
  if (end < 0) throw badFile(path, 'not an .npz file (no ZIP directory); save with np.savez');
  const entries = v.getUint16(end + 10, true);
  let p = v.getUint32(end + 16, true);
  if (p === 0xffffffff || entries === 0xffff) throw badFile(path, 'ZIP64 archives are not supported; save the arrays as separate .npy files');
  const out = new Map<string, Tensor>();
  for (let k = 0; k < entries; k++) {
    if (p + 46 > buf.length || v.getUint32(p, true) !== CENTRAL) throw badFile(path, 'corrupt ZIP directory');
    const method = v.getUint16(p + 10, true),
      size = v.getUint32(p + 20, true);
    const nameLen = v.getUint16(p + 28, true),
      extraLen = v.getUint16(p + 30, true),
      commentLen = v.getUint16(p + 32, true);
    const local = v.getUint32(p + 42, true);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    p += 46 + nameLen + extraLen + commentLen;
    if (local + 30 > buf.length || v.getUint32(local, true) !== LOCAL) throw badFile(path, `corrupt ZIP entry ${name}`);
    const start = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
    if (start + size > buf.length) throw badFile(path, `ZIP entry ${name} is truncated`);
    const raw = buf.subarray(start, start + size);
    let data: Uint8Array;
    if (method === 0) data = raw;
    else if (method === 8) {
      try {
        data = inflateRawSync(raw);
      } catch (e) {
        throw badFile(path, `corrupt compressed entry ${name}: ${(e as Error).message}`);
      }
    } else throw badFile(path, `ZIP entry ${name} uses compression method ${method}; save with np.savez or np.savez_compressed`);
    if (name.endsWith('.npy')) out.set(name.slice(0, -4), parseNpy(data, `${path}:${name}`));
  }
  return out;
};

/** Writes an .npz of .npy members (tests and examples): the ZIP layout of np.savez, or deflated like np.savez_compressed. */
export const encodeNpz = (arrays: Readonly<Record<string, Uint8Array>>, compressed = false): Uint8Array => {
  const parts: Uint8Array[] = [],
    dir: Uint8Array[] = [];
  let off = 0;
  for (const [n, raw] of Object.entries(arrays)) {
    const name = Buffer.from(`${n}.npy`);
    const crc = crc32(raw);
    const data = compressed ? deflateRawSync(raw) : raw;
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(LOCAL, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(compressed ? 8 : 0, 8);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(data.length, 18);
    lh.writeUInt32LE(raw.length, 22);
    lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(CENTRAL, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(compressed ? 8 : 0, 10);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(data.length, 20);
    ch.writeUInt32LE(raw.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(off, 42);
    parts.push(lh, name, data);
    dir.push(ch, name);
    off += 30 + name.length + data.length;
  }
  const dirLen = dir.reduce((s, d) => s + d.length, 0);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(EOCD, 0);
  eocd.writeUInt16LE(Object.keys(arrays).length, 8);
  eocd.writeUInt16LE(Object.keys(arrays).length, 10);
  eocd.writeUInt32LE(dirLen, 12);
  eocd.writeUInt32LE(off, 16);
  return Buffer.concat([...parts, ...dir, eocd]);
};

const crc32 = (d: Uint8Array): number => {
  let c = ~0;
  for (let i = 0; i < d.length; i++) {
    c ^= d[i]!;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
};
