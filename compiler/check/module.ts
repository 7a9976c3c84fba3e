// Module-level checking: the root scope of built-ins, imports (stdlib and user files, with cycle
// detection), top-level functions, layers and models. Each model is elaborated into its own IR.
import { didYouMean } from '../diagnostics/suggest.js';
import type { Module } from '../ast/ast.js';
import { Collector, type Diagnostic, type Note } from '../diagnostics/diagnostic.js';
import { error, note } from '../diagnostics/codes.js';
import type { SourceFile } from '../diagnostics/span.js';
import { registerSource, type Loader } from '../parse/modules.js';
import { OPS, isOpName } from '../ops/registry.js';
import { parse } from '../parse/parse.js';
import { Elab } from './elab.js';
import { ExprElab } from './expr.js';
import { INITIALIZERS } from './initializers.js';
import { ModelElab, type ModelIR } from './model.js';
import type { Recorder } from './record.js';
import type { LoweringOptions } from './options.js';
import { Scope } from './scope.js';
import { BUILTINS } from './builtins.js';
import { LimitExceeded, isStackOverflow, limitsOf, type Limits } from './limits.js';
import { callDepth } from './budget.js';

export interface CheckedProgram {
  readonly models: readonly ModelIR[];
  readonly sources: ReadonlyMap<string, SourceFile>;
}

const rootScope = (): Scope => {
  const s = new Scope();
  for (const [name, def] of Object.entries(OPS)) if (!def.internal && isOpName(name)) s.define(name, { k: 'primitive', name });
  for (const name of Object.keys(BUILTINS)) s.define(name, { k: 'builtin', name });
  for (const name of INITIALIZERS) s.define(name, { k: 'init', spec: { name, args: {} } });
  for (const d of ['f32', 'i32', 'bool'] as const) s.define(d, { k: 'dtype', dtype: d });
  s.define('all', { k: 'all' });
  for (const w of ['same', 'valid', 'none', 'nearest', 'linear', 'bilinear', 'trilinear']) s.define(w, { k: 'word', name: w });
  s.define('pi', { k: 'static', value: Math.PI });
  s.define('inf', { k: 'static', value: Infinity });
  return s;
};

/** Parsed standard-library files, reused across compilations (ASTs are immutable). */
const stdlibAsts = new Map<string, { text: string; result: ReturnType<typeof parse> }>();
const parseCached = (src: SourceFile, maxNesting: number): ReturnType<typeof parse> => {
  if (!src.path.startsWith('stdlib:')) return parse(src, maxNesting);
  const hit = stdlibAsts.get(src.path);
  if (hit && hit.text === src.text) return hit.result;
  const result = parse(src);
  stdlibAsts.set(src.path, { text: src.text, result });
  return result;
};

export class ModuleChecker {
  readonly diags = new Collector();
  readonly sources = new Map<string, SourceFile>();
  private readonly scopes = new Map<string, Scope>();
  private readonly loading: string[] = [];
  private readonly root = rootScope();
  private readonly prelude: Scope;
  readonly limits: Limits;

  /** Collects types and definitions for editors when set (see record.ts). */
  recorder: Recorder | undefined;

  constructor(
    private readonly loader: Loader,
    limits: Partial<Limits> = {},
    private readonly lowering: LoweringOptions = {},
  ) {
    this.limits = limitsOf(limits);
    const pre = loader.stdlib('prelude');
    this.prelude = pre ? (this.moduleScope(pre, this.root)?.scope ?? this.root) : this.root;
  }

