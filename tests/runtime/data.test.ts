// Data loaders and checkpoints: round trips, the bundled digits, and clear errors that name the file
// and line for malformed input; a failed save never destroys the previous checkpoint.
import { gzipSync } from 'node:zlib';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadSafetensors, saveSafetensors } from '../../runtime/checkpoint.js';
import { readCsv } from '../../runtime/data/csv.js';
import { DataError } from '../../runtime/data/errors.js';
import { parseIdx } from '../../runtime/data/idx.js';
import { readJsonTensor } from '../../runtime/data/json.js';
import { loadAllMnist, loadBundledMnist } from '../../runtime/data/mnist.js';
import { encodeNpy, parseNpy } from '../../runtime/data/npy.js';
import { batches, splitValidation } from '../../runtime/data/batches.js';
import { Rng } from '../../runtime/random.js';
import { ProgressBar } from '../../runtime/progress.js';

const dir = mkdtempSync(join(tmpdir(), 'dlm-rt-'));
const file = (name: string, text: string | Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const fails = (f: () => unknown, pattern: RegExp) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    expect((e as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected a DataError');
};

describe('bundled MNIST', () => {
  test('10,000 digits with the package’s per-digit counts, pixels in [0, 1]', () => {
    const all = loadAllMnist();
    expect(all.count).toBe(10000);
    const counts = new Array(10).fill(0);
    all.y.forEach((d) => {
      counts[d]++;
    });
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    expect(Math.min(...all.x.subarray(0, 784 * 10))).toBeGreaterThanOrEqual(0);
    expect(Math.max(...all.x.subarray(0, 784 * 10))).toBeLessThanOrEqual(1);
  });
  test('the split is seeded: same seed, same split; other seed, other split', () => {
    const a = loadBundledMnist({ seed: 1 }),
      b = loadBundledMnist({ seed: 1 }),
      c = loadBundledMnist({ seed: 2 });
    expect(a.test.count).toBe(2000);
    expect(a.train.count).toBe(8000);
    expect(Buffer.from(a.test.y.buffer).equals(Buffer.from(b.test.y.buffer))).toBe(true);
    expect(Buffer.from(a.test.y.buffer).equals(Buffer.from(c.test.y.buffer))).toBe(false);
  });
});

describe('loaders', () => {
  test('NPY round trip for f32, f64 and i32; big-endian and Fortran order are refused', () => {
    for (const data of [Float32Array.from([1, 2, 3, 4, 5, 6]), Float64Array.from([1.5, -2]), Int32Array.from([7, -8, 9])]) {
      const shape = data.length === 6 ? [2, 3] : [data.length];
      const t = parseNpy(encodeNpy({ data, shape }), 'x.npy');
      expect(t.shape).toEqual(shape);
      expect([...t.data]).toEqual([...data]);
      expect(t.data.constructor).toBe(data.constructor);
    }
    const be = encodeNpy({ data: Float32Array.from([1]), shape: [1] });
    be.set(new TextEncoder().encode('>'), be.indexOf('<'.charCodeAt(0)));
    fails(() => parseNpy(be, 'be.npy'), /be\.npy: big-endian/);
    fails(() => parseNpy(new Uint8Array([1, 2, 3]), 'junk.npy'), /junk\.npy: not an \.npy file/);
  });

  test('IDX files, plain and gzip, with size checks', () => {
    const img = new Uint8Array([0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 255, 1, 2, 3, 4, 5, 6]);
    for (const bytes of [img, new Uint8Array(gzipSync(img))]) {
      const t = parseIdx(bytes, 'img.idx');
      expect(t.shape).toEqual([2, 2, 2]);
      expect([...t.data]).toEqual([0, 255, 1, 2, 3, 4, 5, 6]);
    }
    const labels = parseIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]), 'l.idx');
    expect(labels.data).toBeInstanceOf(Int32Array);
    fails(() => parseIdx(img.subarray(0, 20), 'short.idx'), /short\.idx: dims \[2, 2, 2\] need 8 data bytes, the file has 4/);
    fails(() => parseIdx(new Uint8Array([9, 9, 9, 9]), 'bad.idx'), /bad\.idx: not an IDX file/);
  });

  test('CSV: header, label column by name, and errors with file and line', () => {
    const ok = readCsv(file('ok.csv', 'a,label,b\n1,0,2\n3,1,4\n'), { labelColumn: 'label', numClasses: 2 });
    expect([...ok.x]).toEqual([1, 2, 3, 4]);
    expect([...ok.y]).toEqual([0, 1]);
    fails(() => readCsv(file('w.csv', 'a,b,c\n1,2,0\n1,2\n'), {}), /w\.csv: line 3: expected 3 columns, found 2/);
    fails(() => readCsv(file('n.csv', 'a,b\n1,0\nx,1\n'), {}), /n\.csv: line 3: column 1 \(a\) is 'x', not a number/);
    fails(() => readCsv(file('r.csv', 'a,b\n1,0\n2,7\n'), { numClasses: 3 }), /r\.csv: line 3: label 7 is not a class index in 0…2/);
  });

  test('CSV larger than the 1 MiB read buffer streams across chunk boundaries', () => {
    const rows = Array.from({ length: 60000 }, (_, i) => `${i % 97},${(i * 7) % 13},${i % 3}`);
    const ds = readCsv(file('big.csv', rows.join('\n') + '\n'), { numClasses: 3 });
    expect(ds.count).toBe(60000);
    expect(ds.x[2 * 59999]).toBe(59999 % 97);
    expect(ds.y[59999]).toBe(59999 % 3);
  });

  test('JSON tensors: nested lists or {shape, data}; ragged lists are located', () => {
    expect(readJsonTensor(file('a.json', '[[1, 2], [3, 4]]')).shape).toEqual([2, 2]);
    expect(readJsonTensor(file('b.json', '{"shape": [3], "data": [1, 2, 3]}')).shape).toEqual([3]);
    fails(() => readJsonTensor(file('c.json', '[[1, 2], [3]]')), /c\.json: \[1\] should be a list of 2/);
    fails(() => readJsonTensor(file('d.json', '[1, "x"]')), /d\.json: \[1\] is "x", not a finite number/);
  });

  test('mini-batches cover every row once per epoch, last partial batch included', () => {
    const ds = { x: Float32Array.from({ length: 10 }, (_, i) => i), y: Int32Array.from({ length: 10 }, (_, i) => i), count: 10, featureShape: [1] };
    const seen: number[] = [];
    const sizes: number[] = [];
    for (const b of batches(ds, { batchSize: 4, shuffle: true, rng: new Rng(1) })) {
      seen.push(...b.y);
      sizes.push(b.count);
    }
    expect(sizes).toEqual([4, 4, 2]);
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const { train, val } = splitValidation(ds, 0.3, new Rng(2));
    expect(train.count + val.count).toBe(10);
    expect(val.count).toBe(3);
  });
});

