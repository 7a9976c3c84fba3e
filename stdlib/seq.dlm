// seq: recurrent cells, sequence wrappers, attention and transformer blocks, written in dlm over
// `scan`, `gather` and batched matmul. `import seq`, then seq.LSTMCell(d_in, d_hidden), seq.lstm(...).
// Sequences are batch-major, [B, T, d]; loops run over axis 1.
import nn

// ---- recurrent cells: forward(state..., x) returns the new state ---------------------------------

// Elman RNN: h' = tanh(x·Wx + h·Wh + b)
layer RNNCell(d_in, d_hidden) {
  param Wx: f32[d_in, d_hidden] = glorot_uniform
  param Wh: f32[d_hidden, d_hidden] = orthogonal
  param b: f32[d_hidden] = zeros
  // the input projection of a whole sequence at once (one large matmul outside the loop)
  fn project(x) = x @ Wx + b
  fn step(h, xp) = tanh(xp + h @ Wh)
  fn forward(h, x) = step(h, project(x))
}

// LSTM, gates in the order i, f, o, g: z = x·Wx + h·Wh + b;  i, f, o = σ(z_i), σ(z_f), σ(z_o);
// g = tanh(z_g);  c' = f ⊙ c + i ⊙ g;  h' = o ⊙ tanh(c').  forget_bias is a constant added to z_f: 0 by
// default, as PyTorch's nn.LSTM (whose weights then convert as they are); 1.0 is the customary choice
// for training from scratch (Jozefowicz et al., 2015), which char_lstm uses.
layer LSTMCell(d_in, d_hidden, forget_bias = 0.0) {
  param Wx: f32[d_in, 4 * d_hidden] = glorot_uniform
  param Wh: f32[d_hidden, 4 * d_hidden] = orthogonal
  param b: f32[4 * d_hidden] = zeros
  fn project(x) = x @ Wx + b
  fn step(h, c, xp) {
    let z = xp + h @ Wh
    let n = d_hidden
    let i = sigmoid(z[:, 0:n])
    let f = sigmoid(z[:, n:2 * n] + forget_bias)
    let o = sigmoid(z[:, 2 * n:3 * n])
    let g = tanh(z[:, 3 * n:4 * n])
    let c2 = f * c + i * g
    [o * tanh(c2), c2]
  }
  fn forward(h, c, x) = step(h, c, project(x))
}

// GRU (PyTorch's form): r = σ(x·Wr + h·Ur + br), z = σ(x·Wz + h·Uz + bz),
// n = tanh(x·Wn + bn + r ⊙ (h·Un + bhn)),  h' = (1 − z) ⊙ n + z ⊙ h
layer GRUCell(d_in, d_hidden) {
  param Wx: f32[d_in, 3 * d_hidden] = glorot_uniform
  param Wh: f32[d_hidden, 3 * d_hidden] = orthogonal
  param b: f32[3 * d_hidden] = zeros
  param bhn: f32[d_hidden] = zeros
  fn project(x) = x @ Wx + b
  fn step(h, xp) {
    let n = d_hidden
    let hh = h @ Wh
    let r = sigmoid(xp[:, 0:n] + hh[:, 0:n])
    let z = sigmoid(xp[:, n:2 * n] + hh[:, n:2 * n])
    let cand = tanh(xp[:, 2 * n:3 * n] + r * (hh[:, 2 * n:3 * n] + bhn))
    (1 - z) * cand + z * h
  }
  fn forward(h, x) = step(h, project(x))
}

// ---- sequence wrappers: x is [B, T, d_in]; they return every state [B, T, d_hidden] -------------
// The input projection runs once for the whole sequence; only the recurrent part is in the loop.
// truncate = k: truncated backpropagation through time, the gradient flows back at most to the start
// of each window of k steps (0: through the whole sequence). checkpoint = k: backpropagation stores the
// state every k steps and recomputes the steps in between (0: stores every step); the compiler then
// moves the projection (and the embedding before it, the readout and loss after it) into the loop's
// step, so that no [T, B, 4·d_hidden] buffer is kept (passes/sinkRows.ts).

fn rnn(cell, x, h0, reverse = false, truncate = 0, checkpoint = 0) =
  scan(cell.step, h0, cell.project(x), axis = 1, reverse = reverse, truncate = truncate, checkpoint = checkpoint)
fn gru(cell, x, h0, reverse = false, truncate = 0, checkpoint = 0) = rnn(cell, x, h0, reverse, truncate, checkpoint)
// [hs, cs]: the hidden and cell states of every step
fn lstm(cell, x, h0, c0, reverse = false, truncate = 0, checkpoint = 0) =
  scan(cell.step, [h0, c0], cell.project(x), axis = 1, reverse = reverse, truncate = truncate, checkpoint = checkpoint)
// An RNN or GRU over x with a zero initial state (width from the cell's recurrent weights)
fn rnn_like(cell, x, reverse = false) = rnn(cell, x, zeros_state(x, dim(cell.Wh, 0)), reverse)
// The state after the last step, [B, d_hidden]
fn last(states) = states[:, -1]
// Zeros for the initial state of a batch like x: [B, d]
fn zeros_state(x, d) = broadcast_to(0, [dim(x, 0), d])

