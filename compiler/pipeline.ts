// The compiler on one screen: its phases in order, and the functions api/, jit/ and cli/ call to run
// them — the only way they reach the compiler (tests/pipeline.test.ts checks that, and that the
// README's "How the compiler works" lists these phases in this order).
//
//   parse → check → pre-grad passes → differentiate → passes → plan fusion → schedule → plan memory → emit → load
//
// parse and check run once per file, pre-grad passes once per model, differentiate and passes once per
// program a model runs (forward, gradient, training step, jvp), the rest once per program, concrete
// dims, precision and backend (`specialize`, cached). Every phase boundary is a Result of diagnostics;
// the library's call-time entry points throw them as a RunError. A backend plugs in at emit and load
// (an Emitter in backends.ts).
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { CompiledModule, Precision } from '../runtime/compiled.js';
import { setOwn, type FloatArray } from '../runtime/tensor.js';
import { RunError } from './api/errors.js';
import { gradientsReading } from './autodiff/grad.js';
import { JvpError, jvpProgram } from './autodiff/jvp.js';
import { EMITTERS, type Emitter } from './backends.js';
import { DEFAULT_LIMITS, type Limits } from './check/limits.js';
import type { ModelIR } from './check/model.js';
import { ModuleChecker, type CheckedProgram } from './check/module.js';
import type { MemoryPlan } from './codegen/plan.js';
import { planMemory } from './codegen/plan.js';
import { inPlaceUpdates } from './codegen/inplace.js';
import { planFusion } from './codegen/fusion.js';
import { CODEGEN_STEPS, schedule, type Schedule } from './codegen/schedule.js';
import { formatStats, programStats } from './codegen/stats.js';
import { error, note } from './diagnostics/codes.js';
import type { Result } from './diagnostics/diagnostic.js';
import type { SourceFile } from './diagnostics/span.js';
import type { LoweringOptions } from './check/options.js';
import { IrBuilder } from './ir/builder.js';
import type { DimEnv } from './ir/bind.js';
import type { IrFunction, Output } from './ir/ir.js';
import { locate } from './jit/bind.js';
import { memoryProblem } from './jit/memory.js';
import { defaultLoader, registerSource, type Loader } from './parse/modules.js';
import { resolveBackend, type Backend, type BackendChoice } from './native/backend.js';
import { PIPELINE, PRE_GRAD } from './passes/index.js';
import { lowerAllCustom } from './passes/lowerCustom.js';
import { runPasses, type PassOptions } from './passes/pass.js';
import { buildTrainStep } from './train/step.js';

/** The phases in order: the pipeline functions that run each (`entries`) and the code that does the work. */
export const PHASES = [
  { name: 'parse', entries: ['check'], code: ['compiler/parse'] },
  { name: 'check', entries: ['check', 'pickModel'], code: ['compiler/check'] },
  { name: 'pre-grad passes', entries: ['preGrad'], code: ['passes/index.ts'] },
  { name: 'differentiate', entries: ['gradientProgram', 'trainStepProgram', 'jvp'], code: ['compiler/autodiff', 'compiler/train'] },
  { name: 'passes', entries: ['optimize'], code: ['passes/index.ts'] },
  { name: 'plan fusion', entries: ['compileFor', 'specialize'], code: ['codegen/fusion.ts'] },
  { name: 'schedule', entries: ['compileFor', 'specialize'], code: ['codegen/schedule.ts'] },
  { name: 'plan memory', entries: ['compileFor', 'specialize'], code: ['codegen/inplace.ts', 'codegen/plan.ts', 'jit/memory.ts'] },
  { name: 'emit', entries: ['compileFor', 'emitSource'], code: ['backends.ts', 'wasm/moduleWasm.ts', 'codegen/module.ts', 'native/moduleC.ts'] },
  { name: 'load', entries: ['compileFor'], code: ['backends.ts', 'runtime/wasm/program.ts', 'runtime/compiled.ts', 'native/jitC.ts'] },
] as const;

// ---- parse → check: a source file with its imports, every model's forward IR ----------------------

