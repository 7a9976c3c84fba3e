// dlm's counter-based uniform generator (ops/random.ts, uniformHash) written in ONNX integer ops, so an
// exported model that samples (a GAN generator, a VAE's prior) draws exactly dlm's numbers. Values are
// uint32 held in int64; x·c mod 2³² is formed from 16-bit halves of c so no product passes 2⁴⁸, and
// x >>> k is an integer division (x ≥ 0).
import { dimMul, type Dim } from '../../types/dims.js';
import type { OnnxBuilder, OnnxNodeView } from './onnxApi.js';

const M32 = 0xffffffff;

export const uniformOnnx = (g: OnnxBuilder, n: OnnxNodeView): string => {
  const stream = n.attrs['stream'] as number;
  const k = (v: number) => g.ints([v]);
  const op = (t: string, a: string, b: string) => g.node(t, [a, b])[0]!;
  const and = (a: string, m: number) => op('BitwiseAnd', a, k(m));
  // imul(x, c) >>> 0 for 0 ≤ x < 2³²
  const imul = (x: string, c: number) => {
    const lo = op('Mul', x, k(c & 0xffff));
    const hi = op('Mul', and(op('Mul', x, k(c >>> 16)), 0xffff), k(0x10000));
    return and(op('Add', lo, hi), M32);
  };
  const xorShift = (h: string, s: number) => op('BitwiseXor', h, op('Div', h, k(2 ** s)));
  // imul((key | 0) ^ 0x9e3779b9, 0x85ebca6b) ^ imul(stream + 1, 0xc2b2ae35): one value per draw
  const [key64] = g.node('Cast', [n.inputs[0]!], { to: 7 });
  const keyTerm = imul(op('BitwiseXor', and(key64!, M32), k(0x9e3779b9)), 0x85ebca6b);
  const c0 = op('BitwiseXor', keyTerm, k(Math.imul(stream + 1, 0xc2b2ae35) >>> 0));
  const count = g.dims([n.type.shape.reduce<Dim>((p, d) => dimMul(p, d), 1)]);
  const scalar = (v: string) => g.node('Squeeze', [v, g.ints([0])])[0]!;
  const [flat] = g.node('Range', [scalar(k(1)), scalar(op('Add', count, k(1))), scalar(k(1))]);
  let h = op('BitwiseXor', imul(flat!, 0x27d4eb2f), c0);
  h = imul(xorShift(h, 16), 0x85ebca6b);
  h = imul(xorShift(h, 13), 0xc2b2ae35);
  h = xorShift(h, 16);
  const [u] = g.node('Cast', [h], { to: 1 });
  const scaled = op('Mul', u!, g.constant([2 ** -32], 'f32'));
  return g.node('Reshape', [scaled, g.dims(n.type.shape)], { allowzero: 1 })[0]!;
};
