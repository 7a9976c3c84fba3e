// Run by tests/wasmKernels.test.ts in `node --experimental-wasm-relaxed-simd` (bundled first): the fused
// multiply-add kernels, selected as the runtime selects them, and a wasm-backend model beside the
// interpreter. Prints one JSON line.
import { compileOrThrow } from '../../compiler/index.js';
import { hasRelaxedSimd } from '../../runtime/wasm/features.js';
import { checkProducts, productCases } from './mmCheck.js';

const src = `import nn
model P {
  input x: f32[B, 37]
  layer l = nn.Dense(37, 19)
  output y = l(x)
}`;
const m = compileOrThrow(src).model('P', { seed: 3, backend: 'wasm' });
const x = Float32Array.from({ length: 21 * 37 }, (_, i) => Math.sin(i));
const y = m.forward({ x: { data: x, shape: [21, 37] } })['y']!.data;
const W = m.params['l.W']!,
  bias = m.params['l.b']!;
let worst = 0;
for (let i = 0; i < 21; i++)
  for (let j = 0; j < 19; j++) {
    let s = bias[j]!,
      b = Math.abs(bias[j]!);
    for (let k = 0; k < 37; k++) {
      s += x[i * 37 + k]! * W[k * 19 + j]!;
      b += Math.abs(x[i * 37 + k]! * W[k * 19 + j]!);
    }
    worst = Math.max(worst, Math.abs(y[i * 19 + j]! - s) / (37 * 2 ** -24 * b + 1e-30));
  }
console.log(JSON.stringify({ relaxed: hasRelaxedSimd(), bad: checkProducts(true, productCases(150, 11)), modelError: worst }));
