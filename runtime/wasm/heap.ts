// One WebAssembly memory per compiled module: the arena first, then a "home" for each float32 input the
// module's SIMD kernels read, so every buffer a kernel touches has a byte address in that memory, then
// the kernels' scratch. The memory never grows (growing would detach every view of it), so it is sized
// once, here.
import { hasRelaxedSimd } from './features.js';
import { SCRATCH_BYTES, matmulModuleBytes } from './matmulKernels.js';

/** The runtime kernels generated code may call by name (contracts in matmulKernels.ts). */
export const EXTERN_KERNELS = ['mm_rows', 'mm_dots'] as const;
export type ExternKernel = (typeof EXTERN_KERNELS)[number];
export type KernelFn = (...args: number[]) => void;

export interface WasmHeap {
  readonly arena: Float32Array;
  /** homes[i]: the home of the i-th listed input. */
  readonly homes: readonly Float32Array[];
  readonly kernels: Readonly<Record<ExternKernel, KernelFn>>;
}

let compiled: WebAssembly.Module | undefined;
const PAGE = 65536;

/** Allocates a heap for `arenaSize` floats plus the given home sizes, with the kernels bound to it. */
export const wasmHeap = (arenaSize: number, homeSizes: readonly number[]): WasmHeap => {
  compiled ??= new WebAssembly.Module(matmulModuleBytes(hasRelaxedSimd()));
  const floats = arenaSize + homeSizes.reduce((a, b) => a + b, 0);
  const scratch = Math.ceil((floats * 4) / 16) * 16;
  const memory = new WebAssembly.Memory({ initial: Math.ceil((scratch + SCRATCH_BYTES) / PAGE) });
  const instance = new WebAssembly.Instance(compiled, { env: { memory, scratch } });
  const arena = new Float32Array(memory.buffer, 0, arenaSize);
  let at = arenaSize;
  const homes = homeSizes.map((n) => {
    const h = new Float32Array(memory.buffer, at * 4, n);
    at += n;
    return h;
  });
  const exported = instance.exports as Record<string, unknown>;
  const kernels = Object.fromEntries(EXTERN_KERNELS.map((k) => [k, exported[k] as KernelFn])) as Record<ExternKernel, KernelFn>;
  return { arena, homes, kernels };
};
