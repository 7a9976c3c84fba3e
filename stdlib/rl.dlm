// rl: reinforcement-learning composites written in dlm. `import rl`, then rl.sample_categorical(logits).

// Gumbel(0, 1) noise: g = −log(−log u) with u ~ U(0, 1), kept inside (0, 1) so both logs stay finite
fn gumbel_like(x) = -log(-log(clip(rand_like(x), 1e-7, 1 - 1e-7)))

// A one-hot sample [..., K] of the categorical distribution softmax(logits) along the last axis, by the
// Gumbel-max trick: argmax_k (logits_k + g_k) with g_k ~ Gumbel(0, 1) independent is k with probability
// softmax(logits)_k. A constant to the gradient (REINFORCE differentiates log π(a|s), not the sample).
fn sample_categorical(logits) {
  let z = logits + gumbel_like(logits)
  stop_gradient(cast(z >= max(z, -1, keepdims = true), f32))
}

// The one-hot of the largest entry along the last axis (a greedy action); ties give several ones.
fn greedy(logits) = stop_gradient(cast(logits >= max(logits, -1, keepdims = true), f32))

// log π(a | s) of one-hot actions under softmax(logits): Σ_k a_k·log_softmax(logits)_k  → [...]
fn log_prob(logits, action) = sum(action * log_softmax(logits), -1)

// The entropy of softmax(logits) along the last axis: −Σ p log p  → [...]
fn entropy(logits) = -sum(softmax(logits) * log_softmax(logits), -1)

// Discounted returns along axis 0 of rewards [T, N]: G_t = Σ_{k ≥ t} γ^(k−t)·r_k, as one matmul with the
// upper-triangular matrix M[t, k] = γ^(k−t) for k ≥ t, else 0 (O(T²·N), fine for episodes of hundreds of steps).
fn discounted_returns(rewards, gamma) {
  let steps = cast(iota(dim(rewards, 0)), f32)
  let lag = expand_dims(steps, 0) - expand_dims(steps, 1)         // lag[t, k] = k − t
  where(lag >= 0, gamma ** maximum(lag, 0), 0) @ rewards
}

// The same returns by the backward recurrence G_t = r_t + γ·G_{t+1}, G_T = 0: a reversed scan (O(T·N)),
// for rewards [T, …] of any rank; γ rides along as a second sequence (a step function sees only its
// carries and the sequences' elements).
fn discount_step(g, r, gamma) = r + gamma * g
fn discounted_returns_scan(rewards, gamma) = scan(discount_step, 0 * rewards[0], [rewards, broadcast_to(gamma, [dim(rewards, 0)])], reverse = true)