/** `convLowering`: how convolutions are lowered (default im2col; see check/options.ts). */
export interface CheckOptions extends LoweringOptions {
  readonly loader?: Loader;
  readonly limits?: Partial<Limits>;
}

export const check = (src: SourceFile, opts: CheckOptions = {}): Result<CheckedProgram> =>
  pipe(
    E.right(src),
    E.tap((s) => E.right(registerSource(s))),
    E.flatMap((s) => {
      const lowering = opts.convLowering ? { convLowering: opts.convLowering } : {};
      const { program, diagnostics } = new ModuleChecker(opts.loader ?? defaultLoader, opts.limits, lowering).program(s);
      return diagnostics.length ? E.left(diagnostics) : E.right(program);
    }),
  );

/** Picks a model by name, or the only/last one in the file. */
export const pickModel = (p: CheckedProgram, src: SourceFile, name?: string): Result<ModelIR> => {
  const span = { file: src.path, start: 0, end: 0 };
  const hint = note("a model looks like 'model Name { input x: f32[B, 4] … }'");
  if (p.models.length === 0) return E.left([error('E0108', span, `${src.path} declares no model`, [hint])]);
  if (name === undefined) return E.right(p.models[p.models.length - 1]!);
  const m = p.models.find((x) => x.name === name);
  return m ? E.right(m) : E.left([error('E0108', span, `no model named '${name}'`, [note(`models in this file: ${p.models.map((x) => x.name).join(', ')}`)])]);
};

// ---- pre-grad passes: on a model's forward program, before anything is differentiated -------------

/** Losses and state updates ride along as extra outputs, so their ids follow whatever a rewrite replaced. */
export const preGrad = (ir: ModelIR, opts: PassOptions = {}): ModelIR => {
  const extra = [...ir.losses.map((l, i) => ({ name: `\0loss${i}`, id: l.id })), ...ir.stateUpdates.map((u, i) => ({ name: `\0state${i}`, id: u.value }))];
  const f = runPasses(PRE_GRAD, { ...ir.fn, outputs: [...ir.fn.outputs, ...extra] }, opts);
  const idOf = new Map(f.outputs.map((o) => [o.name, o.id]));
  return {
    ...ir,
    fn: { ...f, outputs: f.outputs.slice(0, ir.fn.outputs.length) },
    losses: ir.losses.map((l, i) => ({ ...l, id: idOf.get(`\0loss${i}`)! })),
    stateUpdates: ir.stateUpdates.map((u, i) => ({ ...u, value: idOf.get(`\0state${i}`)! })),
  };
};

// ---- differentiate: IR → IR ------------------------------------------------------------------------

/** ∂loss/∂x for each listed x, output under the name given with it. */
export interface Gradients {
  readonly loss: number;
  readonly wrt: readonly Output[];
}

/** Reverse mode: `fn`'s nodes and the gradients asked for; outputs `keep`, then each gradient. */
export const gradientProgram = (fn: IrFunction, name: string, keep: readonly Output[], asked: readonly Gradients[]): IrFunction => {
  const b = new IrBuilder(fn.nodes);
  let kept = keep;
  const grads = asked.flatMap((g) => {
    // the kept outputs are read from a checkpointed loop's segmented loop too (autodiff/grad.ts VjpRequest.reads)
    const ds = gradientsReading(
      b,
      g.loss,
      g.wrt.map((x) => x.id),
      kept.map((o) => o.id),
    );
    kept = kept.map((o, i) => ({ ...o, id: ds.reads[i]! }));
    return g.wrt.map((x, i) => ({ name: x.name, id: ds.grads[i]! }));
  });
  return b.finish(name, [...kept, ...grads]);
};

/** A whole training step (forward, gradient, clipping, optimizer update) as one IR function. */
export const trainStepProgram = buildTrainStep;

/** Forward mode: outputs and their tangents along the inputs named `tangent:<name>`, or E0312. */
export const jvp = (f: IrFunction, wrt: readonly string[]): Result<IrFunction> => {
  try {
    return E.right(jvpProgram(f, wrt));
  } catch (e) {
    if (e instanceof JvpError) return E.left([e.diagnostic]);
    throw e;
  }
};

