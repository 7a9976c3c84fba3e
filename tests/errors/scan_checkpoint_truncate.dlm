// error: E0311 at 5:53
model M {
  input x: f32[T, 3]
  fn step(c, xt) = tanh(c + xt)
  output y = scan(step, [0, 0, 0], x, truncate = 4, checkpoint = 2)
}
