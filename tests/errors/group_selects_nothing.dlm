// error: E0221 at 6:29
import nn
model M {
  input x: f32[B, 4]
  layer l = nn.Dense(4, 2)
  optimizer sgd(lr = 0.1) { group(norms, lr = 0.1) }
  loss mean(l(x))
}
