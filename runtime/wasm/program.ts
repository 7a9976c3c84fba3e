// Loads a program printed as one WebAssembly module (compiler/wasm/moduleWasm.ts): one memory holding
// the arena and a home for every input, the float32 SIMD matmul kernels instantiated over the same
// memory, and the math functions JavaScript provides (passed in: this file imports nothing from the
// compiler). `run` copies each caller's array into its home unless it is the home itself, calls the
// module's entry once, and copies updated values back out to arrays that are not their homes.
import type { CompiledModule } from '../compiled.js';
import type { FloatArray, TensorData } from '../tensor.js';
import { hasRelaxedSimd } from './features.js';
import { matmulModuleBytes } from './matmulKernels.js';
import { threadedProgram } from './threadsProgram.js';

export interface ProgramLayout {
  readonly elem: 'f32' | 'f64';
  /** Memory pages (64 KiB) the module needs; the memory never grows, so views of it stay valid. */
  readonly pages: number;
  readonly arenaSize: number;
  /** Each input's home: byte address and element count. */
  readonly inputs: readonly { readonly byte: number; readonly size: number }[];
  /** Inputs whose home the caller may adopt (parameters and state: the Trainer keeps them there). */
  readonly owned: readonly number[];
  readonly updated: readonly number[];
  /** Arena views by buffer name (element offset and size). */
  readonly buffers: readonly { readonly name: string; readonly offset: number; readonly size: number }[];
  /** Imported math functions (namespace `math`) and runtime kernels (namespace `kernels`), by name. */
  readonly math: readonly string[];
  readonly kernels: readonly string[];
  /** Trip counts of the top-level loops the threads may split (export p<j> runs loop j over [lo, hi)). */
  readonly loops: readonly number[];
  /** The byte address of the SIMD kernels' scratch (SCRATCH_BYTES, after the homes). */
  readonly scratch: number;
}

let matmul: WebAssembly.Module | undefined;

export const instantiateProgram = (bytes: Uint8Array, layout: ProgramLayout, mathFns: (name: string) => (...xs: number[]) => number): CompiledModule => {
  // more than one thread (threads.ts): a shared memory, its products split over the workers
  const threaded = threadedProgram(layout, hasRelaxedSimd(), mathFns);
  const memory = threaded?.memory ?? new WebAssembly.Memory({ initial: layout.pages });
  const kernels: Record<string, unknown> = threaded?.kernels ?? (Object.create(null) as Record<string, unknown>);
  if (layout.kernels.length && !threaded) {
    matmul ??= new WebAssembly.Module(matmulModuleBytes(hasRelaxedSimd()));
    const inst = new WebAssembly.Instance(matmul, { env: { memory, scratch: layout.scratch } });
    for (const k of layout.kernels) kernels[k] = inst.exports[k];
  }
  const math: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const m of layout.math) math[m] = mathFns(m);
  const instance = new WebAssembly.Instance(threaded?.module(bytes) ?? new WebAssembly.Module(bytes), {
    env: { memory },
    math,
    kernels,
    threads: threaded?.threads ?? { par: () => 0 },
  });
  const entry = instance.exports['run'] as () => number;
  const Real = layout.elem === 'f64' ? Float64Array : Float32Array;
  const esize = Real.BYTES_PER_ELEMENT;
  const arena: FloatArray = new Real(memory.buffer, 0, layout.arenaSize);
  const views = layout.inputs.map((x) => new Real(memory.buffer, x.byte, x.size));
  const buffers: Record<string, FloatArray> = Object.create(null) as Record<string, FloatArray>;
  for (const b of layout.buffers) buffers[b.name] = new Real(memory.buffer, b.offset * esize, b.size);
  const homes: (Float32Array | undefined)[] = [];
  if (layout.elem === 'f32') for (const i of layout.owned) homes[i] = views[i] as Float32Array;
  const run = (ins: readonly TensorData[]): boolean => {
    for (let i = 0; i < views.length; i++) {
      const x = ins[i]!;
      if (x !== views[i]) views[i]!.set(x);
    }
    if (entry() !== 1) return false;
    for (const i of layout.updated) {
      const x = ins[i]!;
      if (x !== views[i]) (x as FloatArray).set(views[i]!);
    }
    return true;
  };
  threaded?.register(instance.exports, run);
  return { run, buffers, arena, homes };
};
