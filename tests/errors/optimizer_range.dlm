// error: E0220 at 5:13
model M {
  input x: f32[B, 4]
  loss sum(x)
  optimizer rmsprop(lr = 0.01, alpha = 1.5)
}
