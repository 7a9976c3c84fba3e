// The WebAssembly SIMD product kernels (runtime/wasm/mmRows.ts, matmulKernels.ts) on edge shapes and
// seeded random ones, without fused multiply-adds here and, in a child `node
// --experimental-wasm-relaxed-simd`, with them (the runtime picks them where the engine validates them).
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, test } from 'vitest';
import { compileOrThrow } from '../compiler/index.js';
import { hasRelaxedSimd } from '../runtime/wasm/features.js';
import { matmulModuleBytes } from '../runtime/wasm/matmulKernels.js';
import { checkProducts, productCases } from './helpers/mmCheck.js';
import { bundleForChild } from './helpers/scratch.js';

describe('mm_rows', () => {
  test('within float32 rounding of float64 and the same bits packed as in place: empty dims, N = 1, M = 1, K across blocks', () => {
    expect(checkProducts(false, productCases(200, 5))).toEqual([]);
  });

  test('the runtime uses fused multiply-adds exactly where the engine validates relaxed SIMD', () => {
    expect(hasRelaxedSimd()).toBe(WebAssembly.validate(matmulModuleBytes(true)));
    expect(WebAssembly.validate(matmulModuleBytes(false))).toBe(true);
  });
});

describe('with relaxed SIMD (a child node --experimental-wasm-relaxed-simd)', () => {
  let bundle = '';
  beforeAll(async () => {
    bundle = await bundleForChild('tests/helpers/wasmFmaChild.ts', 'wasm-fma-child.mjs');
  }, 30_000);

  test('fused multiply-add kernels: within float32 rounding, packed equal to in place; a Dense layer on the wasm backend', () => {
    const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', bundle], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { relaxed: boolean; bad: string[]; modelError: number };
    expect(out.relaxed).toBe(true);
    expect(out.bad).toEqual([]);
    // the worst error as a fraction of the float32 bound K·2⁻²⁴·Σ|products|
    expect(out.modelError).toBeLessThanOrEqual(1);
  }, 60_000);
});

describe('im2col (each patch element written once where the width stride is 1)', () => {
  test('conv2d through im2col on the wasm and js backends equals the direct loop nest: padding, stride, dilation, asymmetric pads', () => {
    const configs = ['', ', padding = 2', ', padding = [1, 3]', ', padding = 1, stride = [2, 1]', ', padding = 2, dilation = 2', ', stride = 2, padding = 1'];
    // rows of 9 (zeros stored one by one) and of 40 (memory.fill)
    for (const [attrs, W] of [...configs.map((c) => [c, 9] as const), [', padding = 2', 40] as const]) {
      const src = `model C {
  input x: f32[B, 2, 7, ${W}]
  param w: f32[3, 2, 3, 4] = normal(std = 1.0)
  output y = conv2d(x, w${attrs})
}`;
      const x = { data: Float32Array.from({ length: 2 * 2 * 7 * W }, (_, i) => Math.sin(i) + 0.25), shape: [2, 2, 7, W] };
      const ref = compileOrThrow(src, { convLowering: 'direct' }).model('C', { seed: 1, backend: 'js' }).forward({ x })['y']!;
      for (const backend of ['wasm', 'js'] as const) {
        const m = compileOrThrow(src).model('C', { seed: 1, backend });
        const spec = m.run(m.ir.fn, { x });
        // NaN wherever the patches are not written: a padding element left unwritten would show
        spec.module.arena.fill(Number.NaN);
        spec.module.run(spec.schedule.inputs.map((s) => (s.name === 'x' ? x.data : m.params[s.name]!)));
        const y = spec.outputs['y']!;
        expect(y.length, attrs).toBe(ref.data.length);
        let worst = 0;
        for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i]! - ref.data[i]!));
        expect(worst, `${backend}${attrs}`).toBeLessThan(1e-5); // NaN fails too
      }
    }
  });
});
