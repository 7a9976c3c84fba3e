// A minimal PNG encoder (8-bit grayscale, zlib from node:zlib) and image grids, so generated or
// reconstructed digits can be looked at. Written atomically.
import { writeFileAtomic } from './write.js';
import { deflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
const crc32 = (bytes: Uint8Array): number => {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

const chunk = (type: string, data: Uint8Array): Uint8Array => {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
};

/** PNG bytes of a width×height grayscale image with values in [0, 1] (clamped). */
export const encodePng = (pixels: ArrayLike<number>, width: number, height: number): Uint8Array => {
  const raw = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const v = pixels[y * width + x]!;
      raw[y * (width + 1) + 1 + x] = Math.round(255 * Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)));
    }
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit, grayscale, deflate, no filter, no interlace
  const sig = Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]);
  const parts = [sig, chunk('IHDR', ihdr), chunk('IDAT', new Uint8Array(deflateSync(raw))), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/** Lays out `count` h×w images in a grid of `cols` columns with a 1-pixel gap. */
export const imageGrid = (
  images: ArrayLike<number>,
  count: number,
  h: number,
  w: number,
  cols = Math.ceil(Math.sqrt(count)),
): { pixels: Float32Array; width: number; height: number } => {
  const rows = Math.ceil(count / cols);
  const width = cols * (w + 1) + 1,
    height = rows * (h + 1) + 1;
  const pixels = new Float32Array(width * height).fill(0.25);
  for (let i = 0; i < count; i++) {
    const r = Math.floor(i / cols),
      c = i % cols;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) pixels[(1 + r * (h + 1) + y) * width + 1 + c * (w + 1) + x] = images[(i * h + y) * w + x]!;
  }
  return { pixels, width, height };
};

export const writePngGrid = (path: string, images: ArrayLike<number>, count: number, h: number, w: number, cols?: number): void => {
  const g = imageGrid(images, count, h, w, cols);
  writeFileAtomic(path, encodePng(g.pixels, g.width, g.height));
};
