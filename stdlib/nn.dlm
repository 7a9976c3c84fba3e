// nn: layers, losses and regularizers written in dlm. `import nn`, then nn.Dense(784, 16), nn.mse(...).

// z = x·W + b, for x: f32[..., in]
layer Dense(in, out, init = glorot_uniform, bias_init = zeros) {
  param W: f32[in, out] = init
  param b: f32[out] = bias_init
  fn forward(x) = x @ W + b
}

// A dense layer followed by an activation function passed as an argument.
layer DenseAct(in, out, act, init = glorot_uniform) {
  param W: f32[in, out] = init
  param b: f32[out] = zeros
  fn forward(x) = act(x @ W + b)
}

// 2-D convolution over NCHW tensors: W is [c_out, c_in, k, k], one bias per output channel.
// padding: a number, [ph, pw], [top, bottom, left, right], same or valid.
layer Conv2d(c_in, c_out, k, stride = 1, padding = 0, dilation = 1, groups = 1, init = he_uniform) {
  param W: f32[c_out, c_in / groups, k, k] = init
  param b: f32[c_out] = zeros
  fn forward(x) = conv2d(x, W, stride = stride, padding = padding, dilation = dilation, groups = groups) + reshape(b, [1, c_out, 1, 1])
}

// Batch normalization over N, H, W for each channel: x̂ = (x − μ_B)/√(σ²_B + ε), y = γ·x̂ + β, with the
// batch statistics while training and their running averages (state, updated by each step) otherwise.
layer BatchNorm2d(c, momentum = 0.1, eps = 1e-5) {
  param gamma: f32[c] = ones
  param beta: f32[c] = zeros
  state running_mean: f32[c] = zeros
  state running_var: f32[c] = ones
  fn forward(x) {
    let mu = mean(x, [0, 2, 3])
    let var = mean(square(x - reshape(mu, [1, c, 1, 1])), [0, 2, 3])
    let n = count(x, [0, 2, 3])
    update running_mean = (1 - momentum) * running_mean + momentum * stop_gradient(mu)
    update running_var = (1 - momentum) * running_var + momentum * stop_gradient(var * n / (n - 1))
    let m = where(training() > 0, mu, running_mean)
    let v = where(training() > 0, var, running_var)
    let xhat = (x - reshape(m, [1, c, 1, 1])) / sqrt(reshape(v, [1, c, 1, 1]) + eps)
    xhat * reshape(gamma, [1, c, 1, 1]) + reshape(beta, [1, c, 1, 1])
  }
}

// Layer normalization over the last axis (transformers): (x − μ)/√(σ² + ε)·γ + β
layer LayerNorm(d, eps = 1e-5) {
  param gamma: f32[d] = ones
  param beta: f32[d] = zeros
  fn forward(x) {
    let mu = mean(x, -1, keepdims = true)
    let var = mean(square(x - mu), -1, keepdims = true)
    (x - mu) / sqrt(var + eps) * gamma + beta
  }
}

// Transposed convolution (decoders, generators): W is [c_in, c_out/groups, k, k];
// output (H − 1)·stride − 2·padding + dilation·(k − 1) + 1 + output_padding.
layer ConvTranspose2d(c_in, c_out, k, stride = 1, padding = 0, output_padding = 0, groups = 1, dilation = 1, init = he_uniform) {
  param W: f32[c_in, c_out / groups, k, k] = init
  param b: f32[c_out] = zeros
  fn forward(x) {
    let y = conv_transpose2d(x, W, stride = stride, padding = padding, output_padding = output_padding, groups = groups, dilation = dilation)
    y + reshape(b, [1, c_out, 1, 1])
  }
}

// 1-D convolution over [N, C, L] sequences (the conv1d built-in). W is [c_out, c_in/groups, k].
layer Conv1d(c_in, c_out, k, stride = 1, padding = 0, dilation = 1, groups = 1, init = he_uniform) {
  param W: f32[c_out, c_in / groups, k] = init
  param b: f32[c_out] = zeros
  fn forward(x) = conv1d(x, W, stride = stride, padding = padding, dilation = dilation, groups = groups) + reshape(b, [1, c_out, 1])
}

// 3-D convolution over [N, C, D, H, W] volumes (the conv3d built-in). W is [c_out, c_in/groups, k, k, k].
layer Conv3d(c_in, c_out, k, stride = 1, padding = 0, dilation = 1, groups = 1, init = he_uniform) {
  param W: f32[c_out, c_in / groups, k, k, k] = init
  param b: f32[c_out] = zeros
  fn forward(x) = conv3d(x, W, stride = stride, padding = padding, dilation = dilation, groups = groups) + reshape(b, [1, c_out, 1, 1, 1])
}

// Embedding lookup: integer ids [...] → vectors [..., d]; the gradient adds into the rows that were used.
// padding_idx = k (PyTorch's; negative counts from the end): id k gives a zero vector and its row gets
// no gradient, as PyTorch's padding row, which starts at zero and stays there. The default, vocab,
// pads nothing. (A PyTorch padding row someone set nonzero would differ: here it is always zero.)
layer Embedding(vocab, d, init = normal(std = 0.1), padding_idx = vocab) {
  param W: f32[vocab, d] = init
  fn forward(ids: i32[...]) {
    let pad = expand_dims(cast(ids == padding_idx, f32) + cast(ids == padding_idx + vocab, f32), -1)
    where(pad > 0, 0, gather(W, ids))
  }
}

