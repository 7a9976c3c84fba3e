// A restricted Boltzmann machine (Smolensky 1986, Hinton 2002) on binarized digits: 784 visible and 64
// hidden binary units, energy E(v, h) = −v·b − h·c − vᵀWh, trained with contrastive divergence (CD-1).
// One Gibbs step from the data v₀: h₀ ~ p(h | v₀) = σ(v₀W + c), v₁ ~ p(v | h₀) = σ(h₀Wᵀ + b). The CD-1
// update ΔW ∝ v₀ᵀσ(v₀W + c) − v₁ᵀσ(v₁W + c) is the gradient of F(v₀) − F(v₁) with the sample v₁ held
// constant (stop_gradient), where F(v) = −v·b − Σⱼ softplus((vW + c)ⱼ) is the free energy; so the "loss"
// is that difference (it is not a likelihood and need not fall), and `recon_error`, the mean squared
// error of the one-step reconstruction p(v | h₀), is what falls. The filters (W's columns) are an output.
//   npx dlm train examples/rbm.dlm
//   npx dlm sample examples/rbm.dlm --checkpoint checkpoints/Rbm.safetensors --output filters -o rbm_filters.png
model Rbm {
  input x: f32[B, 784]
  param W: f32[784, 64] = normal(std = 0.01)
  param b: f32[784] = zeros                     // visible biases
  param c: f32[64] = zeros                      // hidden biases

  fn free_energy(v) = -sum(v * b, -1) - sum(softplus(v @ W + c), -1)

  let v0 = cast(x > 0.5, f32)                                   // binarized digits
  let ph0 = sigmoid(v0 @ W + c)
  let h0 = bernoulli_like(ph0, ph0)                            // h₀ ~ p(h | v₀)
  let pv1 = sigmoid(h0 @ matrix_transpose(W) + b)
  let v1 = stop_gradient(bernoulli_like(pv1, pv1))             // v₁ ~ p(v | h₀), a constant to the gradient
  loss mean(free_energy(v0)) - mean(free_energy(v1))
  output recon_error = mean(square(v0 - pv1))

  // each hidden unit's weights as a 28×28 image, scaled to [0, 1]
  let f = matrix_transpose(W)
  let lo = -max(-f, -1, keepdims = true)
  output filters = (f - lo) / (max(f, -1, keepdims = true) - lo + 1e-6)

  optimizer sgd(lr = 0.05, momentum = 0.5)
  train { epochs = 5  batch = 32 }
}
