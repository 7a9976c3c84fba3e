// The runtime's WebAssembly SIMD matmul kernels, called directly: every tile remainder (M, N, K from 1
// up past the 4×8 and 2×4 tiles), transposed and offset operands, against a float64 product.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { s32, u32 } from '../../runtime/wasm/encode.js';
import { matmulModuleBytes } from '../../runtime/wasm/matmulKernels.js';
import { wasmHeap } from '../../runtime/wasm/heap.js';

describe('the binary writer', () => {
  test('LEB128: the spec examples', () => {
    expect(u32(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(u32(0)).toEqual([0]);
    expect(s32(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(s32(-1)).toEqual([0x7f]);
    expect(s32(64)).toEqual([0xc0, 0x00]);
  });
  test('the kernel module validates', () => {
    expect(WebAssembly.validate(matmulModuleBytes())).toBe(true);
  });
});

/** C = A·B in float64, A and B read through (offset, row stride, column stride). */
const reference = (f: Float32Array, a: number[], b: number[], M: number, N: number, K: number) => {
  const c = new Float64Array(M * N),
    bound = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      for (let k = 0; k < K; k++) {
        const p = f[a[0]! + i * a[1]! + k * a[2]!]! * f[b[0]! + k * b[1]! + j * b[2]!]!;
        c[i * N + j] = c[i * N + j]! + p;
        bound[i * N + j] = bound[i * N + j]! + Math.abs(p);
      }
    }
  return { c, bound };
};

describe('mm_rows and mm_dots', () => {
  const heap = wasmHeap(8192, []);
  const f = heap.arena;
  const dims = fc.record({ M: fc.integer({ min: 1, max: 13 }), N: fc.integer({ min: 1, max: 19 }), K: fc.integer({ min: 1, max: 11 }) });

  test('agree with a float64 product for every shape, layout and offset', () => {
    fc.assert(
      fc.property(dims, fc.constantFrom('rows', 'rows, A transposed', 'dots'), fc.nat(7), fc.nat(7), fc.integer(), ({ M, N, K }, layout, ao, bo, seed) => {
        let s = seed;
        for (let i = 0; i < 4096; i++) {
          s = (Math.imul(s, 1103515245) + 12345) | 0;
          f[i] = ((s >>> 8) % 2001) / 1000 - 1;
        }
        f[1000] = Number.NaN; // never read: a wrong address would show
        const A = 8 + ao,
          B = 1200 + bo,
          C = 4096;
        const sentinel = () => {
          for (let i = C; i < 8192; i++) f[i] = 7;
        };
        sentinel();
        let a: number[], b: number[];
        if (layout === 'dots') {
          a = [A, K, 1];
          b = [B, 1, K];
          heap.kernels.mm_dots(A * 4, K * 4, B * 4, K * 4, C * 4, M, N, K);
        } else {
          a = layout === 'rows' ? [A, K, 1] : [A, 1, M];
          b = [B, N, 1];
          heap.kernels.mm_rows(A * 4, a[1]! * 4, a[2]! * 4, B * 4, N * 4, C * 4, M, N, K);
        }
        const { c, bound } = reference(f, a, b, M, N, K);
        for (let i = 0; i < M * N; i++) expect(Math.abs(f[C + i]! - c[i]!)).toBeLessThanOrEqual(1e-6 * (bound[i]! + 1));
        expect(f[C + M * N]).toBe(7); // nothing written past C
      }),
      { numRuns: 300 },
    );
  });

  test('a 64×256 · 256×96 product (many full tiles) within float32 rounding', () => {
    const big = wasmHeap(64 * 256 + 256 * 96 + 64 * 96, []);
    const g = big.arena;
    for (let i = 0; i < 64 * 256 + 256 * 96; i++) g[i] = Math.sin(i);
    const B0 = 64 * 256,
      C0 = B0 + 256 * 96;
    big.kernels.mm_rows(0, 256 * 4, 4, B0 * 4, 96 * 4, C0 * 4, 64, 96, 256);
    const { c, bound } = reference(g, [0, 256, 1], [B0, 96, 1], 64, 96, 256);
    for (let i = 0; i < 64 * 96; i++) expect(Math.abs(g[C0 + i]! - c[i]!)).toBeLessThanOrEqual(1e-6 * bound[i]!);
  });
});
