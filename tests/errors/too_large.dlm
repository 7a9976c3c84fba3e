// error: E0605 at 5:9
// 10^10 elements: more than a tensor can have (2^31 - 1)
model M {
  input x: f32[B, 100000]
  param w: f32[100000, 100000] = zeros
  output y = x @ w
}
