// A small GPT-style decoder: token and learned position embeddings, two pre-norm transformer blocks
// with causal self-attention (position t sees only positions ≤ t), a final layer norm and a readout of
// the next character at every position. Same data and sampling as char_lstm.dlm:
//   npx dlm train examples/tiny_gpt.dlm
//   npx dlm sample examples/tiny_gpt.dlm --checkpoint checkpoints/TinyGPT.safetensors --n 10 --temperature 0.8
import nn
import seq

model TinyGPT {
  input  x: i32[B, 16]
  target y: i32[B, 16]

  layer tokens = nn.Embedding(27, 48)
  layer positions = seq.LearnedPositions(16, 48)
  layer block1 = seq.EncoderBlock(48, 4, 192)
  layer block2 = seq.EncoderBlock(48, 4, 192)
  layer ln = nn.LayerNorm(48)
  layer readout = nn.Dense(48, 27)

  let causal = causal_mask(16)
  let h = block2(block1(tokens(x) + positions(16), causal), causal)
  output logits = readout(ln(h))

  loss nn.sequence_cross_entropy(logits, y)
  optimizer adam(lr = 0.003)
  train { data = words; epochs = 3; batch = 64; clip_norm = 1.0 }
}
