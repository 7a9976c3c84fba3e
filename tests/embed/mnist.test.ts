// The bundled digits as shipped (gzipped IDX in data/mnist/, built from the mnist package) are the
// package's JSON digits exactly: same pixels as float32, same labels.
import { existsSync } from 'node:fs';
import { expect, test } from 'vitest';
import { fromJson, loadAllMnist } from '../../runtime/data/mnist.js';

test('the IDX digits equal the mnist package JSON bit for bit', () => {
  expect(existsSync('data/mnist/digits-images.idx3-ubyte.gz')).toBe(true); // written by the build (tests/setup/build.ts)
  expect(existsSync('data/mnist/LICENSE')).toBe(true);
  const shipped = loadAllMnist(),
    json = fromJson();
  expect(shipped.count).toBe(10000);
  expect(shipped.count).toBe(json.count);
  expect(Buffer.from(shipped.y.buffer).equals(Buffer.from(json.y.buffer))).toBe(true);
  expect(Buffer.from(shipped.x.buffer).equals(Buffer.from(json.x.buffer))).toBe(true);
}, 120_000);
