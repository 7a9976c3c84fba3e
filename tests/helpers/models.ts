// Model sources several test files train: kept here so each is written once.

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
