// ONNX (opset 18) rules for the elementwise math primitives: an op applying a function of the math table
// (ops/math.ts) is that function's `onnx` operator, or unsupported when it names none. log1p and expm1 have
// no ONNX op: they are written as Log(1 + x) and Exp(x) − 1 (runtimes lose their precision near 0).
import { MATH, type MathFn } from '../math.js';
import { OPS } from '../registry.js';
import type { OnnxRule } from './onnxApi.js';

const op1 = (opType: string): OnnxRule => ({ emit: (g, n) => g.node(opType, [n.inputs[0]!])[0]! });
const one = (g: Parameters<Extract<OnnxRule, { emit: unknown }>['emit']>[0]) => g.constant([1], 'f32');

/** The rule of every op that applies a math-table function (the rules below and onnx.ts's take precedence). */
const FROM_TABLE: Readonly<Record<string, OnnxRule>> = Object.fromEntries(
  Object.values(OPS).flatMap((op): [string, OnnxRule][] => {
    if (!op.math) return [];
    const f: MathFn = MATH[op.math];
    return [[op.name, f.onnx ? op1(f.onnx) : { unsupported: `${op.name} has no ONNX form: ONNX has no operator for ${op.math}` }]];
  }),
);

export const ONNX_MATH_RULES: Readonly<Record<string, OnnxRule>> = {
  ...FROM_TABLE,
  isnan: op1('IsNaN'),
  isinf: op1('IsInf'),
  log1p: { emit: (g, n) => g.node('Log', [g.node('Add', [n.inputs[0]!, one(g)])[0]!])[0]! },
  expm1: { emit: (g, n) => g.node('Sub', [g.node('Exp', [n.inputs[0]!])[0]!, one(g)])[0]! },
  // trunc x = sign(x)·⌊|x|⌋
  trunc: { emit: (g, n) => g.node('Mul', [g.node('Sign', [n.inputs[0]!])[0]!, g.node('Floor', [g.node('Abs', [n.inputs[0]!])[0]!])[0]!])[0]! },
  // log2 x = ln x · (1/ln 2), log10 likewise (ONNX has only Log; the product is within float32 rounding)
  log2: { emit: (g, n) => g.node('Mul', [g.node('Log', [n.inputs[0]!])[0]!, g.constant([1 / Math.LN2], 'f32')])[0]! },
  log10: { emit: (g, n) => g.node('Mul', [g.node('Log', [n.inputs[0]!])[0]!, g.constant([1 / Math.LN10], 'f32')])[0]! },
  isfinite: { emit: (g, n) => g.node('Not', [g.node('Or', [g.node('IsNaN', [n.inputs[0]!])[0]!, g.node('IsInf', [n.inputs[0]!])[0]!])[0]!])[0]! },
};