// ---- passes: IR → IR, each checked against the interpreter (tests/passes.test.ts) -------------------

const optimized = new WeakMap<IrFunction, IrFunction>();
export const optimize = (f: IrFunction, opts: PassOptions = {}): IrFunction => {
  if (opts.disable?.length || opts.onPass) return runPasses(PIPELINE, f, opts);
  let o = optimized.get(f);
  if (!o) {
    o = runPasses(PIPELINE, f, opts);
    optimized.set(f, o);
  }
  return o;
};

// ---- plan fusion → schedule → plan memory → emit → load: per program, dims, precision, backend ------

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
  /** Milliseconds spent in each phase from plan fusion to load that ran, in PHASES order (`dlm compile --timings`). */
  readonly phaseMs: readonly (readonly [PhaseName, number])[];
  /** The code it runs as (js, wasm or native); native modules also keep their C source and object. */
  readonly backend: Backend;
  readonly native?: { readonly source: string; readonly object: string; readonly cached: boolean; readonly ccMs: number };
}

export type PhaseName = (typeof PHASES)[number]['name'];
type Clock = Map<PhaseName, number>;
const timed = <T>(clock: Clock, phase: PhaseName, run: () => T): T => {
  const t0 = performance.now();
  const r = run();
  clock.set(phase, (clock.get(phase) ?? 0) + performance.now() - t0);
  return r;
};

interface Lowered {
  readonly sched: Schedule;
  readonly plan: MemoryPlan;
}

const lower = (f: IrFunction, env: DimEnv, steps: ReadonlySet<string>, target: Emitter, clock: Clock = new Map()): Lowered => {
  const fn = lowerAllCustom(f);
  // plan fusion: every node's placement (buffer, view, constant, inline, row, epilogue), decided once.
  const placements = timed(clock, 'plan fusion', () => planFusion(fn, env, steps));
  // schedule: the kernels those placements make, in loop IR.
  const scheduled = timed(clock, 'schedule', () => schedule(fn, env, '', steps, target.addressing, placements));
  // plan memory: parameter updates written in place, then every buffer placed in one arena.
  return timed(clock, 'plan memory', () => {
    const sched = steps.has('inplace') ? scheduled : inPlaceUpdates(scheduled);
    return { sched, plan: planMemory(sched, !steps.has('reuse')) };
  });
};

/** The code generation steps switched off: the ones asked, the target's, and SIMD in float64. */
const stepsOff = (disable: readonly string[], precision: Precision, target: Emitter): Set<string> =>
  new Set([...disable.filter((d) => d in CODEGEN_STEPS), ...target.off, ...(precision === 'f64' ? ['simd'] : [])]);

