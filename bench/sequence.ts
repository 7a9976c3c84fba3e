// Sequence workloads for `npm run bench`: LSTM training through time and a transformer encoder block,
// in dlm and in TensorFlow.js (same sizes, same seeded data; tfjs builds the same graph from its ops).
import { compileOrThrow } from '../compiler/index.js';
import type { Model } from '../compiler/api/model.js';
import type { Backend } from '../compiler/native/backend.js';
import { Trainer } from '../compiler/api/trainer.js';
import type { Tensor } from '../runtime/tensor.js';
import { Rng } from '../runtime/random.js';
import { tf } from './peers.js';

export const LSTM = { V: 64, H: 128, T: 32, B: 16 };
export const BLOCK = { d: 64, heads: 4, T: 32, B: 16, V: 64 };

export const LSTM_SOURCE = `import nn
import seq
model LstmBench {
  input x: f32[B, ${LSTM.T}, ${LSTM.V}]     // one-hot characters
  target y: i32[B, ${LSTM.T}]
  layer cell = seq.LSTMCell(${LSTM.V}, ${LSTM.H})
  layer readout = nn.Dense(${LSTM.H}, ${LSTM.V})
  let states = seq.lstm(cell, x, seq.zeros_state(x, ${LSTM.H}), seq.zeros_state(x, ${LSTM.H}))
  output logits = readout(states[0])
  loss nn.sequence_cross_entropy(logits, y)
  optimizer sgd(lr = 0.1)
}`;

export const BLOCK_SOURCE = `import nn
import seq
model BlockBench {
  input x: f32[B, ${BLOCK.T}, ${BLOCK.d}]
  target y: i32[B, ${BLOCK.T}]
  layer block = seq.EncoderBlock(${BLOCK.d}, ${BLOCK.heads}, ${4 * BLOCK.d})
  layer readout = nn.Dense(${BLOCK.d}, ${BLOCK.V})
  output logits = readout(block(x, causal_mask(${BLOCK.T})))
  loss nn.sequence_cross_entropy(logits, y)
  optimizer sgd(lr = 0.05)
}`;

const data = (B: number, T: number, V: number, oneHot: boolean, d = V) => {
  const r = new Rng(5);
  const ids = Int32Array.from({ length: B * T }, () => r.int(V));
  const y = Int32Array.from({ length: B * T }, () => r.int(V));
  const x = oneHot ? new Float32Array(B * T * V) : Float32Array.from({ length: B * T * d }, () => r.normal());
  if (oneHot)
    ids.forEach((c, i) => {
      x[i * V + c] = 1;
    });
  return { x, y };
};

/** The seeded batch both systems train on: x one-hot [B, T, V] or normal [B, T, d], labels [B, T]. */
export const sequenceBatch = (sizes: { B: number; T: number; V: number }, oneHot: boolean, d?: number): Record<string, Tensor> => {
  const { x, y } = data(sizes.B, sizes.T, sizes.V, oneHot, d);
  return { x: { data: x, shape: [sizes.B, sizes.T, oneHot ? sizes.V : d!] }, y: { data: y, shape: [sizes.B, sizes.T] } };
};

/** A ready training step; compileMs is source → compiled step, before its first run. */
export const dlmSequenceStep = (source: string, name: string, sizes: { B: number; T: number; V: number }, oneHot: boolean, d?: number, backend?: Backend) => {
  const t0 = performance.now();
  const model: Model = compileOrThrow(source).model(name, { seed: 0, ...(backend ? { backend } : {}) });
  const batch = sequenceBatch(sizes, oneHot, d);
  const trainer = new Trainer(model);
  trainer.compile(batch);
  const compileMs = performance.now() - t0;
  trainer.step(batch);
  return {
    run: () => {
      trainer.step(batch);
    },
    compileMs,
    model,
  };
};

