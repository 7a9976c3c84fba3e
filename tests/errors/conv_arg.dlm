// error: E0250 at 4:31
model M {
  input x: f32[B, 2, 8, 8]
  output y = max_pool2d(x, 2, padding = [1, 0, 1])
}