const envKey = (env: DimEnv): string =>
  [...env.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
const titleOf = (f: IrFunction, env: DimEnv, precision: Precision) => `dlm: ${f.name} specialized for ${envKey(env) || 'static shapes'} (${precision})`;
const cache = new WeakMap<IrFunction, Map<string, Specialized>>();

/** Lowers once more with the step switched off that a target asks for when the program does not fit it. */
const lowerFitting = (f: IrFunction, env: DimEnv, off: ReadonlySet<string>, target: Emitter, clock: Clock): Lowered => {
  const first = lower(f, env, off, target, clock);
  const again = target.fallback?.(first.sched, first.plan);
  return again ? lower(f, env, new Set([...off, again]), target, clock) : first;
};

/** E0605/E0606 when the planned memory is over a limit, before anything is allocated. */
const withinMemory =
  (bytesPer: number, maxMemory: number) =>
  ({ sched, plan }: Lowered): Result<Lowered> => {
    const over = memoryProblem(sched, plan, bytesPer, maxMemory);
    return over ? E.left([over]) : E.right({ sched, plan });
  };

/** Phases plan fusion to load for `f` at concrete dims, with the code generation steps `off` switched off. */
export const compileFor = (
  f: IrFunction,
  env: DimEnv,
  precision: Precision,
  off: ReadonlySet<string>,
  target: Emitter,
  maxMemory: number,
): Result<Specialized> => {
  const t0 = performance.now(),
    clock: Clock = new Map();
  return pipe(
    E.right(lowerFitting(f, env, off, target, clock)), // plan fusion → schedule → plan memory
    E.flatMap(withinMemory(precision === 'f64' ? 8 : 4, maxMemory)),
    E.bindTo('low'),
    E.let('source', ({ low }) => timed(clock, 'emit', () => target.emit(low.sched, low.plan, { title: titleOf(f, env, precision), locate }, precision))),
    E.bind('loaded', ({ low, source }) => timed(clock, 'load', () => target.load(source, low.sched, low.plan, precision))),
    E.map(({ low: { sched, plan }, source, loaded: { module, object } }): Specialized => {
      const outputs: Record<string, FloatArray> = {};
      for (const o of sched.outputs) setOwn(outputs, o.name, module.buffers[o.buf]!);
      return {
        fn: f,
        env: new Map(env),
        precision,
        schedule: sched,
        plan,
        source,
        module,
        outputs,
        compileMs: performance.now() - t0,
        backend: target.name,
        phaseMs: PHASES.flatMap((p) => (clock.has(p.name) ? [[p.name, clock.get(p.name)!] as const] : [])),
        ...(object ? { native: { source, object: object.path, cached: object.cached, ccMs: object.ms } } : {}),
      };
    }),
  );
};

/** compileFor, cached, for the library's entry points: a Left is thrown as a RunError. */
export const specialize = (
  f: IrFunction,
  env: DimEnv,
  precision: Precision = 'f32',
  disable: readonly string[] = [],
  maxMemory = DEFAULT_LIMITS.maxMemory,
  choice?: BackendChoice | Emitter,
): Specialized => {
  const target = typeof choice === 'object' ? choice : EMITTERS[resolveBackend(choice)];
  const off = stepsOff(disable, precision, target);
  const key = `${target.key ?? target.name}|${precision}|${envKey(env)}|${[...off].sort().join(',')}`;
  let byKey = cache.get(f);
  if (!byKey) {
    byKey = new Map();
    cache.set(f, byKey);
  }
  const hit = byKey.get(key);
  if (hit) return hit;
  const spec = compileFor(f, env, precision, off, target, maxMemory);
  if (E.isLeft(spec)) throw new RunError(spec.left);
  byKey.set(key, spec.right);
  return spec.right;
};

/** The source a backend would load for `f` at these dims, without loading it (`dlm compile --emit c` needs no C compiler). */
export const emitSource = (f: IrFunction, env: DimEnv, backend: Backend, precision: Precision = 'f32', disable: readonly string[] = []): string => {
  const target = EMITTERS[backend];
  const { sched, plan } = lower(f, env, stepsOff(disable, precision, target), target);
  return target.emit(sched, plan, { title: titleOf(f, env, precision), locate }, precision);
};

// ---- what the callers need beside the phases ---------------------------------------------------------

/** `dlm compile --stats`: kernels, loops, FLOPs, the arena and peak memory of a specialized program. */
export const statsOf = (s: Specialized): string => formatStats(programStats(s.fn, s.env, s.schedule, s.plan, s.source));

/** Every name `--no-pass` (library: `passes: { disable }`) accepts: the IR passes and the code generation steps. */
export const SWITCHABLE: readonly string[] = [...new Set([...PRE_GRAD, ...PIPELINE].map((p) => p.name)), ...Object.keys(CODEGEN_STEPS)];

export { bindInputs, locate, type ShapedInput } from './jit/bind.js';
export { parameterMemory } from './jit/memory.js';
export { simdHomes } from './codegen/module.js';
export { JS_SIMD } from './backends.js';
export { BACKENDS, isBackend, setBackendNotes, setNativeThreads, type Backend, type BackendChoice } from './native/backend.js';
export { setWasmThreads, wasmThreadsReady, disposeWasmThreads } from './wasm/backend.js';
export type { PassOptions } from './passes/pass.js';
