// .npy files read a batch of rows at a time instead of whole: the header is parsed (as in npy.ts),
// then each requested row is read from its offset with a positioned read and converted to float32.
// Used for files larger than memory (dlm train holds only the batch, the labels and the row order).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { badFile } from './errors.js';

const SIZES: Readonly<Record<string, number>> = { f4: 4, f8: 8, i4: 4, i8: 8, u1: 1, i1: 1, u2: 2, i2: 2 };

export interface NpyRows {
  readonly path: string;
  readonly shape: readonly number[];
  readonly count: number;
  /** Values per row. */
  readonly rowSize: number;
  /** Copies the given rows (in file order indices) into dst, one after another, as float32. */
  read(rows: ArrayLike<number>, dst: Float32Array): void;
  close(): void;
}

export const openNpyRows = (path: string): NpyRows => {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw badFile(path, `cannot read: ${(e as Error).message}`);
  }
  const head = Buffer.alloc(65536 + 12);
  const got = readSync(fd, head, 0, head.length, 0);
  if (got < 10 || head.toString('latin1', 0, 6) !== '\x93NUMPY') {
    closeSync(fd);
    throw badFile(path, 'not an .npy file (bad magic)');
  }
  const major = head[6]!;
  const hlen = major === 1 ? head.readUInt16LE(8) : head.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  if (start + hlen > got) {
    closeSync(fd);
    throw badFile(path, 'truncated or oversized header');
  }
  const header = head.toString('latin1', start, start + hlen);
  const descr = /'descr'\s*:\s*'([<>|=]?)([a-z])(\d+)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeM = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  const fail = (m: string): never => {
    closeSync(fd);
    throw badFile(path, m);
  };
  if (!descr || !fortran || !shapeM) fail(`cannot read the header ${header.trim()}`);
  if (fortran![1] === 'True') fail('Fortran-order arrays are not supported; save with np.ascontiguousarray');
  if (descr![1] === '>') fail('big-endian arrays are not supported; use arr.astype("<f4")');
  const kind = `${descr![2]}${descr![3]}`;
  const sz = SIZES[kind] ?? fail(`unsupported dtype ${descr![0]}`);
  const shape = shapeM![1]!
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (shape.length === 0 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(`shape (${shapeM![1]}) is not a list of sizes with a first axis of examples`);
  }
  const count = shape[0]!,
    rowSize = shape.slice(1).reduce((a, b) => a * b, 1);
  const off = start + hlen,
    rowBytes = rowSize * sz;
  const size = fstatSync(fd).size;
  if (off + count * rowBytes > size) fail(`data is truncated: shape [${shape.join(', ')}] needs ${count * rowBytes} bytes, the file has ${size - off}`);
  const direct = kind === 'f4' && endianness() === 'LE';
  const buf = Buffer.alloc(direct ? 0 : rowBytes);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const get: (p: number) => number =
    kind === 'f4'
      ? (p) => dv.getFloat32(p, true)
      : kind === 'f8'
        ? (p) => dv.getFloat64(p, true)
        : kind === 'i4'
          ? (p) => dv.getInt32(p, true)
          : kind === 'i8'
            ? (p) => Number(dv.getBigInt64(p, true))
            : kind === 'u1'
              ? (p) => dv.getUint8(p)
              : kind === 'i1'
                ? (p) => dv.getInt8(p)
                : kind === 'u2'
                  ? (p) => dv.getUint16(p, true)
                  : (p) => dv.getInt16(p, true);
  return {
    path,
    shape,
    count,
    rowSize,
    read(rows, dst) {
      for (let k = 0; k < rows.length; k++) {
        const r = rows[k]!,
          o = k * rowSize;
        // little-endian float32 rows go straight into the batch buffer; other dtypes are converted
        const into = direct ? new Uint8Array(dst.buffer, dst.byteOffset + 4 * o, rowBytes) : buf;
        if (readSync(fd, into, 0, rowBytes, off + r * rowBytes) !== rowBytes) throw badFile(path, `short read at row ${r}`);
        if (!direct) for (let j = 0; j < rowSize; j++) dst[o + j] = get(j * sz);
      }
    },
    close: () => closeSync(fd),
  };
};
