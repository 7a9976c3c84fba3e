// Specializes an IR function to concrete dims: schedule → memory plan → JS → new Function, cached by
// shape signature and precision. Checks actual inputs against declarations (diagnostics E04xx).
import { setOwn } from '../../runtime/tensor.js';
import { instantiate, type CompiledModule, type Precision } from '../../runtime/compiled.js';
import type { FloatArray, TensorData } from '../../runtime/tensor.js';
import { diag, note, type Diagnostic } from '../diagnostics/diagnostic.js';
import { bindShape, type DimEnv } from '../ir/bind.js';
import { inputNodes, inputName, type IrFunction } from '../ir/ir.js';
import { fmtType } from '../types/types.js';
import { lineCol } from '../diagnostics/span.js';
import { sourceLookup } from '../parse/modules.js';
import { emitModule, simdHomes } from '../codegen/module.js';
import { planMemory, type MemoryPlan } from '../codegen/plan.js';
import { CODEGEN_STEPS, schedule, type Schedule } from '../codegen/schedule.js';
import { inPlaceUpdates } from '../codegen/inplace.js';
import { lowerAllCustom } from '../passes/lowerCustom.js';
import { DEFAULT_LIMITS } from '../check/limits.js';
import { RunError } from '../api/errors.js';
import { memoryProblem } from './memory.js';
import { resolveBackend, type Backend, type BackendChoice } from '../native/backend.js';
import { instantiateC } from '../native/jitC.js';
import { emitCModule } from '../native/moduleC.js';

/** Kernel notes end in `@file:offset`; show them as `file.dlm:line:col`. */
export const locate = (note: string): string => note.replace(/@(.+):(\d+)$/, (all, file: string, off: string) => {
  const src = sourceLookup(file);
  if (!src) return all;
  const { line, col } = lineCol(src, Number(off));
  return `${file.split(/[\\/]/).pop()}:${line}:${col}`;
});

export interface Specialized {
  readonly fn: IrFunction;
  readonly env: DimEnv;
  readonly precision: Precision;
  readonly schedule: Schedule;
  readonly plan: MemoryPlan;
  readonly source: string;
  readonly module: CompiledModule;
  /** Output name → arena view holding it after `run` (overwritten by the next call). */
  readonly outputs: Readonly<Record<string, FloatArray>>;
  readonly compileMs: number;
  /** The code it runs as (js, wasm or native); native modules also keep their C source and object. */
  readonly backend: Backend;
  readonly native?: { readonly source: string; readonly object: string; readonly cached: boolean; readonly ccMs: number };
}

/** The largest WebAssembly memory a module asks for (wasm32 addresses 4 GiB; keep a page of margin). */
const MAX_WASM_BYTES = 2 ** 32 - 65536;

const envKey = (env: DimEnv): string => [...env.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join(',');
const cache = new WeakMap<IrFunction, Map<string, Specialized>>();

/** The C source the native backend would compile for `f` at these dims (`dlm compile --emit c`: no C compiler needed). */
export const cSource = (f: IrFunction, env: DimEnv, precision: Precision = 'f32', disable: readonly string[] = []): string => {
  const off = new Set(disable.filter((d) => d in CODEGEN_STEPS));
  if (precision === 'f64') off.add('simd');
  const scheduled = schedule(lowerAllCustom(f), env, '', off, true);
  const sched = off.has('inplace') ? scheduled : inPlaceUpdates(scheduled);
  const plan = planMemory(sched, !off.has('reuse'));
  return emitCModule(sched, plan, { title: `dlm: ${f.name} specialized for ${envKey(env) || 'static shapes'} (${precision})`, locate }, precision);
};

/** Compiles `f` for concrete dims (cached per function, dims, precision and switched-off codegen steps). */
export const specialize = (f: IrFunction, env: DimEnv, precision: Precision = 'f32', disable: readonly string[] = [], maxMemory = DEFAULT_LIMITS.maxMemory,
  choice?: BackendChoice): Specialized => {
  const backend = resolveBackend(choice);
  const off = new Set(disable.filter((d) => d in CODEGEN_STEPS));
  if (precision === 'f64' || backend === 'js') off.add('simd');
  const key = `${backend}|${precision}|${envKey(env)}|${[...off].sort().join(',')}`;
  let byKey = cache.get(f);
  if (!byKey) { byKey = new Map(); cache.set(f, byKey); }
  const hit = byKey.get(key);
  if (hit) return hit;
  const t0 = performance.now();
  const build = (steps: ReadonlySet<string>) => {
    const scheduled = schedule(lowerAllCustom(f), env, '', steps, backend === 'native');
    const sched = steps.has('inplace') ? scheduled : inPlaceUpdates(scheduled);
    return { sched, plan: planMemory(sched, !steps.has('reuse')) };
  };
  let { sched, plan } = build(off);
  const simd = backend === 'native' ? undefined : simdHomes(sched);
  // One WebAssembly memory holds the arena and the homes; past its 4 GiB the scalar loops take over.
  if (simd && (plan.arenaSize + simd.homes.reduce((a, h) => a + h.size, 0)) * 4 > MAX_WASM_BYTES) ({ sched, plan } = build(new Set([...off, 'simd'])));
  const over = memoryProblem(sched, plan, precision === 'f64' ? 8 : 4, maxMemory);
  if (over) throw new RunError([over]);
  const title = `dlm: ${f.name} specialized for ${envKey(env) || 'static shapes'} (${precision})`;
  const native = backend === 'native' ? instantiateC(sched, plan, { title, locate }, precision) : undefined;
  const source = native ? native.source : emitModule(sched, plan, { title, locate });
  const module = native ? native.module : instantiate(source, plan.arenaSize, precision, simdHomes(sched));
  const outputs: Record<string, FloatArray> = {};
  for (const o of sched.outputs) setOwn(outputs, o.name, module.buffers[o.buf]!);
  const spec: Specialized = {
    fn: f, env: new Map(env), precision, schedule: sched, plan, source, module, outputs, compileMs: performance.now() - t0, backend,
    ...(native ? { native: { source: native.source, object: native.object.path, cached: native.object.cached, ccMs: native.object.ms } } : {}),
  };
  byKey.set(key, spec);
  return spec;
};

export interface ShapedInput { readonly data: TensorData; readonly shape: readonly number[] }

/** Binds symbolic dims from the actual inputs; every mismatch is a diagnostic naming the input and its declaration. */
export const bindInputs = (f: IrFunction, given: Readonly<Record<string, ShapedInput>>, fixed?: DimEnv): { env: DimEnv; errors: Diagnostic[] } => {
  const env: DimEnv = new Map(fixed ?? []);
  const errors: Diagnostic[] = [];
  for (const n of inputNodes(f)) {
    const name = inputName(n);
    const x = Object.prototype.hasOwnProperty.call(given, name) ? given[name] : undefined;
    if (!x) { errors.push(diag('E0402', n.span, `missing ${n.attrs['role']} '${name}' (declared as ${fmtType(n.type)})`)); continue; }
    const count = x.shape.reduce((a, b) => a * b, 1);
    if (x.data.length !== count) {
      errors.push(diag('E0403', n.span, `'${name}' has ${x.data.length} elements but its shape [${x.shape.join(', ')}] needs ${count}`));
      continue;
    }
    const msg = bindShape(n.type.shape, x.shape, env);
    if (msg) errors.push(diag('E0401', n.span, `'${name}' has the wrong shape: ${msg}`, [note(`'${name}' is declared as ${fmtType(n.type)} here`, n.span)]));
  }
  return { env, errors };
};
