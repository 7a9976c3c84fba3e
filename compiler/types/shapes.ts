// Pure shape algebra used by op shape rules: broadcasting, reductions, matmul. No spans here;
// callers turn a ShapeError into a located diagnostic.
import type { Code } from '../diagnostics/codes.js';
import { type Dim, dimMul, fmtDim } from './dims.js';
import { type Shape, fmtShape } from './types.js';

export interface ShapeError {
  readonly kind: 'ShapeError';
  readonly reason: string;
  /** Which operand the error is about, when one is to blame. */
  readonly operand?: number;
  /** The diagnostic code, when the rule that found the error knows better than the op's kind (see check/elab.ts `op`). */
  readonly code?: Code;
}

export const shapeError = (reason: string, operand?: number, code?: Code): ShapeError => ({
  kind: 'ShapeError',
  reason,
  ...(operand === undefined ? {} : { operand }),
  ...(code === undefined ? {} : { code }),
});
export const isShapeError = (x: unknown): x is ShapeError => typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'ShapeError';

/** NumPy broadcasting: align right; equal dims match, a 1 stretches. Symbolic dims only match themselves or 1. */
export const broadcastShapes = (shapes: readonly Shape[]): Shape | ShapeError => {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (let k = 0; k < shapes.length; k++) {
      const s = shapes[k]!;
      const e = s[s.length - rank + i] ?? 1;
      if (e === 1 || e === d) continue;
      if (d === 1) {
        d = e;
        continue;
      }
      return shapeError(`cannot broadcast ${shapes.map(fmtShape).join(' with ')}: axis ${i - rank} has ${fmtDim(d)} and ${fmtDim(e)}`, k);
    }
    out.push(d);
  }
  return out;
};

export const normAxis = (axis: number, rank: number): number | undefined => {
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : undefined;
};

export const normAxes = (axes: readonly number[] | undefined, rank: number): number[] | ShapeError => {
  if (axes === undefined) return [...Array(rank).keys()];
  const out: number[] = [];
  for (const a of axes) {
    const n = normAxis(a, rank);
    if (n === undefined) return shapeError(`axis ${a} is out of range for a tensor of rank ${rank}`, 0);
    if (out.includes(n)) return shapeError(`axis ${a} is repeated`, 0);
    out.push(n);
  }
  return out.sort((x, y) => x - y);
};

export const reduceShape = (s: Shape, axes: readonly number[], keepdims: boolean): Shape =>
  keepdims ? s.map((d, i) => (axes.includes(i) ? 1 : d)) : s.filter((_, i) => !axes.includes(i));

/** [..., M, K] @ [..., K, N] → [..., M, N]; rank-1 operands are promoted as in NumPy and the added axis dropped. */
export const matmulShape = (a: Shape, b: Shape): Shape | ShapeError => {
  if (a.length === 0 || b.length === 0) return shapeError('matmul needs operands of rank ≥ 1, got a scalar', a.length === 0 ? 0 : 1);
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  const k1 = a2[a2.length - 1]!,
    k2 = b2[b2.length - 2]!;
  if (k1 !== k2) {
    return shapeError(`matmul of ${fmtShape(a)} and ${fmtShape(b)}: inner dims ${fmtDim(k1)} and ${fmtDim(k2)} differ`, 1);
  }
  const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)]);
  if ('kind' in batch) return shapeError(`matmul batch dims: ${batch.reason}`);
  const out: Dim[] = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2]!);
  if (b.length > 1) out.push(b2[b2.length - 1]!);
  return out;
};

export const numel = (s: Shape): Dim => s.reduce<Dim>((acc, d) => dimMul(acc, d), 1);
