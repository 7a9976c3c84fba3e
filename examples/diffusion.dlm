// A denoising diffusion model (DDPM, Ho et al. 2020) on the bundled digits. The forward process blurs a
// digit x₀ (scaled to [−1, 1]) into noise: x_t = √ᾱ_t·x₀ + √(1 − ᾱ_t)·ε with ε ~ N(0, I) and the cosine
// schedule ᾱ_t = cos²(((t/T + s)/(1 + s))·π/2), normalized so ᾱ_0 = 1, T = 100 (Nichol & Dhariwal 2021). A small
// MLP, told the step t through sinusoidal features, learns to predict ε from (x_t, t); the loss is the
// mean squared error of that prediction (predicting 0 scores 1.0). The sampler is an output of the same
// model, sharing the layers: the 100-step ancestral sampling loop written with `scan`, from pure noise to
// digits. The training step computes only the loss; `samples` is evaluated by `dlm sample`.
//   npx dlm train examples/diffusion.dlm
//   npx dlm sample examples/diffusion.dlm --checkpoint checkpoints/Diffusion.safetensors --output samples -o diffusion.png
import nn

// ᾱ(t) for t in [0, T] (t may be fractional): the share of the signal's variance left at step t
fn alpha_bar(t, steps = 100, s = 0.008) = square(cos((t / steps + s) / (1 + s) * pi / 2)) / square(cos(s / (1 + s) * pi / 2))

// sin/cos features of t at 16 frequencies from 1 to 1/1000 (as a transformer's positions): [..., 1] → [..., 32]
fn step_features(t) {
  let freqs = exp(cast(iota(16), f32) * (-6.907755 / 16))
  concat([sin(t * freqs), cos(t * freqs)], axis = -1)
}

// Each pixel's mean and variance over the training digits, as running averages (state, updated by each
// training step from its batch, as batch norm's statistics are).
layer PixelStats(d, momentum = 0.05) {
  state m: f32[d] = zeros
  state v: f32[d] = ones
  fn forward(x0) {
    let mu = mean(x0, 0)
    update m = (1 - momentum) * m + momentum * stop_gradient(mu)
    update v = (1 - momentum) * v + momentum * stop_gradient(mean(square(x0 - mu), 0))
    x0
  }
}

// An MLP told the step t through its sin/cos features, which enter every hidden layer as an added bias
layer Mlp(d, hidden) {
  layer inp = nn.Dense(d, hidden)
  layer t1 = nn.Dense(32, hidden)
  layer mid = nn.Dense(hidden, hidden)
  layer t2 = nn.Dense(32, hidden)
  layer out = nn.Dense(hidden, d, init = zeros)
  fn forward(x, t) {
    let e = step_features(t)
    let h = silu(inp(x) + t1(e))
    out(silu(mid(h) + t2(e)) + h)
  }
}

model Diffusion {
  input x: f32[B, 784]                        // digits in [0, 1]
  layer stats = PixelStats(784)
  layer mlp = Mlp(784, 256)

  // ε̂(x_t, t) = the best guess if each pixel were Gaussian, N(m, v) with the pixel's statistics, plus the
  // MLP's correction: for x₀ ~ N(m, v), E[ε | x_t] = √(1 − ᾱ)·(x_t − √ᾱ·m)/(ᾱ·v + 1 − ᾱ). That term alone is
  // exact on the always-black border, which an MLP narrower than 784 could not pass through.
  fn eps_model(xt, t) {
    let ab = alpha_bar(t)
    sqrt(1 - ab) * (xt - sqrt(ab) * stats.m) / (ab * stats.v + 1 - ab) + mlp(xt, t)
  }

  // training: a random step t ∈ {1, …, 100} per digit, noise it, predict the noise
  let x0 = stats(2 * x - 1)
  let t = floor(rand_like(x[:, 0:1]) * 100) + 1                 // [B, 1]
  let ab = alpha_bar(t)
  let eps = randn_like(x0)
  let noisy = sqrt(ab) * x0 + sqrt(1 - ab) * eps
  loss nn.mse(eps_model(noisy, t), eps)

  // Ancestral (DDPM) sampling from pure noise through all 100 steps, in a scan, drawing fresh noise z at
  // each step (a scan step's random draws differ from step to step):
  //   x_{t−1} = (x_t − β_t/√(1 − ᾱ_t)·ε̂)/√(1 − β_t) + σ_t·z,
  //   β_t = 1 − ᾱ_t/ᾱ_{t−1},  σ_t² = β_t·(1 − ᾱ_{t−1})/(1 − ᾱ_t)
  // (β capped at 0.999 as Nichol & Dhariwal do; the last step adds no noise).
  fn ddpm_step(xt, t_now) {
    let ab_now = alpha_bar(t_now)
    let ab_prev = alpha_bar(t_now - 1)
    let beta = minimum(1 - ab_now / ab_prev, 0.999)
    let e = eps_model(xt, reshape(t_now, [1]))
    let mean_prev = (xt - beta / sqrt(1 - ab_now) * e) / sqrt(1 - beta)
    let sigma = sqrt(beta * (1 - ab_prev) / (1 - ab_now))
    clip(mean_prev + where(t_now > 1, sigma, 0) * randn_like(xt), -3, 3)
  }
  let chain = scan(ddpm_step, randn([64, 784]), 100 - cast(iota(100), f32))
  output samples = clip((chain[-1] + 1) / 2, 0, 1)

  optimizer adam(lr = 0.001)
  train { epochs = 10  batch = 64 }
}
