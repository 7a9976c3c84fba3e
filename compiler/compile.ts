// Compiling .dlm source to a Program (its models, ready to instantiate): the library's entry point,
// kept apart from index.ts (which re-exports it with the rest of the API) so the modules the API is
// made of can compile source without importing the index that imports them.
import * as E from 'fp-ts/lib/Either.js';
import { resolve } from 'node:path';
import { Model, type ModelOptions } from './api/model.js';
import type { CheckedProgram } from './check/module.js';
import { DiagnosticError, type Diagnostic, type Result } from './diagnostics/diagnostic.js';
import { renderDiagnostics } from './diagnostics/render.js';
import type { SourceFile } from './diagnostics/span.js';
import { readSourceFile, sourceLookup, type Loader } from './parse/modules.js';
import { limitsOf, type Limits } from './check/limits.js';
import type { LoweringOptions } from './check/options.js';
import { error } from './diagnostics/codes.js';
import { check, pickModel } from './pipeline.js';

/** A checked .dlm file: its models, ready to instantiate. */
export class Program {
  constructor(
    readonly checked: CheckedProgram,
    readonly source: SourceFile,
  ) {}

  get modelNames(): string[] {
    return this.checked.models.map((m) => m.name);
  }

  /** Instantiates a model (the last one in the file when no name is given) with seeded parameters. */
  model(name?: string, opts: ModelOptions = {}): Model {
    const m = pickModel(this.checked, this.source, name);
    if (E.isLeft(m)) throw new DiagnosticError(m.left, renderDiagnostics(m.left, sourceLookup));
    return new Model(m.right, opts);
  }
}

export interface CompileOptions extends LoweringOptions {
  /** Name used in diagnostics and for resolving relative imports (default `<input>.dlm`). */
  readonly path?: string;
  /** Where imports are read from (default: `defaultLoader`, confined to the importing file's directory tree). */
  readonly loader?: Loader;
  /** Budgets (IR nodes, call depth, nesting, source size, memory) to raise or lower; see DEFAULT_LIMITS. */
  readonly limits?: Partial<Limits>;
}

/**
 * Parses and checks .dlm source. Returns `Left(diagnostics)` for any mistake in it, never throws on bad
 * source. Use `render()` to print diagnostics the way the CLI does.
 */
export const compile = (text: string, opts: CompileOptions = {}): Result<Program> => {
  const src: SourceFile = { path: opts.path ?? '<input>.dlm', text };
  return E.map((p: CheckedProgram) => new Program(p, src))(
    check(src, {
      ...(opts.loader ? { loader: opts.loader } : {}),
      ...(opts.limits ? { limits: opts.limits } : {}),
      ...(opts.convLowering ? { convLowering: opts.convLowering } : {}),
    }),
  );
};

/** Reads and compiles a .dlm file: a regular file of at most `limits.maxSourceBytes` (E0601 otherwise, E0103 if absent). */
export const compileFile = (path: string, opts: Omit<CompileOptions, 'path'> = {}): Result<Program> => {
  const full = resolve(path);
  const src = readSourceFile(full, limitsOf(opts.limits).maxSourceBytes, path);
  if ('error' in src) return E.left([error(src.refused ? 'E0601' : 'E0103', null, src.error)]);
  return compile(src.text, { ...opts, path: full });
};

/** Like compile(), but throws a DiagnosticError whose message is the rendered diagnostics. */
export const compileOrThrow = (text: string, opts: CompileOptions = {}): Program => {
  const r = compile(text, opts);
  if (E.isLeft(r)) throw new DiagnosticError(r.left, render(r.left));
  return r.right;
};

/** Renders diagnostics as `file:line:col: error[CODE]: message` with source frames and notes. */
export const render = (ds: readonly Diagnostic[], opts: { color?: boolean } = {}): string => renderDiagnostics(ds, sourceLookup, opts);
