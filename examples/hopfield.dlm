// A Hopfield network (Hopfield 1982) storing five binarized digits (examples/data/hopfield_digits.json)
// as ±1 patterns ξ of 784 units, and recalling each from copies with a share of its pixels flipped, by
// iterated sign updates s ← sign(W·s …) in a `scan` (synchronous, 10 sweeps). Storage is Hebbian and
// needs no training: W = (1/N) Σ_μ (ξ^μ − a)(ξ^μ − a)ᵀ with a zero diagonal, the covariance form of the
// rule (Sejnowski 1977) on patterns centred by their mean a. Digits share a black border, so raw patterns
// are nearly parallel and the plain rule W = (1/N) Σ ξξᵀ recalls one mixture for every cue; the plain
// rule's results are outputs too. The update is s ← sign(W(s − a) + 0.1·a): the field of the centred
// state plus a small pull toward the mean, which settles the pixels all patterns share.
// Outputs, one entry per corruption level (10%, 20%, 30%, 40% of the pixels flipped; 20 copies of each
// digit at each level): the share of pixels recalled right and of digits recalled exactly.
//   npx dlm run examples/hopfield.dlm --input patterns=examples/data/hopfield_digits.json

model Hopfield {
  input patterns: f32[P, 784]                     // the digits to store, 0/1

  let xi = where(patterns > 0.5, 1.0, -1.0)                  // ±1
  let a = mean(xi, 0)                                          // [784]
  let off_diagonal = 1 - cast(expand_dims(iota(784), 1) == iota(784), f32)
  let w = matrix_transpose(xi - a) @ (xi - a) / 784 * off_diagonal
  let w_plain = matrix_transpose(xi) @ xi / 784 * off_diagonal

  // cues: every pattern, 20 times at each corruption level, with that share of its pixels flipped
  output levels = [0.1, 0.2, 0.3, 0.4]
  let clean = broadcast_to(xi, [4, 20, dim(patterns, 0), 784])
  let cues = where(rand_like(clean) < reshape(levels, [4, 1, 1, 1]), -clean, clean)

  fn sign_update(s) = where((s - a) @ w + 0.1 * a >= 0, 1.0, -1.0)      // W is symmetric: (W·sᵀ)ᵀ = s·W
  fn plain_update(s) = where(s @ w_plain >= 0, 1.0, -1.0)
  let recalled = scan(sign_update, cues, length = 10)[-1]
  let recalled_plain = scan(plain_update, cues, length = 10)[-1]

  fn share_right(s) = mean(cast(s == clean, f32), [1, 2, 3])
  fn share_exact(s) = mean(cast(sum(cast(s != clean, f32), -1) < 0.5, f32), [1, 2])
  output cue_pixel_accuracy = share_right(cues)             // 1 − the level, before any update
  output pixel_accuracy = share_right(recalled)
  output exact_recall = share_exact(recalled)
  output plain_pixel_accuracy = share_right(recalled_plain)
  output plain_exact_recall = share_exact(recalled_plain)
}
