// error: E0310 at 5:39
model M {
  input x: f32[T, 3]
  fn step(c, xt) = tanh(c + xt)
  output y = scan(step, [0, 0, 0], x, checkpoint = 2.5)
}
