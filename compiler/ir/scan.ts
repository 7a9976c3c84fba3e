// `scan`, the IR's loop: a body function applied along a sequence axis with a carried state.
//   carries c⁰; for t in 0..T−1 (or T−1..0 when reversed):  cᵗ⁺¹ = body(cᵗ, xs[t]…, captures…)
// It is a structural node (like INPUT and CONST), not a primitive: its meaning is its body. A scan node
// has several results, each read through a SCAN_OUT node:
//   window 'after'  [T, …]: the carry after each step t   (the user-visible stacked states)
//   window 'before' [T, …]: the carry before each step t  (what backpropagation through time needs)
//   window 'last'   […]   : the final carry
// Carries kept 'all' are stored for every step (T + 1 slots, the initial value included); carries kept
// 'last' only hold the running value (gradient accumulators). The body's inputs are named c0…, x0…, k0…
// (carries, per-step slices, captured outer values) and its outputs are the new carries, in order.
import type { Attrs } from '../ops/op.js';
import { dimEval } from '../types/dims.js';
import type { Dim, TensorType } from '../types/types.js';
import type { DimEnv } from './bind.js';
import type { IrFunction, Node } from './ir.js';

export const SCAN = 'scan';
export const SCAN_OUT = 'scan_out';

export type Keep = 'all' | 'last';
export type Window = 'after' | 'before' | 'last';

export interface ScanInfo {
  readonly body: IrFunction;
  readonly carries: number;
  readonly xs: number;
  readonly keep: readonly Keep[];
  readonly reverse: boolean;
  readonly length: Dim;
  /** Truncated BPTT: the carry's cotangent is cut every `truncate` steps (0 = never). */
  readonly truncate: number;
  /**
   * Rematerialization: backpropagation stores the carry every `checkpoint` steps and recomputes the
   * steps in between (0 = store every step). autodiff/checkpoint.ts rewrites such a loop before
   * differentiating it into an outer loop over segments of `checkpoint` steps (its `segment` is that size).
   */
  readonly checkpoint: number;
  /** The outer loop of a rematerialized loop: each step is a segment of this many steps (0 = not one). */
  readonly segment: number;
}

export const scanInfo = (n: Node): ScanInfo => {
  const a = n.attrs;
  return {
    body: a['body'] as unknown as IrFunction,
    carries: a['carries'] as number,
    xs: a['xs'] as number,
    keep: a['keep'] as unknown as Keep[],
    reverse: a['reverse'] as boolean,
    length: a['length'] as Dim,
    truncate: (a['truncate'] as number | undefined) ?? 0,
    checkpoint: (a['checkpoint'] as number | undefined) ?? 0,
    segment: (a['segment'] as number | undefined) ?? 0,
  };
};

export const scanAttrs = (s: ScanInfo): Attrs => ({
  body: s.body,
  carries: s.carries,
  xs: s.xs,
  keep: s.keep as unknown as string[],
  reverse: s.reverse,
  length: s.length,
  ...(s.truncate ? { truncate: s.truncate } : {}),
  ...(s.checkpoint ? { checkpoint: s.checkpoint } : {}),
  ...(s.segment ? { segment: s.segment } : {}),
});

export const outWindow = (n: Node): { index: number; window: Window } => ({ index: n.attrs['index'] as number, window: n.attrs['window'] as Window });

/** The type of a scan's carry `k` seen through `window`. */
export const windowType = (carry: TensorType, window: Window, length: Dim): TensorType =>
  window === 'last' ? carry : { dtype: carry.dtype, shape: [length, ...carry.shape] };

/** The scan node's own type: a placeholder (its results are only read through SCAN_OUT nodes). */
export const SCAN_TYPE: TensorType = { dtype: 'f32', shape: [0] };

/** The body input names: carries, per-step slices, captures. */
export const bodyInputName = (group: 'c' | 'x' | 'k', i: number): string => `${group}${i}`;

export const scanLength = (s: ScanInfo, env: DimEnv): number => {
  const T = dimEval(s.length, env);
  if (T === undefined) throw new Error(`unbound scan length ${String(s.length)}`);
  return T;
};

/**
 * Slot layout of an 'all' carry (T + 1 slots): forward scans store c⁰ at slot 0 and the carry after
 * step t at t + 1; reversed scans store c⁰ at slot T and the carry after step t at t.
 * A window reads T consecutive slots starting at this one.
 */
export const windowStart = (reverse: boolean, window: Window): number => ((window === 'after') === reverse ? 0 : 1);

/** Applies `g` to every scan body in `f` (innermost first), rebuilding only what changed. */
export const mapBodies = (f: IrFunction, g: (body: IrFunction) => IrFunction): IrFunction => {
  let changed = false;
  const nodes = f.nodes.map((n) => {
    if (n.op !== SCAN) return n;
    const s = scanInfo(n);
    const body = g(mapBodies(s.body, g));
    if (body === s.body) return n;
    changed = true;
    return { ...n, attrs: scanAttrs({ ...s, body }) };
  });
  return changed ? { ...f, nodes } : f;
};
