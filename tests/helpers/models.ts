// Model sources several test files train, and the random batches they train on: kept here so each is
// written once.
import type { Rng } from '../../runtime/random.js';
import type { Tensor } from '../../runtime/tensor.js';

/** A float32 tensor of `shape` drawn from N(0, 1). */
export const normalTensor = (r: Rng, shape: number[]): Tensor => ({
  data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal()),
  shape,
});

/** An i32 tensor of `shape` of labels in [0, n). */
export const labelTensor = (r: Rng, shape: number[], n: number): Tensor => ({
  data: Int32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.int(n)),
  shape,
});

/** Two convolutions (padded, strided), max and average pooling and a dense readout over [B, 1, 10, 10], trained by Adam. */
export const smallConvSource = `import nn
model M {
  input x: f32[B, 1, 10, 10]
  target y: i32[B]
  layer c1 = nn.Conv2d(1, 3, 3, padding = 1)
  layer c2 = nn.Conv2d(3, 4, 3, stride = 2)
  layer out = nn.Dense(4 * 1 * 1, 5)
  let s = avg_pool2d(relu(c2(max_pool2d(relu(c1(x)), 2))), 2)
  output logits = out(nn.flatten(s))
  loss nn.cross_entropy(logits, y)
  optimizer adam(lr = 0.01)
}`;

/** An LSTM over inputs [B, T, V] with a readout and a cross-entropy at every step, trained by SGD with momentum. */
export const lstmMomentumSource = (T: number, V: number, H: number): string => `import nn
import seq
model M {
  input x: f32[B, ${T}, ${V}]
  target y: i32[B, ${T}]
  layer cell = seq.LSTMCell(${V}, ${H})
  layer readout = nn.Dense(${H}, ${V})
  let hs = seq.lstm(cell, x, seq.zeros_state(x, ${H}), seq.zeros_state(x, ${H}))
  output logits = readout(hs[0])
  loss nn.sequence_cross_entropy(logits, y)
  optimizer sgd(lr = 0.1, momentum = 0.9)
}`;

/** Two losses sharing a network, each training its own part with its own optimizer (a GAN's shape). */
export const twoLossesSource = (n: number): string => `import nn
model M {
  input x: f32[B, ${n}]
  layer g = nn.Dense(${n}, ${n})
  layer d = nn.Dense(${n}, 1)
  loss d_loss = nn.bce_with_logits(d(x), 1) + nn.bce_with_logits(d(stop_gradient(g(x))), 0) trains d with adam(lr = 0.01)
  loss g_loss = nn.bce_with_logits(d(g(x)), 1) trains g with sgd(lr = 0.05)
}`;
