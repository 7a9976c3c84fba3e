// TensorFlow.js peers (cpu and wasm backends) for the same workloads, on the same weights.
// Bundled from tfjs-core's ES modules so its gradient registrations (not in the Node bundle) load too.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface MlpWeights {
  readonly W: Float32Array[];
  readonly b: Float32Array[];
  readonly sizes: readonly number[];
  readonly act?: 'relu' | 'sigmoid';
}

export const useBackend = async (name: 'cpu' | 'wasm'): Promise<void> => {
  if (name === 'wasm') setWasmPaths(join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend '${name}' failed to initialize`);
  await tf.ready();
};

export const tfMlp = (w: MlpWeights) => {
  const W = w.W.map((a, i) => tf.variable(tf.tensor2d(a, [w.sizes[i]!, w.sizes[i + 1]!])));
  const b = w.b.map((a) => tf.variable(tf.tensor1d(a)));
  const logits = (x: tf.Tensor2D): tf.Tensor2D => {
    let h: tf.Tensor2D = x;
    for (let i = 0; i < W.length; i++) {
      const z = tf.add(tf.matMul(h, W[i]!), b[i]!) as tf.Tensor2D;
      h = i < W.length - 1 ? (w.act === 'sigmoid' ? tf.sigmoid(z) : tf.relu(z)) : z;
    }
    return h;
  };
  const loss = (x: tf.Tensor2D, y: tf.Tensor2D) => tf.losses.softmaxCrossEntropy(y, logits(x)) as tf.Scalar;
  const vars = [...W, ...b];
  return {
    forward: (x: tf.Tensor2D) => () => {
      const y = tf.tidy(() => logits(x));
      y.dataSync();
      y.dispose();
    },
    /** From a Float32Array to a Float32Array, as a user calls it: upload, forward, download, dispose. */
    predictArray: (x: Float32Array, B: number) => () => {
      const t = tf.tensor2d(x, [B, w.sizes[0]!]);
      const y = tf.tidy(() => logits(t));
      y.dataSync();
      y.dispose();
      t.dispose();
    },
    logitsOf: (x: tf.Tensor2D) => {
      const y = tf.tidy(() => logits(x));
      const d = y.dataSync().slice();
      y.dispose();
      return d;
    },
    grads: (x: tf.Tensor2D, y: tf.Tensor2D) => () => {
      const { value, grads } = tf.variableGrads(() => loss(x, y), vars);
      value.dataSync();
      for (const g of Object.values(grads)) {
        g.dataSync();
        g.dispose();
      }
      value.dispose();
    },
    train: (x: tf.Tensor2D, y: tf.Tensor2D, lr: number) => {
      const opt = tf.train.sgd(lr);
      return () => {
        const l = opt.minimize(() => loss(x, y), true, vars)!;
        l.dataSync();
        l.dispose();
      };
    },
    dispose: () =>
      vars.forEach((v) => {
        v.dispose();
      }),
  };
};

export const tfMatmul = (a: Float32Array, b: Float32Array, n: number) => {
  const A = tf.tensor2d(a, [n, n]),
    B = tf.tensor2d(b, [n, n]);
  return {
    /** From two Float32Arrays to one: both uploaded, multiplied, the product downloaded. */
    runArrays: () => {
      const x = tf.tensor2d(a, [n, n]),
        y = tf.tensor2d(b, [n, n]);
      const c = tf.matMul(x, y);
      c.dataSync();
      c.dispose();
      x.dispose();
      y.dispose();
    },
    run: () => {
      const c = tf.matMul(A, B);
      c.dataSync();
      c.dispose();
    },
    dispose: () => {
      A.dispose();
      B.dispose();
    },
  };
};

export { tf };

/** LeNet-5 in tfjs (NHWC, its native layout), with filters transposed from dlm's [C_out, C_in, KH, KW]. */
export const tfLenet = (p: Record<string, Float32Array>) => {
  const filt = (w: Float32Array, co: number, ci: number, k: number) => tf.variable(tf.transpose(tf.tensor4d(w, [co, ci, k, k]), [2, 3, 1, 0]) as tf.Tensor4D);
  const W = { c1: filt(p['c1.W']!, 6, 1, 5), c3: filt(p['c3.W']!, 16, 6, 5) };
  const b = { c1: tf.variable(tf.tensor1d(p['c1.b']!)), c3: tf.variable(tf.tensor1d(p['c3.b']!)) };
  const dense = ['f5', 'f6', 'out'].map(
    (k, i) =>
      [
        tf.variable(
          tf.tensor2d(
            p[`${k}.W`]!,
            [
              [400, 120],
              [120, 84],
              [84, 10],
            ][i]! as [number, number],
          ),
        ),
        tf.variable(tf.tensor1d(p[`${k}.b`]!)),
      ] as const,
  );
  const logits = (x: tf.Tensor4D) => {
    let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, W.c1, 1, 'same'), b.c1)) as tf.Tensor4D, 2, 2, 'valid');
    h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, W.c3, 1, 'valid'), b.c3)) as tf.Tensor4D, 2, 2, 'valid');
    let z: tf.Tensor2D = tf.reshape(h, [x.shape[0], 400]);
    dense.forEach(([w, bb], i) => {
      const a = tf.add(tf.matMul(z, w), bb) as tf.Tensor2D;
      z = i < 2 ? tf.relu(a) : a;
    });
    return z;
  };
  const vars = [W.c1, W.c3, b.c1, b.c3, ...dense.flat()];
  return {
    forward: (x: tf.Tensor4D) => () => {
      const y = tf.tidy(() => logits(x));
      y.dataSync();
      y.dispose();
    },
    /** From a Float32Array (NHWC) to a Float32Array: upload, forward, download, dispose. */
    predictArray: (x: Float32Array, B: number) => () => {
      const t = tf.tensor4d(x, [B, 28, 28, 1]);
      const y = tf.tidy(() => logits(t));
      y.dataSync();
      y.dispose();
      t.dispose();
    },
    train: (x: tf.Tensor4D, y: tf.Tensor2D, lr: number) => {
      const opt = tf.train.sgd(lr);
      return () => {
        const l = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, logits(x)) as tf.Scalar, true, vars)!;
        l.dataSync();
        l.dispose();
      };
    },
  };
};
