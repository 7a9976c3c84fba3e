// error: E0254 at 4:44
model M {
  input x: f32[B, 2, 4, 4]
  output y = upsample(x, scale_factor = 2, mode = trilinear)
}
