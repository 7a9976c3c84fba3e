// error: E0303 at 2:13
fn f(x) = x grad (x) = x
model M {
  input x: f32[2]
  output y = f(x)
}
