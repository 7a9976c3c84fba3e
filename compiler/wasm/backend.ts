// The wasm backend's emit and load phases (its Emitter in compiler/backends.ts). The source it emits is
// the JavaScript printer's listing of the same kernels (for `dlm compile --emit js`, `--stats` and
// reading), then one line `//# dlm-wasm <layout JSON> <module bytes, base64>` that `load` instantiates.
// A program whose arena and inputs do not fit a WebAssembly memory (4 GiB) is emitted and loaded as
// JavaScript loops instead (the Emitter's fallback has switched its SIMD matmuls off).
import * as E from 'fp-ts/lib/Either.js';
import { instantiate, type Precision } from '../../runtime/compiled.js';
import { instantiateProgram, type ProgramLayout } from '../../runtime/wasm/program.js';
import { emitModule, type ModuleInfo } from '../codegen/module.js';
import type { MemoryPlan } from '../codegen/plan.js';
import type { CodegenStep } from '../codegen/fusionRules.js';
import type { Schedule } from '../codegen/scheduleTypes.js';
import { InternalError } from '../diagnostics/diagnostic.js';
import { MATH, type MathFn } from '../ops/math.js';
import { MAX_WASM_BYTES, emitWasmProgram, wasmLayout } from './moduleWasm.js';

/**
 * The wasm backend's threads from now on (undefined: $DLM_WASM_THREADS, else 1): read when a program is
 * loaded and at every product (runtime/wasm/threads.ts); wasmThreadsReady() waits for the workers.
 */
export { setWasmThreads, wasmThreadsReady, disposeWasmThreads } from '../../runtime/wasm/threads.js';

const MARK = '//# dlm-wasm ';

const fits = (s: Schedule, plan: MemoryPlan, precision: Precision): boolean => wasmLayout(s, plan, precision).bytes <= MAX_WASM_BYTES;

/** Base64 without Buffer (browsers) and without spreading the bytes into a call. */
const toBase64 = (b: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return btoa(s);
};
const fromBase64 = (t: string): Uint8Array => {
  const s = atob(t);
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
};

export const emitWasm = (s: Schedule, plan: MemoryPlan, info: ModuleInfo, precision: Precision): string => {
  const listing = emitModule(s, plan, info);
  if (!fits(s, plan, precision)) return listing;
  const { bytes, layout } = emitWasmProgram(s, plan, precision);
  return [
    `// WebAssembly module (${bytes.length} bytes) printed from the loops below (compiler/wasm/); the JavaScript listing is for reading`,
    listing,
    `${MARK}${JSON.stringify(layout)} ${toBase64(bytes)}`,
    '',
  ].join('\n');
};

/** A math function's JavaScript implementation (Math.exp, … or ops/math.ts's own). */
const mathImpl = (name: string): ((...xs: number[]) => number) => {
  // the printer handles pow's special cases itself and calls JavaScript's ** past them
  if (name === 'pow') return Math.pow;
  const f = Object.hasOwn(MATH, name) ? (MATH as Record<string, MathFn>)[name] : undefined;
  if (!f) throw new InternalError(`codegen: no math function ${name}`);
  return f.impl;
};

export const loadWasm = (source: string, _s: Schedule, plan: MemoryPlan, precision: Precision) => {
  const at = source.lastIndexOf(MARK);
  if (at < 0) return E.right({ module: instantiate(source, plan.arenaSize, precision) });
  const [json, b64] = source
    .slice(at + MARK.length)
    .trim()
    .split(' ');
  const layout = JSON.parse(json!) as ProgramLayout;
  return E.right({ module: instantiateProgram(fromBase64(b64!), layout, mathImpl) });
};

/** Past a WebAssembly memory's 4 GiB, the scalar JavaScript loops (no SIMD matmul addresses needed). */
export const wasmFallback = (s: Schedule, plan: MemoryPlan): CodegenStep | undefined => (fits(s, plan, 'f32') ? undefined : 'simd');
