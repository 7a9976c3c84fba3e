// error: E0112 at 3:19
model M {
  input x: f32[B, ...]
  output y = x * 2
}