// Two RNNs, one reading forward and one backward, states concatenated: [B, T, 2·d_hidden]
fn bidirectional_rnn(fwd, bwd, x, d_hidden) = concat([
  rnn(fwd, x, zeros_state(x, d_hidden)),
  rnn(bwd, x, zeros_state(x, d_hidden), reverse = true)], axis = 2)
fn bidirectional_lstm(fwd, bwd, x, d_hidden) = concat([
  lstm(fwd, x, zeros_state(x, d_hidden), zeros_state(x, d_hidden))[0],
  lstm(bwd, x, zeros_state(x, d_hidden), zeros_state(x, d_hidden), reverse = true)[0]], axis = 2)

// Keep the previous state where mask is 0 (padding after the end of a shorter sequence):
// h' = m ⊙ h_new + (1 − m) ⊙ h, with m [B] in {0, 1}
fn masked_update(m, h_new, h) = where(expand_dims(m, 1) > 0.5, h_new, h)

// ---- attention -----------------------------------------------------------------------------------

// softmax(Q·Kᵀ/√d_k)·V over the last two axes, for q [..., Tq, d_k], k [..., Tk, d_k], v [..., Tk, d_v].
// mask [Tq, Tk] (or broadcastable) is true where attending is allowed; masked positions get exactly 0.
fn attention(q, k, v, mask) {
  let scores = q @ matrix_transpose(k) / sqrt(dim(q, -1))
  masked_softmax(scores, mask) @ v
}
fn no_mask(tq, tk) = broadcast_to(true, [tq, tk])

// [B, T, h·d] → [B, h, T, d] and back
fn split_heads(x, heads) = transpose(reshape(x, [dim(x, 0), dim(x, 1), heads, dim(x, 2) / heads]), [0, 2, 1, 3])
fn merge_heads(x) = reshape(transpose(x, [0, 2, 1, 3]), [dim(x, 0), dim(x, 2), dim(x, 1) * dim(x, 3)])

// Multi-head attention: Q = x_q·Wq, K = x_kv·Wk, V = x_kv·Wv, split into heads, attention per head,
// heads concatenated, then ·Wo. x_q [B, Tq, d], x_kv [B, Tk, d].
layer MultiHeadAttention(d, heads) {
  layer q = nn.Dense(d, d)
  layer k = nn.Dense(d, d)
  layer v = nn.Dense(d, d)
  layer o = nn.Dense(d, d)
  fn forward(x_q, x_kv, mask) = o(merge_heads(attention(split_heads(q(x_q), heads), split_heads(k(x_kv), heads), split_heads(v(x_kv), heads), mask)))
}

// Sinusoidal positions: PE[t, 2i] = sin(t / 10000^(2i/d)), PE[t, 2i+1] = cos(t / 10000^(2i/d)) → [T, d]
fn sinusoidal_positions(t, d) {
  let pos = expand_dims(cast(iota(t), f32), 1)
  let i = cast(iota(d), f32)
  let pair = cast(cast(i * 0.5, i32), f32)       // ⌊i/2⌋
  let angle = pos * exp(-9.210340371976184 * 2 * pair / d)   // 10000^(−2i/d), ln 10000 = 9.2103…
  where(expand_dims(i - 2 * pair, 0) < 0.5, sin(angle), cos(angle))
}
// Learned positions: one vector per position, [max_len, d]; take the first T rows.
layer LearnedPositions(max_len, d) {
  param P: f32[max_len, d] = normal(std = 0.02)
  fn forward(t) = P[0:t]
}

// Position-wise feed-forward: Dense(d → d_ff), activation, Dense(d_ff → d)
layer FeedForward(d, d_ff, act = gelu) {
  layer l1 = nn.Dense(d, d_ff)
  layer l2 = nn.Dense(d_ff, d)
  fn forward(x) = l2(act(l1(x)))
}

// Transformer encoder block (pre-norm): x + MHA(LN(x)), then + FFN(LN(·))
layer EncoderBlock(d, heads, d_ff, act = gelu) {
  layer ln1 = nn.LayerNorm(d)
  layer attn = MultiHeadAttention(d, heads)
  layer ln2 = nn.LayerNorm(d)
  layer ff = FeedForward(d, d_ff, act)
  fn forward(x, mask) {
    let a = ln1(x)
    let h = x + attn(a, a, mask)
    h + ff(ln2(h))
  }
}

// Transformer decoder block: masked self-attention, attention over the encoder's output, feed-forward
layer DecoderBlock(d, heads, d_ff, act = gelu) {
  layer ln1 = nn.LayerNorm(d)
  layer self_attn = MultiHeadAttention(d, heads)
  layer ln2 = nn.LayerNorm(d)
  layer cross_attn = MultiHeadAttention(d, heads)
  layer ln3 = nn.LayerNorm(d)
  layer ff = FeedForward(d, d_ff, act)
  fn forward(x, memory, self_mask, memory_mask) {
    let a = ln1(x)
    let h = x + self_attn(a, a, self_mask)
    let h2 = h + cross_attn(ln2(h), memory, memory_mask)
    h2 + ff(ln3(h2))
  }
}