describe('safetensors checkpoints', () => {
  test('round trip of F32, F64 and I32 tensors (scalars included) with metadata', () => {
    const p = join(dir, 'c.safetensors');
    saveSafetensors(
      p,
      {
        w: { data: Float32Array.from([1, 2, 3, 4]), shape: [2, 2] },
        s: { data: Float64Array.of(0.5), shape: [] },
        n: { data: Int32Array.from([7]), shape: [1] },
      },
      { step: '3' },
    );
    const r = loadSafetensors(p);
    expect(r.metadata).toEqual({ step: '3' });
    expect([...r.tensors['w']!.data]).toEqual([1, 2, 3, 4]);
    expect(r.tensors['s']!.shape).toEqual([]);
    expect(r.tensors['n']!.data).toBeInstanceOf(Int32Array);
    const bytes = readFileSync(p);
    const n = Number(bytes.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    // sorted by name: n (4 bytes), s (8), w
    expect(JSON.parse(bytes.subarray(8, 8 + n).toString()).w).toEqual({ dtype: 'F32', shape: [2, 2], data_offsets: [12, 28] });
  });

  test('a truncated file is a clear error naming it', () => {
    const p = join(dir, 't.safetensors');
    saveSafetensors(p, { w: { data: new Float32Array(100), shape: [100] } });
    const bytes = readFileSync(p);
    writeFileSync(p, bytes.subarray(0, bytes.length - 10));
    fails(() => loadSafetensors(p), /t\.safetensors: tensor 'w' has data offsets \[0, 400\] outside the file/);
  });

  test('a failed save leaves the previous checkpoint intact', () => {
    const sub = join(dir, 'ro');
    const p = join(dir, 'keep.safetensors');
    saveSafetensors(p, { w: { data: Float32Array.from([1, 2]), shape: [2] } });
    const before = readFileSync(p);
    expect(() => saveSafetensors(join(sub, 'missing-dir', 'x.safetensors'), { w: { data: new Float32Array(1), shape: [1] } })).toThrow();
    // a save that fails while writing (the target is a directory, so the rename fails)
    expect(() => saveSafetensors(dir, { w: { data: new Float32Array(1), shape: [1] } })).toThrow();
    expect(readFileSync(p).equals(before)).toBe(true);
    expect(existsSync(dir)).toBe(true);
    chmodSync(dir, 0o755);
  });
});

describe('seeded generator and progress bar', () => {
  test('same seed, same sequence; uniform in [0, 1); normal with mean 0 and variance 1', () => {
    const a = new Rng(42),
      b = new Rng(42);
    const xs = Array.from({ length: 5 }, () => a.nextU32());
    expect(Array.from({ length: 5 }, () => b.nextU32())).toEqual(xs);
    const r = new Rng(0);
    let m = 0,
      v = 0;
    const N = 100000;
    for (let i = 0; i < N; i++) {
      const u = r.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      const z = r.normal();
      m += z;
      v += z * z;
    }
    expect(Math.abs(m / N)).toBeLessThan(0.02);
    expect(Math.abs(v / N - 1)).toBeLessThan(0.02);
    expect([...new Rng(3).permutation(50)].sort((x, y) => x - y)).toEqual([...Array(50).keys()]);
    expect(new Rng(1).fork(1).nextU32()).not.toBe(new Rng(1).fork(2).nextU32());
  });

  test('progress bar: one line per quarter on a log, in-place redraws on a terminal', () => {
    const log: string[] = [];
    const bar = new ProgressBar({ total: 100, label: 'epoch 1/1', stream: { write: (s: string) => log.push(s) } });
    for (let i = 1; i <= 100; i++) bar.update(i, { loss: 0.5 });
    bar.finish({ loss: 0.25, acc: 0.9 });
    expect(log.length).toBeLessThanOrEqual(5);
    expect(log[log.length - 1]).toMatch(/^epoch 1\/1 \[█+\] 100\/100 {2}loss 0\.2500 {2}acc 0\.9000/);
    const tty: string[] = [];
    const t = new ProgressBar({ total: 10, label: 'e', stream: { write: (s: string) => tty.push(s), isTTY: true } });
    t.update(10, {});
    expect(tty[0]!.startsWith('\r')).toBe(true);
    expect(tty[0]).toContain('\x1b[K');
  });
});