// [N, C, H, W] → [N, C·H·W], for the dense layers after the convolutions
fn flatten(x) = reshape(x, [dim(x, 0), -1])
// the mean of every channel: [N, C, H, W] → [N, C]
fn global_avg_pool(x) = mean(x, [2, 3])

// Inverted dropout: while training, zero each element with probability p and scale the survivors by
// 1/(1−p) so the expected value is unchanged; the identity when evaluating (deterministic).
fn dropout(x, p) = where(training() > 0, where(rand_like(x) >= p, x / (1 - p), 0), x)

// The reparameterization trick (VAE): z = μ + σ ⊙ ε with ε ~ N(0, 1) and σ = exp(½ log σ²);
// z is differentiable with respect to μ and log σ², and ε is a constant to the gradient.
fn reparameterize(mu, logvar) = mu + exp(0.5 * logvar) * stop_gradient(randn_like(mu))

// ---- losses -------------------------------------------------------------------------------------
// Each takes reduction = mean | sum | none, as PyTorch's losses: the mean over every element (the
// default), the sum, or the per-element losses themselves (`none`, the identity, is in the prelude).

// The reduction of losses l where positions carry a weight w ∈ {0, 1} (0: an ignored label): mean is
// PyTorch's mean over the kept positions, Σ l·w / Σ w, sum gives Σ l·w and none l·w. Which reduction
// was given shows in what it makes of w: mean(w)·N = Σ w, while sum(w)·N and none's w_i·N differ from
// Σ w by at least 1 whenever the factor matters. A batch with every position ignored gives 0 (PyTorch:
// 0/0 = NaN): nothing to learn from, and a NaN would stop training at the non-finite-loss guard.
fn reduce_kept(l, w, reduction) {
  let kept = sum(w)
  let is_mean = abs(reduction(w) * count(l) - kept) < 0.5
  reduction(l * w) * where(is_mean, count(l) / maximum(kept, 1), 1)
}

// (ŷ − y)², reduced
fn mse(pred, truth, reduction = mean) = reduction(square(pred - truth))
// |ŷ − y|, reduced
fn mae(pred, truth, reduction = mean) = reduction(abs(pred - truth))

// Softmax cross-entropy of logits [..., C] with integer class labels [...] (i32; for one-hot or probability
// targets use softmax_cross_entropy), through log-softmax, as PyTorch's: rows whose label is ignore_index
// count for nothing, and label_smoothing = ε mixes the target with the uniform distribution:
// l = (1 − ε)·(−log p_y) + ε·(−(1/C) Σ_c log p_c).
fn cross_entropy(logits: f32[..., C], labels: i32[...], reduction = mean, ignore_index = -100, label_smoothing = 0.0) {
  // −Σ_c q_c log p_c with the smoothed target q = (1 − ε)·one_hot(y) + ε/C
  let q = (1 - label_smoothing) * one_hot(labels, dim(logits, -1)) + label_smoothing / dim(logits, -1)
  reduce_kept(-sum(log_softmax(logits) * q, -1), cast(labels != ignore_index, f32), reduction)
}
// Cross-entropy over the labelled positions of sequences: logits [B, T, V], labels i32[B, T] where −1
// (ignore_index) marks padding: it contributes nothing, to the sum or to the count.
fn sequence_cross_entropy(logits: f32[..., V], labels: i32[...], reduction = mean, ignore_index = -1, label_smoothing = 0.0) =
  cross_entropy(logits, labels, reduction, ignore_index, label_smoothing)
// Softmax cross-entropy with one-hot or soft targets [..., C] (f32; integer labels: cross_entropy): −Σ_c t_c log p_c
fn softmax_cross_entropy(logits: f32[..., C], targets: f32[..., C], reduction = mean) = reduction(-sum(targets * log_softmax(logits), -1))

// Binary cross-entropy from logits z (PyTorch's BCEWithLogitsLoss), never overflowing:
// l = max(z, 0) − z·y + log(1 + e^−|z|), and with pos_weight w the positive term weighted:
// l = w·y·softplus(−z) + (1 − y)·softplus(z).
fn bce_with_logits(z, y, reduction = mean, pos_weight = 1.0) =
  reduction(maximum(z, 0) - z * y + log(1 + exp(-abs(z))) + (pos_weight - 1) * y * softplus(-z))
// Binary cross-entropy from probabilities, as PyTorch's BCELoss: each log clamped at −100, so p = 0
// or 1 gives a finite loss (at most 100 per element) and no NaN; the clamped side's gradient is 0.
fn binary_cross_entropy(p, y, reduction = mean) = reduction(-(y * maximum(log(p), -100) + (1 - y) * maximum(log(1 - p), -100)))
// Hinge loss for labels in {−1, +1}: max(0, 1 − y·ŷ), with the whole gradient at the tie y·ŷ = 1
// (PyTorch's clamp(min = 0) convention; maximum would give half)
fn hinge(pred, y, reduction = mean) {
  let m = 1 - y * pred
  reduction(where(m >= 0, m, 0))
}
// KL(p ‖ q) = Σ p (log p − log q) over the last axis, from log-probabilities; reduced over the batch
fn kl_div_log(log_p, log_q, reduction = mean) = reduction(sum(exp(log_p) * (log_p - log_q), -1))
// KL divergence of N(μ, σ²) from N(0, 1), from μ and log σ²: −½ Σ (1 + log σ² − μ² − σ²); reduced over the batch
fn kl_normal(mu, logvar, reduction = mean) = reduction(-0.5 * sum(1 + logvar - square(mu) - exp(logvar), -1))

// ---- regularizers --------------------------------------------------------------------------------
fn l2(w) = sum(square(w))
fn l1(w) = sum(abs(w))
