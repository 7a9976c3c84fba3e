// error: E0240 at 4:30
model M {
  input x: f32[3, 4]
  output y = einsum("ij,jk->iz", x, transpose(x))
}
