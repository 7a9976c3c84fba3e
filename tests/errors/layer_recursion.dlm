// error: E0106 at 4:17
// a layer that contains itself
layer L(n) {
  layer inner = L(n)
  fn forward(x) = inner(x)
}
model M {
  input x: f32[4]
  layer l = L(4)
  output y = l(x)
}
