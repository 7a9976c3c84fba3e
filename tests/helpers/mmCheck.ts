// Checks of the WebAssembly mm_rows kernel against a float64 product, shared by tests/wasmKernels.test.ts
// and the child process it runs with relaxed SIMD (fused multiply-adds) on. Returns what went wrong.
import { module } from '../../runtime/wasm/encode.js';
import { matmulModuleBytes, SCRATCH_BYTES } from '../../runtime/wasm/matmulKernels.js';
import { mmRows } from '../../runtime/wasm/mmRows.js';

export interface Case {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  /** A row-major, or A given transposed (its columns contiguous: Aᵀ·B, a weight gradient's layout). */
  readonly transposed: boolean;
  readonly seed: number;
}

type Kernel = (...args: number[]) => void;

/** The product module's mm_rows and the same kernel that never packs B, over one memory of `floats` floats. */
const kernels = (fma: boolean, floats: number) => {
  const scratch = Math.ceil(floats / 4) * 16;
  const memory = new WebAssembly.Memory({ initial: Math.ceil((scratch + SCRATCH_BYTES) / 65536) });
  const env = { env: { memory, scratch } };
  const real = new WebAssembly.Instance(new WebAssembly.Module(matmulModuleBytes(fma)), env).exports['mm_rows'] as Kernel;
  const plainBytes = module([mmRows({ fma, packMin: 2 ** 30 }, 'mm_plain')], ['scratch']);
  const plain = new WebAssembly.Instance(new WebAssembly.Module(plainBytes), env).exports['mm_plain'] as Kernel;
  return { memory, real, plain };
};

/**
 * Each case: C from mm_rows within float32 rounding of the float64 product (|error| ≤ K·2⁻²⁴·Σ|products|,
 * the worst case of a float32 sum of K terms, plus a tiny absolute term), the same bits as the kernel
 * that reads B in place (packing must not change the order of the sums), A and B unchanged, nothing
 * written past C.
 */
export const checkProducts = (fma: boolean, cases: readonly Case[]): string[] => {
  const most = Math.max(...cases.map((c) => c.M * c.K + c.K * c.N + 2 * c.M * c.N + 64));
  const { memory, real, plain } = kernels(fma, most + 64);
  const f = new Float32Array(memory.buffer);
  const bad: string[] = [];
  for (const c of cases) {
    const { M, N, K } = c;
    let s = c.seed | 0;
    for (let i = 0; i < most + 64; i++) {
      s = (Math.imul(s, 1103515245) + 12345) | 0;
      f[i] = ((s >>> 8) % 2001) / 1000 - 1;
    }
    const A = 3 + (c.seed & 7),
      B = A + M * K + 5,
      C = B + K * N + 3,
      C2 = C + M * N;
    const [sam, sak] = c.transposed ? [1, M] : [K, 1];
    const inputs = f.slice(0, C);
    const tail = f.slice(C2 + M * N, most + 64);
    const args = (at: number) => [A * 4, sam * 4, sak * 4, B * 4, N * 4, at * 4, M, N, K];
    real(...args(C));
    plain(...args(C2));
    const what = `M ${M} N ${N} K ${K}${c.transposed ? ' (A transposed)' : ''}${fma ? ' fma' : ''}`;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let sum = 0,
          bound = 0;
        for (let k = 0; k < K; k++) {
          const p = f[A + i * sam + k * sak]! * f[B + k * N + j]!;
          sum += p;
          bound += Math.abs(p);
        }
        const got = f[C + i * N + j]!;
        if (!(Math.abs(got - sum) <= K * 2 ** -24 * bound + 1e-30)) bad.push(`${what}: C[${i}, ${j}] = ${got}, float64 ${sum}`);
        if (!Object.is(got, f[C2 + i * N + j])) bad.push(`${what}: C[${i}, ${j}] = ${got} packed, ${f[C2 + i * N + j]} in place`);
      }
    if (inputs.some((x, i) => !Object.is(x, f[i]))) bad.push(`${what}: A or B overwritten`);
    if (tail.some((x, i) => !Object.is(x, f[C2 + M * N + i]))) bad.push(`${what}: written past C`);
    if (bad.length > 20) break;
  }
  return bad;
};

/** Edge shapes (empty dims, one row or column, K across several packed blocks) and seeded random ones. */
export const productCases = (random: number, seed: number): Case[] => {
  const fixed: [number, number, number][] = [
    [1, 1, 1],
    [1, 17, 5],
    [9, 1, 7],
    [8, 8, 0],
    [0, 5, 3],
    [5, 0, 3],
    [12, 8, 512],
    [9, 17, 1100],
    [16, 33, 513],
    [33, 40, 37],
    [8, 12, 3],
    [4, 9, 6],
  ];
  const out: Case[] = fixed.flatMap(([M, N, K], i) => [false, true].map((transposed) => ({ M, N, K, transposed, seed: seed + i })));
  let s = seed;
  const next = (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) | 0;
    return (s >>> 8) % n;
  };
  for (let i = 0; i < random; i++) out.push({ M: 1 + next(24), N: 1 + next(40), K: next(41), transposed: next(2) === 1, seed: next(1 << 20) });
  return out;
};
