// error: E0251 at 5:14
model M {
  input x: f32[B, 2, 8, 8]
  param w: f32[4, 3, 3, 3] = zeros
  output y = conv2d(x, w, padding = same)
}
