// The example families every exporter is validated on (ONNX Runtime and PyTorch), with seeded random
// inputs of the declared types at a chosen batch size (and sequence length for symbolic T).
import { readFileSync } from 'node:fs';
import type { Model } from '../../compiler/api/model.js';
import type { Tensor } from '../../runtime/tensor.js';
import { Rng } from '../../runtime/random.js';
import { compileOk } from './compile.js';

/** A GRU language model with a symbolic sequence length (no example file has one). */
export const GRU_LM = `import nn
import seq
model GruLM {
  input  x: i32[B, T]
  target y: i32[B, T]
  layer embed = nn.Embedding(10, 6)
  layer cell = seq.GRUCell(6, 7)
  layer readout = nn.Dense(7, 10)
  let hs = seq.gru(cell, embed(x), seq.zeros_state(x, 7))
  output logits = readout(hs)
  loss nn.sequence_cross_entropy(logits, y)
  optimizer sgd(lr = 0.1, momentum = 0.9)
}
`;

export interface Family {
  readonly family: string;
  readonly file: string;
  readonly outputs?: readonly string[];
}

export const FAMILIES: readonly Family[] = [
  { family: 'MLP', file: 'examples/mnist_mlp.dlm' },
  { family: 'LeNet', file: 'examples/lenet5.dlm' },
  { family: 'ResNet with batch norm', file: 'examples/resnet_small.dlm' },
  { family: 'VGG', file: 'examples/vgg_small.dlm' },
  { family: 'Inception', file: 'examples/inception_small.dlm' },
  { family: 'LSTM language model', file: 'examples/char_lstm.dlm' },
  { family: 'GRU language model', file: 'gru_lm.dlm' },
  { family: 'GRU classifier with a mask', file: 'examples/sentiment_rnn.dlm' },
  { family: 'seq2seq with attention', file: 'examples/seq2seq_attention.dlm' },
  { family: 'tiny GPT', file: 'examples/tiny_gpt.dlm' },
  { family: 'autoencoder', file: 'examples/autoencoder.dlm' },
  { family: 'VAE decoder', file: 'examples/vae.dlm', outputs: ['samples', 'recon'] },
  { family: 'GAN generator', file: 'examples/gan.dlm', outputs: ['samples'] },
  { family: 'DCGAN generator (transposed convolutions)', file: 'examples/dcgan_small.dlm', outputs: ['samples'] },
];

export const familyModel = (f: Family, seed = 1): Model => {
  const text = f.file === 'gru_lm.dlm' ? GRU_LM : readFileSync(f.file, 'utf8');
  return compileOk(text, f.file).model(undefined, { seed });
};

/**
 * Seeded inputs (and targets) for every input of the model: f32 in [0, 1), i32 in [0, 10) (every
 * vocabulary here has at least 10 entries). Symbolic dims: B = batch, any other = `length`.
 */
export const randomInputs = (m: Model, batch: number, seed: number, length = 5): Record<string, Tensor> => {
  const rng = new Rng(seed);
  const out: Record<string, Tensor> = {};
  for (const i of m.ir.inputs) {
    if (i.role === 'param' || i.role === 'state' || i.role === 'hyper') continue;
    const shape = i.type.shape.map((d) => (typeof d === 'number' ? d : d === 'B' ? batch : length));
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let k = 0; k < n; k++) data[k] = i.type.dtype === 'f32' ? rng.uniform() : i.type.dtype === 'i32' ? rng.int(10) : rng.int(2);
    out[i.name] = { data, shape };
  }
  return out;
};
