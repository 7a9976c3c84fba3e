// PyTorch rules for the elementwise math primitives of ops/unaryMath.ts: each is torch.<name> on the
// operand as float (their special values are torch's, checked by tests/torch.test.ts).
import type { TorchRule } from './torchApi.js';

const NAMES = ['log1p', 'expm1', 'erf', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'asinh', 'acosh', 'atanh',
  'floor', 'ceil', 'round', 'trunc', 'isnan', 'isinf', 'isfinite', 'log2', 'log10'] as const;

export const TORCH_MATH_RULES: Readonly<Record<string, TorchRule>> = Object.fromEntries(
  NAMES.map((name): [string, TorchRule] => [name, { emit: (py) => `torch.${name}(${py.tensorAs(0, 'f32')})` }]));
