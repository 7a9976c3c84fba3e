// The native backend's load phase (its Emitter in compiler/backends.ts): the C source emitted from the
// schedule and memory plan (moduleC.ts), compiled (or found in the on-disk cache) and loaded as a
// CompiledModule; E0900 when no C compiler or koffi works here.
import * as E from 'fp-ts/lib/Either.js';
import type { CompiledModule, Precision } from '../../runtime/compiled.js';
import { compileC, instantiateNative, type NativeObject } from '../../runtime/native/load.js';
import { error, note } from '../diagnostics/codes.js';
import type { Result } from '../diagnostics/diagnostic.js';
import type { MemoryPlan } from '../codegen/plan.js';
import type { Schedule } from '../codegen/scheduleTypes.js';
import { nativeUnavailable, requireNative } from './backend.js';
import { C_ENTRY, cBufferViews } from './moduleC.js';

export interface NativeModule {
  readonly source: string;
  readonly module: CompiledModule;
  readonly object: NativeObject;
}

export const loadC = (source: string, s: Schedule, plan: MemoryPlan, precision: Precision): Result<NativeModule> => {
  const why = nativeUnavailable();
  if (why !== undefined) {
    const hint = note('use --backend wasm (the default) or auto, which falls back to it');
    return E.left([error('E0900', null, `the native backend cannot run here: ${why}`, [hint])]);
  }
  const tc = requireNative();
  const object = compileC(tc, source);
  const module = instantiateNative(tc, object, C_ENTRY, precision, {
    arenaSize: plan.arenaSize,
    inputs: s.inputs.length,
    updated: s.updates.map((u) => u.input),
    buffers: cBufferViews(s, plan),
  });
  return E.right({ source, module, object });
};