  /** Parses and binds one file's top-level items; returns its scope and AST. */
  moduleScope(src: SourceFile, parent: Scope = this.prelude): { scope: Scope; ast: Module } | undefined {
    this.sources.set(src.path, src);
    registerSource(src);
    const parsed = parseCached(src, this.limits.maxNesting);
    if (parsed._tag === 'Left') {
      parsed.left.forEach((d) => {
        this.diags.push(d);
      });
      return undefined;
    }
    const ast = parsed.right;
    const scope = parent.child();
    this.scopes.set(src.path, scope);
    this.loading.push(src.path);
    try {
      for (const item of ast.items) {
        const name = item.kind === 'Import' ? item.alias : item.name;
        const dup = scope.own(name.name);
        if (dup?.span) this.diags.push(error('E0102', name.span, `'${name.name}' is already defined`, [note('first defined here', dup.span)]));
        switch (item.kind) {
          case 'Import': {
            if (this.loading.length >= this.limits.maxImportDepth) {
              this.diags.push(
                error('E0602', item.span, `imports are nested more than ${this.limits.maxImportDepth} deep`, [
                  note(`the chain starts ${this.loading.slice(0, 3).join(' → ')} → …`),
                  note('raise the limit with --max-import-depth N (library: limits: { maxImportDepth })'),
                ]),
              );
              scope.define(name.name, { k: 'error' }, name.span);
              break;
            }
            const dep = item.isPath ? this.loader.file(item.module, src.path) : this.loader.stdlib(item.module);
            if (dep && 'error' in dep && dep.refused) {
              this.diags.push(
                error('E0601', item.span, `cannot import "${item.module}": ${dep.error}`, [
                  note(
                    "imports are confined to the importing file's directory tree and the search path (--import-path, " +
                      'DLM_PATH); only regular .dlm files up to the size limit are read',
                  ),
                ]),
              );
              scope.define(name.name, { k: 'error' }, name.span);
              break;
            }
            if (!dep || 'error' in dep) {
              this.diags.push(
                error(
                  'E0103',
                  item.span,
                  item.isPath ? `cannot import "${item.module}": ${dep ? dep.error : 'not found'}` : `unknown module '${item.module}'`,
                  item.isPath ? [] : this.unknownModuleNotes(item.module),
                ),
              );
              scope.define(name.name, { k: 'error' }, name.span);
              break;
            }
            if (this.loading.includes(dep.path)) {
              this.diags.push(error('E0107', item.span, `import cycle: ${[...this.loading.slice(this.loading.indexOf(dep.path)), dep.path].join(' → ')}`));
              scope.define(name.name, { k: 'error' }, name.span);
              break;
            }
            const cached = this.scopes.get(dep.path);
            const depScope = cached ?? this.moduleScope(dep)?.scope;
            scope.define(name.name, depScope ? { k: 'module', name: name.name, scope: depScope } : { k: 'error' }, name.span);
            break;
          }
          case 'Fn':
            scope.define(name.name, { k: 'fn', decl: item, scope }, name.span);
            break;
          case 'Layer':
            scope.define(name.name, { k: 'layerDef', decl: item, scope }, name.span);
            break;
          case 'Model':
            break;
        }
      }
    } finally {
      this.loading.pop();
    }
    return { scope, ast };
  }

  /** Notes for `import x` of a module that does not exist: the closest ones, and the list of what does. */
  private unknownModuleNotes(name: string): Note[] {
    const names = (this.loader.stdlibNames?.() ?? []).filter((m) => m !== 'prelude');
    return [...didYouMean(name, names), ...(names.length ? [note(`standard modules: ${names.join(', ')}`)] : [])];
  }

  /** The scope of a checked module (its top-level names), for editors' completion. */
  scopeOf(path: string): Scope | undefined {
    return this.scopes.get(path);
  }

  /** Checks every model of the main file. */
  program(src: SourceFile): { program: CheckedProgram; diagnostics: readonly Diagnostic[] } {
    const mod = this.moduleScope(src);
    const models: ModelIR[] = [];
    if (mod) {
      for (const item of mod.ast.items) {
        if (item.kind !== 'Model') continue;
        const c = new Elab(this.limits, this.lowering);
        c.recorder = this.recorder;
        const m = new ModelElab(c, new ExprElab(c));
        try {
          const ir = m.model(item, mod.scope);
          models.push(ir);
        } catch (e) {
          // A budget ran out: this model is not checked further (its diagnostic says which budget and why).
          if (e instanceof LimitExceeded) c.diags.push(e.diagnostic);
          else if (isStackOverflow(e)) c.diags.push(callDepth(this.limits, item.name.span, [], true));
          else throw e;
        }
        c.diags.items.forEach((d) => {
          this.diags.push(d);
        });
      }
    }
    return { program: { models, sources: this.sources }, diagnostics: this.diags.items };
  }
}
