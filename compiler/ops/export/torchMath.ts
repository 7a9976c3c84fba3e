// PyTorch rules for the elementwise math primitives: an op applying a function of the math table
// (ops/math.ts) is that function's `torch` spelling on the operand as float, or unsupported when it names
// none (their special values are torch's, checked by tests/torch.test.ts). torch.ts's rules take precedence.
import { MATH, type MathFn } from '../math.js';
import { OPS } from '../registry.js';
import type { TorchRule } from './torchApi.js';

const fn = (f: string): TorchRule => ({ emit: (py) => `${f}(${py.tensorAs(0, 'f32')})` });

export const TORCH_MATH_RULES: Readonly<Record<string, TorchRule>> = {
  ...Object.fromEntries(
    Object.values(OPS).flatMap((op): [string, TorchRule][] => {
      if (!op.math) return [];
      const f: MathFn = MATH[op.math];
      return [[op.name, f.torch ? fn(f.torch) : { unsupported: `${op.name} has no PyTorch form: torch has no function for ${op.math}` }]];
    }),
  ),
  isnan: fn('torch.isnan'),
  isinf: fn('torch.isinf'),
};
