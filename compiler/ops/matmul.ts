// matmul: [..., M, K] @ [..., K, N] → [..., M, N] with broadcast batch dims (rank ≥ 2; the language's `@`
// reshapes vectors). In float32 the kernel calls the runtime's WebAssembly SIMD products (matmulSimd.ts);
// otherwise (float64, or a layout neither SIMD kernel reads) it is a 4×4 register tile over strided
// operands. Either way transposed inputs (from the derivative rule) are read in place, never copied.
import { add, affine, bin, comment, let_, letMut, load, loop, mul, num, set, store, v, type Expr, type Stmt } from '../loops/loops.js';
import { simdMatmul } from './matmulSimd.js';
import { isShapeError, matmulShape, shapeError } from '../types/shapes.js';
import { fmtShape } from '../types/types.js';
import { dimMul, type Dim } from '../types/dims.js';
import { promote } from './helpers.js';
import { broadcastStrides, contiguousStrides, forEachIndex, nd } from './ndarray.js';
import type { ContractionArgs, OpDef, Value } from './op.js';
import { matmulRows } from './rows.js';

const swapLast = (rank: number): number[] => [...Array(rank).keys()].map((i) => (i === rank - 2 ? rank - 1 : i === rank - 1 ? rank - 2 : i));

/** Emits C[i..i+mr, j..j+nr] = Σ_k A[i+r, k] B[k, j+c] for one register tile, given base offsets as expressions. */
const tile = (
  mr: number,
  nr: number,
  K: number,
  aRow: (r: number) => Expr,
  sak: number,
  bCol: (c: number) => Expr,
  sbk: number,
  cAt: (r: number, c: number) => Expr,
  out: string,
  A: string,
  B: string,
  fresh: (h: string) => string,
  finish: (acc: Expr, r: number, c: number) => Expr = (acc) => acc,
): Stmt[] => {
  const k = fresh('k');
  const acc = (r: number, c: number) => `c${r}${c}`;
  const body: Stmt[] = [];
  const as = [...Array(mr).keys()].map((r) => fresh(`a${r}`));
  const bs = [...Array(nr).keys()].map((c) => fresh(`b${c}`));
  as.forEach((a, r) => {
    body.push(let_(a, load(A, add(aRow(r), mul(v(k), num(sak))))));
  });
  bs.forEach((b, c) => {
    body.push(let_(b, load(B, add(bCol(c), mul(v(k), num(sbk))))));
  });
  for (let r = 0; r < mr; r++) for (let c = 0; c < nr; c++) body.push(set(acc(r, c), bin('+', v(acc(r, c)), bin('*', v(as[r]!), v(bs[c]!)))));
  const stmts: Stmt[] = [];
  for (let r = 0; r < mr; r++) for (let c = 0; c < nr; c++) stmts.push(letMut(acc(r, c), num(0)));
  stmts.push(loop(k, K, body));
  for (let r = 0; r < mr; r++) for (let c = 0; c < nr; c++) stmts.push(store(out, cAt(r, c), finish(v(acc(r, c)), r, c)));
  return stmts;
};

/**
 * Trailing batch axes the native kernels take as one product of more rows: B the same matrix for each
 * of them (stride 0), A's rows evenly strided across them (each entry's rows follow the previous
 * entry's), out contiguous. The kernels then pack B once, not once per entry. Without an epilogue every
 * such axis folds (`axes` of them: rows = entries · M); with one, the last axis folds in groups of
 * `group` entries, a divisor of its size whose product fits the epilogue's scratch.
 */
const foldedBatch = (
  M: number,
  N: number,
  sam: number,
  batch: readonly number[],
  aStrides: readonly number[],
  bStrides: readonly number[],
  x: ContractionArgs,
): { axes: number; rows: number; rowStride: number; group?: number } | undefined => {
  const last = batch.length - 1;
  if (last < 0) return undefined;
  // the step from one row to the next, within an entry and across entries
  const rowStride = M > 1 ? sam : aStrides[last]!;
  let axes = 0,
    entries = 1;
  for (let d = last; d >= 0; d--) {
    const n = batch[d]!;
    if (n !== 1 && (bStrides[d] !== 0 || aStrides[d] !== rowStride * M * entries)) break;
    axes++;
    entries *= n;
  }
  if (entries < 2) return undefined;
  if (!x.epilogue) return { axes, rows: entries * M, rowStride };
  if (axes < 1 || batch[last]! < 2) return undefined;
  const fits = Math.floor((x.simd?.rowBudget ?? 1024) / (M * N));
  let group = Math.min(batch[last]!, fits);
  while (group > 1 && batch[last]! % group !== 0) group--;
  return group > 1 ? { axes: 1, rows: group * M, rowStride, group } : undefined;
};

