// The backend interface: where the pipeline's last two phases, emit and load, meet a target. Every
// backend gets the same kernels, fusion and memory plan (a Schedule and its MemoryPlan) and prints
// them as its own source, then loads that source as a CompiledModule, which the runtime calls the
// same way whatever the target. A new backend is one more Emitter in EMITTERS (and its name in
// native/backend.ts's BACKENDS, which `--backend` and `model(name, { backend })` accept).
//   js      JavaScript loops (codegen/module.ts), loaded with new Function
//   wasm    the loops printed as one WebAssembly module over the arena (wasm/moduleWasm.ts), float32
//           matrix products calling the WebAssembly SIMD kernels in the same memory
//   native  the loops printed as C (native/moduleC.ts), compiled by the system compiler, called through koffi
import * as E from 'fp-ts/lib/Either.js';
import { instantiate, type CompiledModule, type Precision } from '../runtime/compiled.js';
import type { NativeObject } from '../runtime/native/load.js';
import { emitModule, simdHomes, type ModuleInfo } from './codegen/module.js';
import type { MemoryPlan } from './codegen/plan.js';
import type { CodegenStep } from './codegen/fusionRules.js';
import type { Addressing } from './codegen/simdOperands.js';
import type { Schedule } from './codegen/scheduleTypes.js';
import type { Result } from './diagnostics/diagnostic.js';
import type { Backend } from './native/backend.js';
import { loadC } from './native/jitC.js';
import { emitCModule } from './native/moduleC.js';
import { emitWasm, loadWasm, wasmFallback } from './wasm/backend.js';

export interface Loaded {
  readonly module: CompiledModule;
  /** Native modules keep the object they were compiled to. */
  readonly object?: NativeObject;
}

export interface Emitter {
  readonly name: Backend;
  /** Distinguishes emitters of one backend name in the specialization cache (the standalone module's JavaScript). */
  readonly key?: string;
  /** Code generation steps this target never uses (`js` has no SIMD matmuls). */
  readonly off: readonly CodegenStep[];
  /** Which buffers have an address (codegen/simdOperands.ts): with every one, the scheduler copies no input for a matmul kernel. */
  readonly addressing: Addressing;
  /** A step to switch off and schedule again when a program does not fit this target (wasm32: 4 GiB). */
  readonly fallback?: (s: Schedule, plan: MemoryPlan) => CodegenStep | undefined;
  /** emit: the module's source for a schedule and its memory plan. */
  emit(s: Schedule, plan: MemoryPlan, info: ModuleInfo, precision: Precision): string;
  /** load: the source as a runnable module, or the diagnostics of why it cannot run here. */
  load(source: string, s: Schedule, plan: MemoryPlan, precision: Precision): Result<Loaded>;
}

/** The largest WebAssembly memory a module asks for (wasm32 addresses 4 GiB; keep a page of margin). */
const MAX_WASM_BYTES = 2 ** 32 - 65536;

const javascript = (name: 'js' | 'wasm', off: readonly CodegenStep[]): Emitter => ({
  name,
  off,
  addressing: 'js',
  emit: (s, plan, info) => emitModule(s, plan, info),
  load: (source, s, plan, precision) => E.right({ module: instantiate(source, plan.arenaSize, precision, simdHomes(s)) }),
});

/** One WebAssembly memory holds the arena and the homes; past its 4 GiB the scalar loops take over. */
const wasmFits = (s: Schedule, plan: MemoryPlan): CodegenStep | undefined => {
  const simd = simdHomes(s);
  return simd && (plan.arenaSize + simd.homes.reduce((a, h) => a + h.size, 0)) * 4 > MAX_WASM_BYTES ? 'simd' : undefined;
};

/**
 * JavaScript loops with the float32 matrix products calling the WebAssembly SIMD kernels (the wasm
 * backend before it printed whole programs as WebAssembly): what standalone modules embed, as source.
 */
export const JS_SIMD: Emitter = { ...javascript('wasm', []), key: 'js-simd', fallback: wasmFits };

export const EMITTERS: Readonly<Record<Backend, Emitter>> = {
  js: javascript('js', ['simd']),
  wasm: { name: 'wasm', off: [], addressing: 'wasm', fallback: wasmFallback, emit: emitWasm, load: loadWasm },
  native: {
    name: 'native',
    off: [],
    addressing: 'native',
    emit: emitCModule,
    load: loadC,
  },
};
