// Random loop bodies for scan's gradient properties (first and second order): a few lets over the
// carries h, c, the step input and captured weights; the new carries are bounded (tanh) so long and
// random loops stay finite.
import fc from 'fast-check';

const TERMS = ['h', 'c', '(xt @ W)', '(h @ U)', 'v', '(c * v)', 'ctx'];
const UNARY = ['tanh', 'sigmoid', 'sin', 'softplus'];
export const bodyArb = fc.record({
  lets: fc.array(fc.record({ op: fc.nat(5), a: fc.nat(20), b: fc.nat(20), u: fc.nat(3) }), { minLength: 1, maxLength: 6 }),
  outH: fc.nat(20),
  outC: fc.nat(20),
  reverse: fc.boolean(),
  axis1: fc.boolean(),
  T: fc.integer({ min: 1, max: 5 }),
});
export interface Body {
  lets: { op: number; a: number; b: number; u: number }[];
  outH: number;
  outC: number;
  reverse: boolean;
  axis1: boolean;
}
export const bodySource = (g: Body): string => {
  const names = [...TERMS];
  const lets = g.lets.map((l, i) => {
    const a = names[l.a % names.length]!,
      b = names[l.b % names.length]!;
    const e = [`${UNARY[l.u]}(${a})`, `${a} + ${b}`, `${a} * ${b}`, `${a} - 0.5 * ${b}`, `${a} / (1 + square(${b}))`, `tanh(${a}) * sigmoid(${b})`][l.op]!;
    names.push(`a${i}`);
    return `    let a${i} = ${e}`;
  });
  const pick = (k: number) => names[k % names.length]!;
  return `model L {
  input x: f32[${g.axis1 ? 'B, T' : 'T, B'}, 3]
  param W: f32[3, 4] = normal(std = 0.7)
  param U: f32[4, 4] = normal(std = 0.7)
  param v: f32[4] = normal(std = 0.7)
  param h0: f32[4] = normal(std = 0.7)
  param r: f32[4] = normal(std = 1.0)
  let ctx = tanh(mean(x, [0, 1]) @ W)
  fn step(h, c, xt) {
${lets.join('\n')}
    [tanh(${pick(g.outH)} + 0.5 * h), tanh(${pick(g.outC)} + c)]
  }
  let s = scan(step, [broadcast_to(h0, [B, 4]), broadcast_to(0, [B, 4])], x, reverse = ${g.reverse}, axis = ${g.axis1 ? 1 : 0})
  loss mean(square(s[0] @ r - 0.3)) + mean(s[1] * s[1][${g.axis1 ? ':, -1:' : '-1:'}])
}`;
};
