// The prelude: composites every .dlm file sees without an import. Each is written from primitives, so
// its gradient comes from theirs. Stable forms are used where the naive formula overflows.

fn relu(x) = where(x <= 0, 0, x)                       // relu'(0) = 0 and relu(NaN) = NaN, as PyTorch
fn leaky_relu(x, alpha = 0.01) = where(x > 0, x, alpha * x)
fn elu(x, alpha = 1.0) = where(x > 0, x, alpha * expm1(where(x > 0, 0, x)))   // elu'(0) = alpha, as torch
// softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|): never overflows, and log1p keeps the ~e^x of x ≪ 0
fn softplus(x) = maximum(x, 0) + log1p(exp(-abs(x)))
fn silu(x) = x * sigmoid(x)
// GELU: gelu(x) (a built-in) is gelu_erf, x·Φ(x) = 0.5·x·(1 + erf(x/√2)), PyTorch's default, and
// gelu(x, approximate = tanh) is gelu_tanh, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (differs by up to 4.7e-4)
fn gelu_erf(x) = 0.5 * x * (1 + erf(x * 0.7071067811865476))
fn gelu_tanh(x) = 0.5 * x * (1 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))
fn square(x) = x * x
// clip'(x) = 1 on [lo, hi] including the boundary, 0 outside; lo > hi gives hi; NaN stays NaN (all as torch.clamp)
fn clip(x, lo, hi) {
  let t = where(x < lo, lo, x)
  where(t > hi, hi, t)
}

fn mean(x, axis = all, keepdims = false) = sum(x, axis, keepdims) / count(x, axis)
// Σ(x − mean)² / (n − correction). The default correction = 0 is the population variance that batch and
// layer norm use; torch.var's default is correction = 1 (Bessel's), so pass correction = 1 to match it.
fn variance(x, axis = all, keepdims = false, correction = 0) {
  let m = mean(x, axis, true)
  sum(square(x - m), axis, keepdims) / (count(x, axis) - correction)
}
fn std(x, axis = all, keepdims = false, correction = 0) = sqrt(variance(x, axis, keepdims, correction))

// log Σ e^x along an axis, shifted by the (constant) max m so exp never overflows (no shift where m = ±∞, as torch):
// lse(x) = m + log Σ e^(x−m); its gradient is softmax(x) whatever m is, so m is stop_gradient. keepdims: sum over size-1 axes
fn logsumexp(x, axis = -1, keepdims = false) {
  let m = stop_gradient(where(isfinite(max(x, axis, true)), max(x, axis, true), 0))
  sum(m + log(sum(exp(x - m), axis, true)), axis, keepdims)
}
fn softmax(x, axis = -1) {
  let e = exp(x - stop_gradient(max(x, axis, true)))
  e / sum(e, axis, true)
}
fn log_softmax(x, axis = -1) {
  let z = x - stop_gradient(max(x, axis, true))
  z - log(sum(exp(z), axis, true))
}

fn one_hot(labels, n) = cast(expand_dims(labels, -1) == iota(n), f32)

// Softmax over `axis` where mask is true, exactly 0 elsewhere (a row with nothing allowed is all 0).
// Masked logits are moved far below the row's max before exp, so they underflow to exactly 0.
fn masked_softmax(x, mask, axis = -1) {
  let z = where(mask, x, -1e30)
  let e = where(mask, exp(z - stop_gradient(max(z, axis, true))), 0)
  e / maximum(sum(e, axis, true), 1e-30)
}
// causal_mask(T)[i, j] = (j ≤ i): position i may attend to itself and earlier positions
fn causal_mask(n) = expand_dims(iota(n), 1) >= expand_dims(iota(n), 0)

// Random draws (fresh every training step, fixed for a given seed when evaluating). Each call site has
// its own stream. Standard normals by Box–Muller: √(−2 ln u₁)·cos(2π u₂) with u₁ ∈ (0, 1].
fn randn_like(x) = sqrt(-2 * log(1 - rand_like(x))) * cos(2 * pi * rand_like(x))
fn randn(shape) = sqrt(-2 * log(1 - rand(shape))) * cos(2 * pi * rand(shape))
// 1 with probability p, else 0
fn bernoulli_like(x, p) = cast(rand_like(x) < p, f32)

// ---- issue 25's activations (PyTorch's definitions, and its derivatives at the kinks), masks and returns ----
fn celu(x, alpha = 1.0) = where(x > 0, x, alpha * expm1(where(x > 0, 0, x) / alpha))
// selu = scale·elu(x, alpha) with the self-normalizing constants of Klambauer et al. (torch.selu's)
fn selu(x) = 1.0507009873554805 * where(x > 0, x, 1.6732632423543772 * expm1(where(x > 0, 0, x)))
fn softsign(x) = x / (1 + abs(x))
// hardtanh'(x) = 1 on the open interval (min_val, max_val) and 0 at its ends, as torch's hardtanh_backward
fn hardtanh(x, min_val = -1, max_val = 1) = where(x <= min_val, min_val, where(x >= max_val, max_val, x))
fn relu6(x) = hardtanh(x, 0, 6)
// torch's piecewise forms: hardsigmoid' = 1/6 on (−3, 3), 0 at ±3; hardswish' = (2x + 3)/6 on [−3, 3) (−0.5 at −3), 1 from 3 on
fn hardsigmoid(x) = where(x <= -3, 0, where(x >= 3, 1, (x + 3) / 6))
fn hardswish(x) = where(x < -3, 0, where(x < 3, x * (x + 3) / 6, x))
fn mish(x) = x * tanh(softplus(x))
fn exp2(x) = 2 ** x
// tril keeps x[…, i, j] with j ≤ i + k, triu those with j ≥ i + k (torch.tril/triu: the rest is 0)
fn tril(x, k = 0) = where(expand_dims(iota(dim(x, -2)), 1) + k >= expand_dims(iota(dim(x, -1)), 0), x, 0)
fn triu(x, k = 0) = where(expand_dims(iota(dim(x, -2)), 1) + k <= expand_dims(iota(dim(x, -1)), 0), x, 0)
// G_t = x_t + γ·G_{t+1} along axis (discounted returns), the recurrence run backwards
fn discounted_cumsum(x, gamma, axis = -1) = linrec(gamma, x, axis, reverse = true)
