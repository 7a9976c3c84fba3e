// A character-level LSTM language model of English words: it reads a word letter by letter and predicts
// the next letter (or the end of the word) at every step. Real data: the word list of the
// an-array-of-english-words npm package. Train, then make up new words:
//   npx dlm train examples/char_lstm.dlm
//   npx dlm sample examples/char_lstm.dlm --checkpoint checkpoints/CharLSTM.safetensors --n 10 --temperature 0.8
import nn
import seq

model CharLSTM {
  input  x: i32[B, 16]      // 0 = word boundary, 1–26 = a–z; x = [0, w₁, …, wₙ, 0, …]
  target y: i32[B, 16]      // the next character at each position; −1 after the end of the word

  layer embed = nn.Embedding(27, 24)
  layer cell = seq.LSTMCell(24, 96, forget_bias = 1.0)   // forget gate open at the start (PyTorch-style 0 is the default)
  layer readout = nn.Dense(96, 27)

  let states = seq.lstm(cell, embed(x), seq.zeros_state(x, 96), seq.zeros_state(x, 96))
  output logits = readout(states[0])          // [B, 16, 27]: one next-character distribution per step

  loss nn.sequence_cross_entropy(logits, y)
  optimizer adam(lr = 0.01)
  // clip_norm rescales the whole gradient when its global norm exceeds 1 (the log shows the norm)
  train { data = words; epochs = 3; batch = 64; clip_norm = 1.0 }
}
