// The window geometry of max pooling (compiler/ops/pool.ts) and of its checker (check/pools.ts): the
// attributes' axes, the windows along an axis (PyTorch's rule, ceil mode included), the padding that gives
// the same windows in floor mode (for exporters), and the shape rule.
import { type Dim, type TensorType, fmtShape } from '../types/types.js';
import type { Attrs } from './op.js';

/** Per spatial axis: window k, stride s, padding before p0 and after p1, dilation d. */
export interface PoolAxis {
  k: number;
  s: number;
  p0: number;
  p1: number;
  d: number;
}

/** The axes of a pooling's attributes (dilation defaults to 1); `pad` is [before, after] per axis. */
export const poolAxes = (a: Attrs): PoolAxis[] => {
  const size = a['size'] as number[],
    stride = a['stride'] as number[],
    pad = a['pad'] as number[];
  const dil = (a['dilation'] as number[] | undefined) ?? size.map(() => 1);
  return size.map((k, i) => ({ k, s: stride[i]!, p0: pad[2 * i]!, p1: pad[2 * i + 1]!, d: dil[i]! }));
};

/**
 * Windows along one axis (PyTorch's pooling_output_shape): ⌊(n + p0 + p1 − d·(k − 1) − 1)/s⌋ + 1, or with
 * ceil mode ⌈…⌉ + 1 less one if the last window would start past the input and the leading padding
 * ((o − 1)·s ≥ n + p0), so every window starts inside the input or its left padding.
 */
export const poolOut = (n: number, ax: PoolAxis, ceil: boolean): number => {
  const span = n + ax.p0 + ax.p1 - ax.d * (ax.k - 1) - 1;
  if (span < 0) return 0;
  let o = (ceil ? Math.ceil(span / ax.s) : Math.floor(span / ax.s)) + 1;
  if (ceil && (o - 1) * ax.s >= n + ax.p0) o--;
  return o;
};

/** The padding after each axis that gives the same windows in floor mode (for exporters): [before, after] per axis. */
export const floorPads = (spatial: readonly number[], a: Attrs): number[] =>
  poolAxes(a).flatMap((ax, i) => {
    const o = poolOut(spatial[i]!, ax, a['ceil'] === true);
    return [ax.p0, Math.max(ax.p1, (o - 1) * ax.s + ax.d * (ax.k - 1) + 1 - spatial[i]! - ax.p0)];
  });

export const poolShape = (x: TensorType, a: Attrs, r: number): Dim[] | string => {
  const s = x.shape;
  const name = `max_pool${r}d`;
  if (s.length !== r + 2 || s.slice(2).some((d) => typeof d !== 'number')) {
    return `${name} needs [N, C, ${r === 3 ? 'D, ' : ''}H, W] with fixed spatial sizes, got ${fmtShape(s)}`;
  }
  const sp = s.slice(2) as number[];
  const out: number[] = [];
  for (const [i, ax] of poolAxes(a).entries()) {
    const reach = ax.d * (ax.k - 1);
    if (ax.p0 > reach || ax.p1 > reach) {
      return `padding ${ax.p0}+${ax.p1} on axis ${i + 2} leaves a window of ${ax.k} (dilation ${ax.d}) without input: each side must be at most ${reach}`;
    }
    const o = poolOut(sp[i]!, ax, a['ceil'] === true);
    if (o < 1) return `a window of ${ax.k} (dilation ${ax.d}) does not fit in ${sp[i]} with padding ${ax.p0}+${ax.p1} on axis ${i + 2} of ${fmtShape(s)}`;
    out.push(o);
  }
  return [s[0]!, s[1]!, ...out];
};
