// error: E0305 at 6:12
model M {
  input x: f32[2]
  param w: f32[2] = ones
  fn f(a) = a * w grad (a, dy) = dy * w
  loss sum(f(x))
}
