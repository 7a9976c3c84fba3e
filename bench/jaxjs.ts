// jax-js (JAX reimplemented in JavaScript; jit fuses whole steps into WebAssembly kernels, one thread in
// Node) as a training peer: an SGD step on the same MLP, written with its reference-counting rules.
import { grad, init, jit, nn, numpy as np, defaultDevice } from '@jax-js/jax';
import type { MlpWeights } from './peers.js';

type Arr = ReturnType<typeof np.array>;

export const jaxTrainStep = async (w: MlpWeights, x: Float32Array, onehot: Float32Array, batch: number, lr: number): Promise<() => void> => {
  await init('wasm');
  defaultDevice('wasm');
  const layers = w.W.length;
  let params: Arr[] = [];
  for (let i = 0; i < layers; i++) {
    params.push(np.array(w.W[i]!.slice()).reshape([w.sizes[i]!, w.sizes[i + 1]!]));
    params.push(np.array(w.b[i]!.slice()));
  }
  const X = np.array(x).reshape([batch, w.sizes[0]!]);
  const Y = np.array(onehot).reshape([batch, w.sizes[layers]!]);
  const act = (z: Arr) => (w.act === 'sigmoid' ? nn.sigmoid(z) : nn.relu(z));
  const loss = (p: Arr[], xs: Arr, ys: Arr) => {
    let h = xs;
    for (let i = 0; i < layers; i++) {
      const z = np.add(np.matmul(h, p[2 * i]!.ref), p[2 * i + 1]!.ref);
      h = i < layers - 1 ? act(z) : z;
    }
    return np.negative(np.mean(np.sum(np.multiply(nn.logSoftmax(h), ys), -1)));
  };
  const step = jit((p: Arr[], xs: Arr, ys: Arr) => {
    const g = grad(loss)(
      p.map((a) => a.ref),
      xs,
      ys,
    ) as unknown as Arr[];
    return p.map((a, i) => np.subtract(a, np.multiply(g[i]!, lr)));
  });
  return () => {
    params = step(params, X.ref, Y.ref) as unknown as Arr[];
    // wait for every updated parameter, as the other systems' steps finish all their work
    for (const a of params) a.ref.dataSync();
  };
};