const kernel = (x: ContractionArgs): Stmt[] => {
  const { a, b, outShape, inShapes, fresh } = x;
  const rank = outShape.length;
  const M = outShape[rank - 2]!,
    N = outShape[rank - 1]!;
  const aShape = inShapes[0]!,
    bShape = inShapes[1]!;
  const K = aShape[aShape.length - 1]!;
  const batchShape = outShape.slice(0, -2);
  // Batch offsets: each operand's batch strides, 0 where it broadcasts.
  const batchStrides = (shape: readonly number[], strides: readonly number[]) => {
    const bs = broadcastStrides(shape.slice(0, -2), batchShape);
    const lead = batchShape.length - (shape.length - 2);
    return batchShape.map((_, i) => (bs[i] === 0 ? 0 : strides[i - lead]!));
  };
  const sa = a.view.strides,
    sb = b.view.strides;
  const [sam, sak] = [sa[sa.length - 2]!, sa[sa.length - 1]!];
  const [sbk, sbn] = [sb[sb.length - 2]!, sb[sb.length - 1]!];
  const cs = contiguousStrides(outShape);
  const bi = batchShape.map(() => fresh('n'));
  const aOff = affine(a.view.offset, bi.map(v), batchStrides(aShape, sa));
  const bOff = affine(b.view.offset, bi.map(v), batchStrides(bShape, sb));
  const cOff = affine(0, bi.map(v), cs.slice(0, -2));
  const i = fresh('i'),
    j = fresh('j');
  const ao = fresh('ao'),
    bo = fresh('bo'),
    co = fresh('co');
  if (x.simd) {
    const f = x.simd.foldBatch && !x.simd.copyA ? foldedBatch(M, N, sam, batchShape, batchStrides(aShape, sa), batchStrides(bShape, sb), x) : undefined;
    // Folded trailing batch axes are indexed 0 in the offsets (the product covers them); the last one,
    // when it is grouped, steps by its group.
    const loops = f ? batchShape.length - (f.group ? 0 : f.axes) : batchShape.length;
    const idx = bi.map((n, d) => (d < loops ? v(n) : num(0)));
    // Without batch axes the operand offsets are constants; with them, per-entry lets.
    const batched = loops > 0;
    const [aAt, bAt, cAt] = batched
      ? [v(ao), v(bo), v(co)]
      : [affine(a.view.offset, idx, batchStrides(aShape, sa)), affine(b.view.offset, idx, batchStrides(bShape, sb)), affine(0, idx, cs.slice(0, -2))];
    const simd = simdMatmul({
      M: f ? f.rows : M,
      N,
      K,
      sam: f ? f.rowStride : sam,
      sak,
      sbk,
      sbn,
      a: a.buf,
      b: b.buf,
      out: x.out,
      aAt,
      bAt,
      cAt,
      fresh,
      batchIndex: idx,
      ...(x.epilogue ? { epilogue: x.epilogue } : {}),
      scratch: x.simd.scratch,
      copyA: x.simd.copyA,
      ...(x.simd.rowBudget !== undefined ? { rowBudget: x.simd.rowBudget } : {}),
      ...(x.simd.anyStrides ? { anyStrides: true } : {}),
      ...(f?.group ? { entries: f.group } : {}),
    });
    if (simd) {
      const lets = [
        let_(ao, affine(a.view.offset, idx, batchStrides(aShape, sa))),
        let_(bo, affine(b.view.offset, idx, batchStrides(bShape, sb))),
        let_(co, affine(0, idx, cs.slice(0, -2))),
      ];
      let body = batched ? [...lets, ...simd.body] : simd.body;
      for (let d = loops - 1; d >= 0; d--) body = [loop(bi[d]!, batchShape[d]!, body, 0, f?.group && d === loops - 1 ? f.group : 1)];
      return [comment(`matmul ${fmtShape(aShape)} @ ${fmtShape(bShape)}: ${simd.note}`), ...body];
    }
  }
  const M4 = M - (M % 4),
    N4 = N - (N % 4);
  const block = (mr: number, nr: number, iFrom: number, iTo: number, jFrom: number, jTo: number): Stmt[] => {
    if (iFrom >= iTo || jFrom >= jTo) return [];
    const inner = tile(
      mr,
      nr,
      K,
      (r) => add(v(ao), mul(add(v(i), num(r)), num(sam))),
      sak,
      (c) => add(v(bo), mul(add(v(j), num(c)), num(sbn))),
      sbk,
      (r, c) => add(v(co), add(mul(add(v(i), num(r)), num(N)), add(v(j), num(c)))),
      x.out,
      a.buf,
      b.buf,
      fresh,
      x.epilogue ? (acc, r, c) => x.epilogue!(acc, [...bi.map(v), add(v(i), num(r)), add(v(j), num(c))]) : undefined,
    );
    return [loop(i, num(iTo), [loop(j, num(jTo), inner, num(jFrom), nr)], num(iFrom), mr)];
  };
  let body: Stmt[] = [
    let_(ao, aOff),
    let_(bo, bOff),
    let_(co, cOff),
    ...block(4, 4, 0, M4, 0, N4),
    ...block(4, 1, 0, M4, N4, N),
    ...block(1, 4, M4, M, 0, N4),
    ...block(1, 1, M4, M, N4, N),
  ];
  for (let d = batchShape.length - 1; d >= 0; d--) body = [loop(bi[d]!, batchShape[d]!, body)];
  return [comment(`matmul ${fmtShape(aShape)} @ ${fmtShape(bShape)}: 4x4 register tiles${x.epilogue ? ', fused epilogue' : ''}`), ...body];
};

