// Instantiates generated module source (from `dlm compile --emit js` or the JIT): allocates its arena once
// and returns the `run` entry. Needs nothing from the compiler.
import type { FloatArray, TensorData } from './tensor.js';
import { EXTERN_KERNELS, wasmHeap } from './wasm/heap.js';

export type Precision = 'f32' | 'f64';

/** A float32 input kept in the module's WebAssembly memory (its "home"), by input position. */
export interface HomeSlot {
  readonly input: number;
  readonly size: number;
}

export interface CompiledModule {
  /** Runs the module; false when a guarded output was not finite and updates were skipped. */
  readonly run: (ins: readonly TensorData[]) => boolean;
  readonly buffers: Readonly<Record<string, FloatArray>>;
  readonly arena: FloatArray;
  /**
   * homes[i]: where input i lives for this module (modules calling SIMD kernels). `run` copies a
   * caller's array in (and updated values back out) unless it is passed the home itself.
   */
  readonly homes: readonly (Float32Array | undefined)[];
}

/** `simd`: the module calls the runtime's WebAssembly kernels, so its arena and input homes live in their memory. */
export const instantiate = (source: string, arenaSize: number, precision: Precision, simd?: { readonly homes: readonly HomeSlot[] }): CompiledModule => {
  const params = ['arena', 'homes', ...EXTERN_KERNELS];
  // The source is produced by dlm's code generator, which admits only generated identifiers and numbers.
  const make = new Function(...params, source) as (...args: unknown[]) => Omit<CompiledModule, 'arena' | 'homes'>;
  if (!simd) {
    const arena = precision === 'f64' ? new Float64Array(arenaSize) : new Float32Array(arenaSize);
    return { ...make(arena, []), arena, homes: [] };
  }
  if (precision !== 'f32') throw new RangeError('SIMD kernels need float32');
  const heap = wasmHeap(
    arenaSize,
    simd.homes.map((h) => h.size),
  );
  const homes: (Float32Array | undefined)[] = [];
  simd.homes.forEach((h, i) => {
    homes[h.input] = heap.homes[i];
  });
  return { ...make(heap.arena, homes, ...EXTERN_KERNELS.map((k) => heap.kernels[k])), arena: heap.arena, homes };
};
