// An encoder–decoder with attention on a task with ground truth: read 10 digits, write them reversed.
// The encoder is a bidirectional GRU; the decoder is a GRU whose every step attends over the encoder's
// states (scaled dot-product attention inside the loop body) to choose what to write next. Its input at
// step t is a learned embedding of t, so the decoding runs without seeing the answer.
//   npx dlm train examples/seq2seq_attention.dlm     (reports exact-match accuracy on held-out sequences)
import nn
import seq

model Reverse {
  input  x: i32[B, 10]        // digits 1–9
  target y: i32[B, 10]        // the same digits, reversed

  layer embed = nn.Embedding(10, 16)
  layer fwd = seq.GRUCell(16, 32)
  layer bwd = seq.GRUCell(16, 32)
  layer query = nn.Dense(64, 64)
  layer dec = seq.GRUCell(80, 64)
  layer steps = seq.LearnedPositions(10, 16)
  layer out = nn.Dense(128, 10)

  // encoder states [B, 10, 64]: both directions at every position
  let enc = concat([seq.rnn_like(fwd, embed(x)), seq.rnn_like(bwd, embed(x), true)], axis = 2)

  // one decoder step: attend with the current state, then update it from [position embedding, context]
  fn attend(h) = squeeze(seq.attention(expand_dims(query(h), 1), enc, enc, seq.no_mask(1, 10)), 1)
  fn step(h, pos) = dec(h, concat([pos, attend(h)], axis = 1))
  let positions = broadcast_to(steps(10), [dim(x, 0), 10, 16])
  let hs = scan(step, seq.zeros_state(x, 64), positions, axis = 1)          // [B, 10, 64]
  let ctx = seq.attention(query(hs), enc, enc, seq.no_mask(10, 10))           // [B, 10, 64]
  output logits = out(concat([hs, ctx], axis = 2))                           // [B, 10, 10]

  // the fraction of sequences with every digit right (the true digit's logit beats every other; ties lose)
  let hot = one_hot(y, 10)
  let right = sum(hot * logits, -1) > max(where(hot > 0.5, -1e30, logits), -1)
  output exact_match = mean(cast(sum(cast(right, f32), 1) > 9.5, f32))

  loss nn.sequence_cross_entropy(logits, y)
  optimizer adam(lr = 0.01)
  train { data = reverse; epochs = 4; batch = 64; clip_norm = 5.0 }
}
