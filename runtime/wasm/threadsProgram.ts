// A wasm program (program.ts) on threads (threads.ts): its shared memory, its products split by rows
// (threadsKernels.ts), and its parallel top-level loops (compiler/wasm/parallelWasm.ts) split by
// ranges: the entry calls threads.par(j, n), which runs export p<j> over [lo, hi) units of [0, n) on the
// threads and returns 1 (every iteration once, on one thread: the same bits), or returns 0 (one thread
// now, or n too small to share) and the entry runs the loop's kernel itself. The workers instantiate the
// SIMD kernels and the program itself over the same memory, the math functions from their source text.
import { SCRATCH_BYTES, matmulModuleBytes } from './matmulKernels.js';
import { shareMemoryImport } from './threadsMemory.js';
import { splitByRows, type Fn } from './threadsKernels.js';
import { threadedMemory, wasmThreads, type Registration } from './threads.js';

const sharedMatmul: (WebAssembly.Module | undefined)[] = [];
const PAGE = 65536;
/** Ranges a thread may take of one loop. */
const UNITS_PER_THREAD = 2;

/** A math function's source for a worker: `Math.<name>` for JavaScript's own, else its text (self-contained, as the JS printer's prelude relies on). */
const mathSource = (f: (...xs: number[]) => number): string => {
  const own = Object.getOwnPropertyNames(Math).find((k) => (Math as unknown as Record<string, unknown>)[k] === f);
  return own ? `Math.${own}` : f.toString();
};

export interface ThreadedLayout {
  readonly pages: number;
  readonly kernels: readonly string[];
  readonly loops: readonly number[];
  readonly math: readonly string[];
  readonly scratch: number;
}

/**
 * A program's memory, kernels and loop hook on threads, or undefined to run it on one. Thread t (the
 * caller 0, workers 1, 2, …) packs its panels of B into its own scratch, SCRATCH_BYTES from
 * layout.scratch + t · SCRATCH_BYTES: the memory has room for as many threads as were asked for at load.
 */
export const threadedProgram = (layout: ThreadedLayout, fma: boolean, mathFns: (name: string) => (...xs: number[]) => number) => {
  const slots = wasmThreads();
  const pages = Math.max(layout.pages, Math.ceil((layout.scratch + slots * SCRATCH_BYTES) / PAGE));
  const t = layout.kernels.length || layout.loops.length ? threadedMemory(pages) : undefined;
  if (!t) return undefined;
  sharedMatmul[+fma] ??= new WebAssembly.Module(shareMemoryImport(matmulModuleBytes(fma)));
  const matmul = sharedMatmul[+fma]!;
  const inst = new WebAssembly.Instance(matmul, { env: { memory: t.memory, scratch: layout.scratch } });
  const kernels: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  layout.kernels.forEach((k, i) => {
    kernels[k] = splitByRows(t, k, i, inst.exports[k] as Fn);
  });
  let ranges: Fn[] = [];
  const args = new Int32Array(64 * 2);
  /** threads.par(j, n): loop j on the threads (1), or not (0: the entry runs it). */
  const par = (j: number, n: number): number => {
    const threads = t.threads();
    if (threads <= 1 || n < 2) return 0;
    const units = Math.min(n, UNITS_PER_THREAD * threads);
    for (let u = 0; u < units; u++) {
      args[2 * u] = Math.floor((n * u) / units);
      args[2 * u + 1] = Math.floor((n * (u + 1)) / units);
    }
    t.run(layout.kernels.length + j, units, 2, args, ranges[j]!);
    return 1;
  };
  let program: WebAssembly.Module | undefined;
  return {
    memory: t.memory,
    kernels,
    threads: { par },
    /** The program's module over the shared memory. */
    module: (bytes: Uint8Array) => {
      program = new WebAssembly.Module(shareMemoryImport(bytes));
      return program;
    },
    /** Gives the workers the kernels and loops of `exports` (the program's), for as long as `owner` lives. */
    register: (exports: Record<string, unknown>, owner: object) => {
      ranges = layout.loops.map((_, j) => exports[`p${j}`] as Fn);
      const modules: Registration['modules'][number][] = [{ module: matmul, math: [], perThread: { scratch: [layout.scratch, SCRATCH_BYTES] } }];
      if (program && layout.loops.length) modules.push({ module: program, math: layout.math.map((m) => [m, mathSource(mathFns(m))] as const), kernels: 0 });
      const fns = [...layout.kernels.map((k) => [0, k] as const), ...layout.loops.map((_, j) => [1, `p${j}`] as const)];
      t.register({ slots, modules, fns }, owner);
    },
  };
};
