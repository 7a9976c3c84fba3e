// The matmul op's float32 SIMD kernel (part of ops/matmul.ts): calls of the runtime's WebAssembly
// products (runtime/wasm/matmulKernels.ts) for one batch entry, C[M, N] = A[M, K] · B[K, N].
//   • Layout: mm_rows when B's rows are contiguous (A any strides), mm_dots when A's rows and B's
//     columns are contiguous along K; otherwise none (the caller keeps its scalar loop nest).
//   • A fused epilogue: the product of a block of rows goes to a small scratch, then the epilogue
//     stores each element into out (it may read out's own old value: an in-place update).
//   • copyA: A lives outside WebAssembly memory (a batch input), so each block of its rows is copied
//     into a scratch panel first: the copy costs one pass over A and a few KiB, not a batch-sized buffer.
import { InternalError } from '../diagnostics/diagnostic.js';
import { add, load, loop, mul, num, ptr, store, v, type Expr, type ExternArg, type ExternFn, type Stmt } from '../loops/loops.js';

export interface SimdMatmulArgs {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  /** Element strides: A's rows and columns, B's rows and columns. */
  readonly sam: number;
  readonly sak: number;
  readonly sbk: number;
  readonly sbn: number;
  readonly a: string;
  readonly b: string;
  readonly out: string;
  /** Element offsets of this batch entry in A, B and out (out is contiguous [M, N] from there). */
  readonly aAt: Expr;
  readonly bAt: Expr;
  readonly cAt: Expr;
  readonly batchIndex: readonly Expr[];
  readonly epilogue?: (acc: Expr, index: readonly Expr[]) => Expr;
  readonly scratch: (size: number) => string;
  readonly copyA: boolean;
  /** Elements of the epilogue's product scratch (default 1024: a few KiB, for WebAssembly's kernels). */
  readonly rowBudget?: number;
  /** The native backend's mm_strided takes layouts neither of the others does (both operands strided). */
  readonly anyStrides?: boolean;
  /**
   * The M rows are this many batch entries of M / entries rows each, stacked (B shared, A's rows evenly
   * strided across them; the caller folded them into one product): the epilogue is called per entry, the
   * last batch index counting them from batchIndex's last. One call: M · N must fit the epilogue's scratch.
   */
  readonly entries?: number;
  readonly fresh: (hint: string) => string;
}

const BYTES = 4;

/** The kernel for these element strides (strides of unit dims do not matter), or undefined. */
const layout = (
  N: number,
  K: number,
  sam: number,
  sak: number,
  sbk: number,
  sbn: number,
  anyStrides: boolean,
): { fn: ExternFn; args: (a: ExternArg, b: ExternArg, c: ExternArg, rows: number) => ExternArg[] } | undefined => {
  const [ak, bk, bn] = [K === 1 ? 1 : sak, K === 1 ? 1 : sbk, N === 1 ? 1 : sbn];
  if (bn === 1) return { fn: 'mm_rows', args: (a, b, c, rows) => [a, num(BYTES * sam), num(BYTES * ak), b, num(BYTES * bk), c, num(rows), num(N), num(K)] };
  if (ak === 1 && bk === 1) return { fn: 'mm_dots', args: (a, b, c, rows) => [a, num(BYTES * sam), b, num(BYTES * bn), c, num(rows), num(N), num(K)] };
  if (anyStrides) {
    return {
      fn: 'mm_strided',
      args: (a, b, c, rows) => [a, num(BYTES * sam), num(BYTES * ak), b, num(BYTES * bk), num(BYTES * bn), c, num(rows), num(N), num(K)],
    };
  }
  return undefined;
};

/** A multiple of the kernels' 4-row tile (at least one tile, at most M) near `budget / width` rows. */
const rowsFor = (M: number, budget: number, width: number): number => {
  const r = Math.max(4, Math.floor(budget / Math.max(1, width)));
  return Math.min(M, r - (r % 4));
};

