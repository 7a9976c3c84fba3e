// error: E0603 at 4:20
// each f_i inlines f_(i-1) twice: 2^24 copies, stopped by the node budget
fn f0(x) = x * 2
fn f1(x) = f0(x) + f0(x * 2)
fn f2(x) = f1(x) + f1(x * 2)
fn f3(x) = f2(x) + f2(x * 2)
fn f4(x) = f3(x) + f3(x * 2)
fn f5(x) = f4(x) + f4(x * 2)
fn f6(x) = f5(x) + f5(x * 2)
fn f7(x) = f6(x) + f6(x * 2)
fn f8(x) = f7(x) + f7(x * 2)
fn f9(x) = f8(x) + f8(x * 2)
fn f10(x) = f9(x) + f9(x * 2)
fn f11(x) = f10(x) + f10(x * 2)
fn f12(x) = f11(x) + f11(x * 2)
fn f13(x) = f12(x) + f12(x * 2)
fn f14(x) = f13(x) + f13(x * 2)
fn f15(x) = f14(x) + f14(x * 2)
fn f16(x) = f15(x) + f15(x * 2)
fn f17(x) = f16(x) + f16(x * 2)
fn f18(x) = f17(x) + f17(x * 2)
fn f19(x) = f18(x) + f18(x * 2)
fn f20(x) = f19(x) + f19(x * 2)
fn f21(x) = f20(x) + f20(x * 2)
fn f22(x) = f21(x) + f21(x * 2)
fn f23(x) = f22(x) + f22(x * 2)
fn f24(x) = f23(x) + f23(x * 2)
model M {
  input x: f32[B, 4]
  output y = f24(x)
}
