// error: E0209 at 5:19
model M {
  input x: f32[T, 3]
  fn step(c, xt) = sum(c * xt)
  output y = scan(step, [0, 0, 0], x)
}
