// The float32 matrix products (matmulKernels.ts) split over the wasm threads (threads.ts) by rows of C:
// unit u computes rows [r₀, r₁) as the whole product would (A's and C's pointers advanced by r₀ rows, M
// the unit's rows), the rows cut at multiples of ROW_BLOCK so every register tile is the one the
// single-threaded call uses. Each element of C is then summed by one thread in the same order: the same
// bits for any thread count. Products under PARALLEL_MACS multiply-adds stay on the caller.
import type { Threaded } from './threads.js';

/** Rows per cut: a multiple of every kernel's register tile height (mm_rows 4, 2, 1; mm_dots 2, 1). */
export const ROW_BLOCK = 4;
/** Products of at least this many multiply-adds are split: under native's 2²⁰ as wasm's products are slower (2¹⁸ ≈ 50 µs at 10 GFLOP/s); not measured quiet. */
export const PARALLEL_MACS = 1 << 18;
let parallelMacs = PARALLEL_MACS;
/** Test seam: split products from this many multiply-adds on (undefined: PARALLEL_MACS). */
export const setParallelMacs = (n: number | undefined): void => {
  parallelMacs = n ?? PARALLEL_MACS;
};
/** Units a thread may take of one product (more than one evens out a late or slow thread). */
const UNITS_PER_THREAD = 2;

export type Fn = (...a: number[]) => void;

/** Per kernel: its arity, where M, N, K are, and the byte pointers that move with the row: [pointer, its row stride's argument | −1: C's N·4]. */
const SPLITS: Record<string, { arity: number; m: number; n: number; k: number; rows: readonly (readonly [number, number])[] }> = {
  mm_rows: {
    arity: 9,
    m: 6,
    n: 7,
    k: 8,
    rows: [
      [0, 1],
      [5, -1],
    ],
  }, // (a, sam, sak, b, sbk, c, M, N, K)
  mm_dots: {
    arity: 8,
    m: 5,
    n: 6,
    k: 7,
    rows: [
      [0, 1],
      [4, -1],
    ],
  }, // (a, sam, b, sbn, c, M, N, K)
};

/** `local` split by rows over `t`'s threads when large enough; `fn`: its index in the registration. */
export const splitByRows = (t: Threaded, name: string, fn: number, local: Fn): Fn => {
  const s = SPLITS[name];
  if (!s) return local;
  const args = new Int32Array(64 * s.arity);
  return (...a: number[]) => {
    const M = a[s.m]!,
      blocks = Math.ceil(M / ROW_BLOCK);
    const threads = M * a[s.n]! * a[s.k]! >= parallelMacs && blocks > 1 ? t.threads() : 1;
    if (threads <= 1) return local(...a);
    const units = Math.min(blocks, UNITS_PER_THREAD * threads);
    for (let u = 0; u < units; u++) {
      const r0 = ROW_BLOCK * Math.floor((blocks * u) / units),
        r1 = Math.min(M, ROW_BLOCK * Math.floor((blocks * (u + 1)) / units));
      const at = u * s.arity;
      for (let i = 0; i < s.arity; i++) args[at + i] = a[i]!;
      for (const [p, stride] of s.rows) args[at + p] = a[p]! + r0 * (stride < 0 ? a[s.n]! * 4 : a[stride]!);
      args[at + s.m] = r1 - r0;
    }
    t.run(fn, units, s.arity, args, local);
  };
};
