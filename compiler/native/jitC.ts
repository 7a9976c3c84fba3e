// The native backend's step of the JIT (jit/jit.ts): C source from the schedule and memory plan,
// compiled (or found in the on-disk cache) and loaded as a CompiledModule.
import type { CompiledModule, Precision } from '../../runtime/compiled.js';
import { compileC, instantiateNative, type NativeObject } from '../../runtime/native/load.js';
import { RunError } from '../api/errors.js';
import { error, note } from '../diagnostics/codes.js';
import type { ModuleInfo } from '../codegen/module.js';
import type { MemoryPlan } from '../codegen/plan.js';
import type { Schedule } from '../codegen/scheduleTypes.js';
import { nativeUnavailable, requireNative } from './backend.js';
import { C_ENTRY, cBufferViews, emitCModule } from './moduleC.js';

export interface NativeModule { readonly source: string; readonly module: CompiledModule; readonly object: NativeObject }

export const instantiateC = (s: Schedule, plan: MemoryPlan, info: ModuleInfo, precision: Precision): NativeModule => {
  const why = nativeUnavailable();
  if (why !== undefined) {
    const hint = note('use --backend wasm (the default) or auto, which falls back to it');
    throw new RunError([error('E0900', null, `the native backend cannot run here: ${why}`, [hint])]);
  }
  const tc = requireNative();
  const source = emitCModule(s, plan, info, precision);
  const object = compileC(tc, source);
  const module = instantiateNative(tc, object, C_ENTRY, precision, {
    arenaSize: plan.arenaSize, inputs: s.inputs.length, updated: s.updates.map((u) => u.input), buffers: cBufferViews(s, plan),
  });
  return { source, module, object };
};
