// error: E0253 at 5:49
model M {
  input x: f32[B, 4, 5, 5]
  param w: f32[4, 2, 3, 3] = zeros
  output y = conv_transpose2d(x, w, stride = 2, output_padding = 2)
}