/** The same LSTM in tfjs ops: gates from x·Wx + h·Wh + b split (i, f, o, g), readout and softmax CE per step. */
export const tfLstmStep = () => {
  const { V, H, T, B } = LSTM;
  const r = new Rng(1);
  const init = (n: number, s: number) => Float32Array.from({ length: n }, () => r.normal() * s);
  const Wx = tf.variable(tf.tensor2d(init(V * 4 * H, 0.1), [V, 4 * H])),
    Wh = tf.variable(tf.tensor2d(init(H * 4 * H, 0.1), [H, 4 * H]));
  const b = tf.variable(tf.zeros([4 * H])),
    Wo = tf.variable(tf.tensor2d(init(H * V, 0.1), [H, V])),
    bo = tf.variable(tf.zeros([V]));
  const { x, y } = data(B, T, V, true);
  const X = tf.tensor3d(x, [B, T, V]);
  const Y = tf.cast(tf.oneHot(tf.tensor2d(y, [B, T], 'int32'), V), 'float32');
  const opt = tf.train.sgd(0.1);
  const loss = () => {
    let h: tf.Tensor2D = tf.zeros([B, H]),
      c: tf.Tensor2D = tf.zeros([B, H]);
    const xs = tf.unstack(X, 1) as tf.Tensor2D[],
      ys = tf.unstack(Y, 1) as tf.Tensor2D[];
    let total: tf.Scalar = tf.scalar(0);
    for (let t = 0; t < T; t++) {
      const z = tf.add(tf.add(tf.matMul(xs[t]!, Wx), tf.matMul(h, Wh)), b);
      const [i, f, o, g] = tf.split(z, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      c = tf.add(tf.mul(tf.sigmoid(tf.add(f, 1)), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      h = tf.mul(tf.sigmoid(o), tf.tanh(c));
      total = tf.add(total, tf.losses.softmaxCrossEntropy(ys[t]!, tf.add(tf.matMul(h, Wo), bo)));
    }
    return tf.div(total, T) as tf.Scalar;
  };
  return () => {
    const l = opt.minimize(loss, true, [Wx, Wh, b, Wo, bo])!;
    l.dataSync();
    l.dispose();
  };
};

/** A pre-norm encoder block in tfjs ops (causal multi-head attention, GELU feed-forward) with a readout. */
export const tfBlockStep = () => {
  const { d, heads, T, B, V } = BLOCK;
  const r = new Rng(2);
  const mat = (m: number, n: number) =>
    tf.variable(
      tf.tensor2d(
        Float32Array.from({ length: m * n }, () => r.normal() / Math.sqrt(m)),
        [m, n],
      ),
    );
  const vec = (n: number, v = 0) => tf.variable(tf.fill([n], v));
  const P = { q: mat(d, d), k: mat(d, d), v: mat(d, d), o: mat(d, d), f1: mat(d, 4 * d), f2: mat(4 * d, d), r: mat(d, V) };
  const Bs = { q: vec(d), k: vec(d), v: vec(d), o: vec(d), f1: vec(4 * d), f2: vec(d), r: vec(V), g1: vec(d, 1), b1: vec(d), g2: vec(d, 1), b2: vec(d) };
  const { x, y } = data(B, T, V, false, d);
  const X = tf.tensor3d(x, [B, T, d]);
  const Y = tf.cast(tf.oneHot(tf.tensor2d(y, [B, T], 'int32'), V), 'float32');
  const mask = tf.linalg.bandPart(tf.ones([T, T]), -1, 0);
  const ln = (z: tf.Tensor, g: tf.Tensor, bb: tf.Tensor) => {
    const m = tf.moments(z, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(z, m.mean), tf.sqrt(tf.add(m.variance, 1e-5))), g), bb);
  };
  const dense = (z: tf.Tensor, W: tf.Tensor2D, bb: tf.Tensor) => tf.reshape(tf.add(tf.matMul(tf.reshape(z, [-1, W.shape[0]]), W), bb), [B, T, W.shape[1]]);
  const split = (z: tf.Tensor) => tf.transpose(tf.reshape(z, [B, T, heads, d / heads]), [0, 2, 1, 3]);
  const gelu = (z: tf.Tensor) => tf.mul(tf.mul(z, 0.5), tf.add(1, tf.tanh(tf.mul(tf.add(z, tf.mul(tf.pow(z, 3), 0.044715)), 0.7978845608028654))));
  const loss = () => {
    const a = ln(X, Bs.g1, Bs.b1);
    const q = split(dense(a, P.q, Bs.q)),
      k = split(dense(a, P.k, Bs.k)),
      v = split(dense(a, P.v, Bs.v));
    const s = tf.add(tf.div(tf.matMul(q, k, false, true), Math.sqrt(d / heads)), tf.mul(tf.sub(1, mask), -1e9));
    const att = tf.reshape(tf.transpose(tf.matMul(tf.softmax(s), v), [0, 2, 1, 3]), [B, T, d]);
    const h = tf.add(X, dense(att, P.o, Bs.o));
    const out = tf.add(h, dense(gelu(dense(ln(h, Bs.g2, Bs.b2), P.f1, Bs.f1)), P.f2, Bs.f2));
    return tf.losses.softmaxCrossEntropy(tf.reshape(Y, [B * T, V]), tf.reshape(dense(out, P.r, Bs.r), [B * T, V])) as tf.Scalar;
  };
  const opt = tf.train.sgd(0.05);
  const vars = [...Object.values(P), ...Object.values(Bs)];
  return () => {
    const l = opt.minimize(loss, true, vars)!;
    l.dataSync();
    l.dispose();
  };
};
