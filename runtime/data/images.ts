// Image folders: one subfolder per class (its name is the class name; classes in sorted order, like
// torchvision's ImageFolder), PNG and JPEG files inside, decoded by pngjs and jpeg-js (pure JavaScript).
// Each image becomes C×H×W floats in [0, 1] (channel-major, as a model's NCHW input reads it).
// Nothing is guessed: an image of another size needs `resize` (bilinear), a colour image fed to a
// one-channel input needs `grayscale` (luma Y = 0.299 R + 0.587 G + 0.114 B, ITU-R BT.601).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DataError, badFile, dataError } from './errors.js';
import type { Dataset } from './dataset.js';

export interface ImageOptions {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly resize?: boolean;
  readonly grayscale?: boolean;
  /** The training folder's classes, so a validation or test folder gets the same indices. */
  readonly classNames?: readonly string[];
  readonly limit?: number;
}

const IMAGE = /\.(png|jpe?g)$/i;

export const isImageFolder = (dir: string): boolean => {
  try {
    return (
      statSync(dir).isDirectory() &&
      readdirSync(dir, { withFileTypes: true }).some((e) => e.isDirectory() && readdirSync(join(dir, e.name)).some((f) => IMAGE.test(f)))
    );
  } catch {
    return false;
  }
};

/** RGBA bytes of a PNG or JPEG file. */
export const decodeImage = (file: string): { width: number; height: number; rgba: Uint8Array } => {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw badFile(file, `cannot read: ${(e as Error).message}`);
  }
  try {
    if (buf[0] === 0x89 && buf[1] === 0x50) {
      const p = PNG.sync.read(buf);
      return { width: p.width, height: p.height, rgba: p.data };
    }
    if (buf[0] === 0xff && buf[1] === 0xd8) {
      const j = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 100, maxMemoryUsageInMB: 512 });
      return { width: j.width, height: j.height, rgba: j.data };
    }
  } catch (e) {
    throw badFile(file, `cannot decode the image: ${(e as Error).message}`);
  }
  throw badFile(file, 'not a PNG or JPEG file');
};

const isGray = (rgba: Uint8Array): boolean => {
  for (let i = 0; i < rgba.length; i += 4) if (rgba[i] !== rgba[i + 1] || rgba[i] !== rgba[i + 2]) return false;
  return true;
};

/** Channel c of pixel (i, j) in [0, 1], bilinearly sampled when the sizes differ (pixel centres aligned). */
const toChw = (img: { width: number; height: number; rgba: Uint8Array }, o: ImageOptions, gray: boolean, dst: Float32Array, off: number): void => {
  const { channels: C, height: H, width: W } = o;
  const sy = img.height / H,
    sx = img.width / W;
  const px = (y: number, x: number, c: number): number => {
    const p = (y * img.width + x) * 4;
    if (C === 1 && !gray) return 0.299 * img.rgba[p]! + 0.587 * img.rgba[p + 1]! + 0.114 * img.rgba[p + 2]!;
    return img.rgba[p + (C === 1 ? 0 : c)]!;
  };
  for (let c = 0; c < C; c++)
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++) {
        let v: number;
        if (sy === 1 && sx === 1) v = px(i, j, c);
        else {
          const fy = Math.min(Math.max((i + 0.5) * sy - 0.5, 0), img.height - 1),
            fx = Math.min(Math.max((j + 0.5) * sx - 0.5, 0), img.width - 1);
          const y0 = Math.floor(fy),
            x0 = Math.floor(fx),
            y1 = Math.min(y0 + 1, img.height - 1),
            x1 = Math.min(x0 + 1, img.width - 1);
          const ay = fy - y0,
            ax = fx - x0;
          v = (1 - ay) * ((1 - ax) * px(y0, x0, c) + ax * px(y0, x1, c)) + ay * ((1 - ax) * px(y1, x0, c) + ax * px(y1, x1, c));
        }
        dst[off + (c * H + i) * W + j] = v / 255;
      }
};

/** Reads every image of every class subfolder into an N×C×H×W dataset with class-index labels. */
export const readImageFolder = (dir: string, o: ImageOptions): Dataset & { readonly classNames: readonly string[] } => {
  let classes: string[];
  try {
    classes = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (e) {
    throw badFile(dir, `cannot read: ${(e as Error).message}`);
  }
  const names = o.classNames ?? classes;
  const extra = classes.filter((c) => !names.includes(c));
  if (extra.length) throw dataError(dir, 'E0708', `class folder(s) ${extra.join(', ')} are not among the training classes (${names.join(', ')})`);
  const files: [string, number][] = [];
  for (const c of classes)
    for (const f of readdirSync(join(dir, c))
      .filter((f) => IMAGE.test(f))
      .sort())
      files.push([join(dir, c, f), names.indexOf(c)]);
  if (files.length === 0) throw new DataError(dir, 'no PNG or JPEG images in class subfolders (expected DIR/<class>/<image>.png)', undefined, 'E0707');
  const n = Math.min(files.length, o.limit ?? Infinity);
  // with a limit, take every k-th file so that every class is represented
  const pick = n < files.length ? [...Array(n).keys()].map((i) => files[Math.floor((i * files.length) / n)]!) : files;
  const per = o.channels * o.height * o.width;
  const x = new Float32Array(n * per),
    y = new Int32Array(n);
  pick.forEach(([file, label], k) => {
    const img = decodeImage(file);
    const gray = isGray(img.rgba);
    if (o.channels === 1 && !gray && !o.grayscale) {
      throw dataError(file, 'E0707', 'is a colour image, but the input has 1 channel; pass --grayscale to convert (luma)');
    }
    if (o.channels !== 1 && o.channels !== 3) throw dataError(file, 'E0707', `the input has ${o.channels} channels; images give 1 (grey) or 3 (RGB)`);
    if ((img.height !== o.height || img.width !== o.width) && !o.resize) {
      const want = `${o.channels}×${o.height}×${o.width} (C×H×W)`;
      throw dataError(file, 'E0707', `is ${img.width}×${img.height} pixels, but the input is ${want}; pass --resize to scale images to ${o.width}×${o.height}`);
    }
    toChw(img, o, gray, x, k * per);
    y[k] = label;
  });
  return { x, y, count: n, featureShape: [o.channels, o.height, o.width], classNames: names, task: 'classes' };
};
