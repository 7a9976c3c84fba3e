// error: E0306 at 2:33
fn f(x) = sum(x) grad (x, dy) = dy
model M {
  input x: f32[2, 3]
  output y = f(x)
}
