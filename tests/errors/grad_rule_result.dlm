// error: E0304 at 2:11
fn f(x) = [x, x] grad (x, dy) = dy
model M {
  input x: f32[2]
  output y = f(x)
}