export const MATMUL: OpDef = {
  name: 'matmul',
  arity: 2,
  kind: 'contraction',
  doc: 'matrix product over the last two axes, batch axes broadcast',
  flops: ([a], out) => 2 * out.reduce((p, d) => p * d, 1) * a![a!.length - 1]!,
  algebra: {
    rows: matmulRows,
    // Σₜ Aₜ·Bₜ for A: [T, M, K], B: [T, K, N] = [M, T·K] @ [T·K, N]: the steps join the contracted axis.
    stackSum: (b, [a, c]) => {
      const [as, cs] = [b.type(a!).shape, b.type(c!).shape];
      if (as.length !== 3 || cs.length !== 3) return undefined;
      const [T, M, K] = as as [Dim, Dim, Dim];
      const left = b.op('reshape', [b.op('transpose', [a!], { perm: [1, 0, 2] })], { shape: [M, dimMul(T, K)] });
      return b.op('matmul', [left, b.op('reshape', [c!], { shape: [dimMul(T, K), cs[2]!] })]);
    },
  },
  shape: ([x, y]) => {
    if (x!.shape.length < 2 || y!.shape.length < 2)
      return shapeError(`matmul primitive needs rank ≥ 2, got ${fmtShape(x!.shape)} and ${fmtShape(y!.shape)}`, 0);
    if (x!.dtype === 'bool' || y!.dtype === 'bool') return shapeError('matmul of bool tensors', x!.dtype === 'bool' ? 0 : 1);
    const s = matmulShape(x!.shape, y!.shape);
    return isShapeError(s) ? s : { dtype: promote([x!.dtype, y!.dtype]), shape: s };
  },
  eval: ([x, y], _a, out) => {
    const r = nd(out.shape);
    const rank = out.shape.length;
    const M = out.shape[rank - 2]!,
      N = out.shape[rank - 1]!,
      K = x!.shape[x!.shape.length - 1]!;
    const batch = out.shape.slice(0, -2);
    const sx = broadcastStrides(x!.shape.slice(0, -2), batch),
      sy = broadcastStrides(y!.shape.slice(0, -2), batch);
    forEachIndex(batch, (flat, idx) => {
      let ox = 0,
        oy = 0;
      idx.forEach((ix, d) => {
        ox += ix * sx[d]! * M * K;
        oy += ix * sy[d]! * K * N;
      });
      for (let m = 0; m < M; m++)
        for (let n = 0; n < N; n++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += x!.data[ox + m * K + k]! * y!.data[oy + k * N + n]!;
          r.data[flat * M * N + m * N + n] = s;
        }
    });
    return r;
  },
  emit: { kind: 'contraction', kernel },
  // forward mode: d(A·B) = dA·B + A·dB
  jvp: 'bilinear',
  // dA = ct @ Bᵀ, dB = Aᵀ @ ct (batch broadcasting undone by the driver)
  vjp: (b, ct, n) => {
    const [x, y] = n.inputs as [Value, Value];
    const tr = (val: Value) => b.op('transpose', [val], { perm: swapLast(b.type(val).shape.length) });
    const xs = b.type(x).shape,
      ys = b.type(y).shape;
    if (ys.length === 2 && xs.length > 2) {
      // A weight shared by every batch entry (x: [B, T, K] @ W: [K, N]): dW = Σ_b x_bᵀ·ct_b is one
      // matmul over all rows, [K, B·T] @ [B·T, N], instead of B products summed afterwards.
      const rows = xs.slice(0, -1).reduce<Dim>((p, d) => dimMul(p, d), 1);
      const flat = (v: Value) => b.op('reshape', [v], { shape: [rows, b.type(v).shape[b.type(v).shape.length - 1]!] });
      return [b.op('matmul', [ct, tr(y)]), b.op('matmul', [tr(flat(x)), flat(ct)])];
    }
    return [b.op('matmul', [ct, tr(y)]), b.op('matmul', [tr(x), ct])];
  },
  differentiable: true,
  gen: (k) => {
    const [M, K, N] = [k.int(1, 5), k.int(1, 5), k.int(1, 5)];
    const batch = k.bool() ? [k.int(1, 3)] : [];
    return {
      shapes: [
        [...batch, M, K],
        [...(k.bool() ? batch : []), K, N],
      ],
      attrs: {},
    };
  },
};
