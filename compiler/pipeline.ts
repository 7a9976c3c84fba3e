// The compiler on one screen: parse → check (elaborate to typed IR) → per model: differentiate (train
// step / gradient program) → optimize (passes/index.ts) → schedule, fuse, plan memory → emit JS → JIT.
// Each phase boundary is an Either of diagnostics; the later phases run lazily per model and shape.
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { ModuleChecker, type CheckedProgram } from './check/module.js';
import type { ModelIR } from './check/model.js';
import { error, note } from './diagnostics/codes.js';
import type { Result } from './diagnostics/diagnostic.js';
import type { SourceFile } from './diagnostics/span.js';
import { defaultLoader, registerSource, type Loader } from './parse/modules.js';
import type { Limits } from './check/limits.js';
import type { LoweringOptions } from './check/options.js';

/** `convLowering`: how convolutions are lowered (default im2col; see check/options.ts). */
export interface CheckOptions extends LoweringOptions {
  readonly loader?: Loader;
  readonly limits?: Partial<Limits>;
}

/** Parses and checks a source file with its imports: every model's forward IR, or all diagnostics. */
export const check = (src: SourceFile, opts: CheckOptions = {}): Result<CheckedProgram> =>
  pipe(
    E.right(src),
    E.tap((s) => E.right(registerSource(s))),
    E.flatMap((s) => {
      const { program, diagnostics } = new ModuleChecker(opts.loader ?? defaultLoader, opts.limits, opts.convLowering ? { convLowering: opts.convLowering } : {}).program(s);
      return diagnostics.length ? E.left(diagnostics) : E.right(program);
    }),
  );

/** Picks a model by name, or the only/last one in the file. */
export const pickModel = (p: CheckedProgram, src: SourceFile, name?: string): Result<ModelIR> => {
  const span = { file: src.path, start: 0, end: 0 };
  if (p.models.length === 0) return E.left([error('E0108', span, `${src.path} declares no model`, [note("a model looks like 'model Name { input x: f32[B, 4] … }'")])]);
  if (name === undefined) return E.right(p.models[p.models.length - 1]!);
  const m = p.models.find((x) => x.name === name);
  return m ? E.right(m) : E.left([error('E0108', span, `no model named '${name}'`, [note(`models in this file: ${p.models.map((x) => x.name).join(', ')}`)])]);
};
