// Seeded image augmentation, applied to each training batch in place (never to validation or test):
//   flip     mirror left–right with probability ½
//   crop:P   a random crop of the image padded by P pixels of zeros on every side, i.e. a shift by
//            (dy, dx) ∈ [−P, P]² with zero fill (what --augment-shift did)
//   noise:σ  add N(0, σ²) to every value
// Images are [C, H, W] or [H, W] per example; all channels of an image move together.
import type { Rng } from '../random.js';

export interface Augment {
  readonly flip?: boolean;
  readonly crop?: number;
  readonly noise?: number;
}

/** Parses "flip,crop:4,noise:0.1"; returns an error message for anything else. */
export const parseAugment = (spec: string): Augment | string => {
  const a: { flip?: boolean; crop?: number; noise?: number } = {};
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, arg, more] = part.split(':');
    const n = Number(arg);
    if (name === 'flip' && arg === undefined) a.flip = true;
    else if (name === 'crop' && more === undefined && Number.isInteger(n) && n > 0) a.crop = n;
    else if (name === 'noise' && more === undefined && Number.isFinite(n) && n > 0) a.noise = n;
    else return `--augment takes flip, crop:PIXELS (a positive integer) and noise:STD (a positive number), comma-separated; got '${part}'`;
  }
  return a;
};

export const describeAugment = (a: Augment): string =>
  [a.flip ? 'flip' : '', a.crop ? `crop:${a.crop}` : '', a.noise ? `noise:${a.noise}` : ''].filter(Boolean).join(',');

/** Augments `count` images of `shape` ([C, H, W] or [H, W]) stored one after another in `x`. */
export const augmentImages = (x: Float32Array, count: number, shape: readonly number[], a: Augment, rng: Rng): void => {
  const [C, H, W] = shape.length === 3 ? (shape as [number, number, number]) : [1, shape[0]!, shape[1]!];
  const plane = H * W,
    per = C * plane;
  const tmp = new Float32Array(per);
  for (let n = 0; n < count; n++) {
    const img = x.subarray(n * per, (n + 1) * per);
    const flip = a.flip ? rng.uniform() < 0.5 : false;
    const dy = a.crop ? rng.int(2 * a.crop + 1) - a.crop : 0,
      dx = a.crop ? rng.int(2 * a.crop + 1) - a.crop : 0;
    if (flip || dy || dx) {
      tmp.fill(0);
      for (let c = 0; c < C; c++)
        for (let i = 0; i < H; i++)
          for (let j = 0; j < W; j++) {
            const si = i - dy,
              sj0 = j - dx;
            if (si < 0 || si >= H || sj0 < 0 || sj0 >= W) continue;
            const sj = flip ? W - 1 - sj0 : sj0;
            tmp[c * plane + i * W + j] = img[c * plane + si * W + sj]!;
          }
      img.set(tmp);
    }
    if (a.noise) for (let i = 0; i < per; i++) img[i] = img[i]! + a.noise * rng.normal();
  }
};
