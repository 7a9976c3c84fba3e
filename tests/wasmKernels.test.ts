// The WebAssembly SIMD product kernels (runtime/wasm/mmRows.ts, matmulKernels.ts) on edge shapes and
// seeded random ones, without fused multiply-adds here and, in a child `node
// --experimental-wasm-relaxed-simd`, with them (the runtime picks them where the engine validates them).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, test } from 'vitest';
import { hasRelaxedSimd } from '../runtime/wasm/features.js';
import { matmulModuleBytes } from '../runtime/wasm/matmulKernels.js';
import { checkProducts, productCases } from './helpers/mmCheck.js';

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
  const bundle = resolve('scratch', 'wasm-fma-child.mjs');
  beforeAll(async () => {
    mkdirSync('scratch', { recursive: true });
    await build({
      entryPoints: ['tests/helpers/wasmFmaChild.ts'],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'error',
    });
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
