// Which top-level kernels of a wasm program may run on the wasm threads (runtime/wasm/threads.ts), and
// their range functions. A kernel whose (narrowed) body is one loop over [0, n) with independent
// iterations (loops/parallel.ts: each element written by one iteration, nothing carried over, at least
// PARALLEL_STORES stores) gets a second function `p<j>(lo, hi)`, exported, that runs iterations
// [lo, hi) of the same loop. The entry then asks the host first: `threads.par(j, n)` returns 1 when it
// ran the loop as ranges on the threads (every iteration exactly once, each by one thread as in the
// serial loop: the same bits), 0 when the caller is to run the kernel itself, as it always did.
import type { Stmt } from '../loops/loops.js';
import { parallelLoop } from '../loops/parallel.js';
import { I32, type ProgramFunction } from '../../runtime/wasm/encode.js';
import { ident } from '../codegen/emitJs.js';
import { WasmPrinter, type WasmModuleContext } from './emitWasm.js';
import { narrowBounds } from './narrow.js';

export interface ParallelKernel {
  /** Index j: the host calls export `p<j>`. */
  readonly j: number;
  /** The loop's trip count. */
  readonly n: number;
  /** The narrowed loop. */
  readonly loop: Stmt & { k: 'for' };
}

const LO = '\u0000lo',
  HI = '\u0000hi';

/** The parallel kernels among a program's top-level kernels, by name (decided before the module's imports are). */
export const parallelKernels = (top: readonly { name: string; body: readonly Stmt[] }[]): Map<string, ParallelKernel> => {
  const out = new Map<string, ParallelKernel>();
  for (const k of top) {
    const narrowed = narrowBounds(k.body).filter((s) => s.k !== 'comment');
    const par = parallelLoop(narrowed);
    if (par && narrowed.length === 1) out.set(k.name, { j: out.size, n: par.n, loop: par.loop });
  }
  return out;
};

/** The range function `p<j>(lo, hi)` of a parallel kernel: its loop over [lo, hi). */
export const rangeFunction = (ctx: WasmModuleContext, name: string, k: ParallelKernel): ProgramFunction => {
  const loop: Stmt = { ...k.loop, from: { k: 'var', name: LO }, to: { k: 'var', name: HI } };
  const p = new WasmPrinter(ctx, [], [LO, HI]);
  p.infer([loop]);
  const body = p.stmts([loop]);
  return { params: [I32, I32], results: [], locals: p.locals, body, name: `${ident(name)}_range`, export: `p${k.j}` };
};