export const simdMatmul = (x: SimdMatmulArgs): { body: Stmt[]; note: string } | undefined => {
  const { M, N, K, fresh } = x;
  // a copied panel of A rows is contiguous: row stride K, column stride 1
  const [sam, sak] = x.copyA ? [K, 1] : [x.sam, x.sak];
  const kind = layout(N, K, sam, sak, x.sbk, x.sbn, x.anyStrides === true);
  if (!kind) return undefined;
  const blocked = x.epilogue !== undefined || x.copyA;
  const entries = x.entries ?? 1;
  const R = !blocked || entries > 1 ? M : Math.min(x.epilogue ? rowsFor(M, x.rowBudget ?? 1024, N) : M, x.copyA ? rowsFor(M, 1024, K) : M);
  if (entries > 1 && (x.copyA || M % entries !== 0)) throw new InternalError('codegen: folded batch entries need A in memory and whole entries');
  const panel = x.copyA ? x.scratch(R * K) : undefined;
  const product = x.epilogue ? x.scratch(R * N) : undefined;

  const block = (start: Expr, rows: number): Stmt[] => {
    const out: Stmt[] = [];
    if (panel) {
      const r = fresh('r'),
        k = fresh('k');
      const copy = store(panel, add(mul(v(r), num(K)), v(k)), load(x.a, add(x.aAt, add(mul(add(start, v(r)), num(x.sam)), mul(v(k), num(x.sak))))));
      // the inner loop walks A's smaller stride (a transposed batch input is read along its rows)
      out.push(Math.abs(x.sam) < Math.abs(x.sak) ? loop(k, K, [loop(r, rows, [copy])]) : loop(r, rows, [loop(k, K, [copy])]));
    }
    const aPtr = panel ? ptr(panel, num(0)) : ptr(x.a, add(x.aAt, mul(start, num(sam))));
    const cPtr = product ? ptr(product, num(0)) : ptr(x.out, add(x.cAt, mul(start, num(N))));
    out.push({ k: 'extern', fn: kind.fn, out: product ?? x.out, args: kind.args(aPtr, ptr(x.b, x.bAt), cPtr, rows) });
    if (product && x.epilogue && entries > 1) {
      // per entry e of the stacked ones: rows r of it, the last batch index moved on by e
      const e = fresh('e'),
        r = fresh('r'),
        j = fresh('j');
      const rows1 = M / entries,
        row = add(mul(v(e), num(rows1)), v(r));
      const at = [...x.batchIndex.slice(0, -1), add(x.batchIndex[x.batchIndex.length - 1]!, v(e))];
      const value = x.epilogue(load(product, add(mul(row, num(N)), v(j))), [...at, v(r), v(j)]);
      out.push(loop(e, entries, [loop(r, rows1, [loop(j, N, [store(x.out, add(x.cAt, add(mul(row, num(N)), v(j))), value)])])]));
    } else if (product && x.epilogue) {
      const r = fresh('r'),
        j = fresh('j');
      const row = add(start, v(r));
      out.push(
        loop(r, rows, [
          loop(j, N, [
            store(x.out, add(x.cAt, add(mul(row, num(N)), v(j))), x.epilogue(load(product, add(mul(v(r), num(N)), v(j))), [...x.batchIndex, row, v(j)])),
          ]),
        ]),
      );
    }
    return out;
  };

  const full = M - (M % R),
    ib = fresh('ib');
  const body = [...(full === R ? block(num(0), R) : full > 0 ? [loop(ib, full, block(v(ib), R), 0, R)] : []), ...(full < M ? block(num(full), M - full) : [])];
  const how = [x.copyA ? 'A copied in' : '', x.epilogue ? 'fused epilogue' : ''].filter(Boolean).join(', ');
  const stacked = entries > 1 ? `, ${entries} batch entries of ${M / entries} rows per call` : '';
  return { body, note: `float32 SIMD ${kind.fn}${stacked || (blocked ? `, ${R} rows per call` : '')}${blocked && how ? ` (${how})` : ''}` };
};
