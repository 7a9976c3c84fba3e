// ConvNetJS (float64, one sample at a time) training LeNet-5 with SGD, batch 32, as a peer.
import { createRequire } from 'node:module';

interface Vol {
  w: Float64Array;
}
interface ConvNetJs {
  Net: new () => { makeLayers(defs: object[]): void };
  Vol: new (sx: number, sy: number, depth: number, c: number) => Vol;
  Trainer: new (net: object, opts: object) => { train(x: Vol, y: number): unknown };
}

export const convnetLenetStep = (x: Float32Array, labels: Int32Array, batch: number): (() => void) => {
  const cnn = createRequire(import.meta.url)('convnetjs') as ConvNetJs;
  const net = new cnn.Net();
  net.makeLayers([
    { type: 'input', out_sx: 28, out_sy: 28, out_depth: 1 },
    { type: 'conv', sx: 5, filters: 6, stride: 1, pad: 2, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'conv', sx: 5, filters: 16, stride: 1, pad: 0, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'fc', num_neurons: 120, activation: 'relu' },
    { type: 'fc', num_neurons: 84, activation: 'relu' },
    { type: 'softmax', num_classes: 10 },
  ]);
  const trainer = new cnn.Trainer(net, { method: 'sgd', learning_rate: 0.01, batch_size: batch });
  const vols = Array.from({ length: batch }, (_, i) => {
    const v = new cnn.Vol(28, 28, 1, 0);
    for (let j = 0; j < 784; j++) v.w[j] = x[i * 784 + j]!;
    return v;
  });
  return () => {
    for (let i = 0; i < batch; i++) trainer.train(vols[i]!, labels[i]!);
  };
};
