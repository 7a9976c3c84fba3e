// error: E0252 at 4:14
model M {
  input x: f32[B, 2, 3, 3]
  output y = max_pool3d(expand_dims(x, 2), [1, 4, 4])
}
