// One check of a document for the editor: its diagnostics, the inferred type of every tensor
// expression (each instantiation of a generic function body), where each name is defined, the
// document's symbols, and what can be completed where. Open documents are read from the editor's
// buffers, everything else through the default loader (so imports follow the same rules as the CLI).
import type { FnDecl, Item, ModelMember, LayerMember, Module } from '../ast/ast.js';
import { ModuleChecker } from '../check/module.js';
import { Recorder, type ExprFact, type RefFact } from '../check/record.js';
import type { Scope } from '../check/scope.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { SourceFile, Span } from '../diagnostics/span.js';
import { defaultLoader, type Loader } from '../parse/modules.js';
import { parse } from '../parse/parse.js';

export interface DocSymbol {
  readonly name: string;
  readonly kind: 'function' | 'layer' | 'model' | 'module' | 'input' | 'target' | 'param' | 'state' | 'let' | 'output' | 'loss';
  readonly span: Span;
  readonly nameSpan: Span;
  readonly children: readonly DocSymbol[];
}

export interface Analysis {
  readonly diagnostics: readonly Diagnostic[];
  readonly exprs: readonly ExprFact[];
  readonly refs: readonly RefFact[];
  readonly symbols: readonly DocSymbol[];
  readonly ast?: Module;
  /** Top-level names visible in the document (its own, imports, prelude and built-ins). */
  readonly names: readonly string[];
  /** Members of each imported module, by alias. */
  readonly members: ReadonlyMap<string, readonly string[]>;
  /** Parameter names of each function and layer definition visible at top level, by name. */
  readonly params: ReadonlyMap<string, readonly string[]>;
}

/** A loader that reads open documents from the editor instead of the disk. */
export const overlayLoader = (open: ReadonlyMap<string, string>, base: Loader = defaultLoader): Loader => ({
  stdlib: (name) => base.stdlib(name),
  ...(base.stdlibNames ? { stdlibNames: () => base.stdlibNames!() } : {}),
  file: (path, from) => {
    const r = base.file(path, from);
    if ('error' in r) return r;
    const text = open.get(r.path);
    return text === undefined ? r : { path: r.path, text };
  },
});

const memberSymbols = (members: readonly (ModelMember | LayerMember)[]): DocSymbol[] =>
  members.flatMap((m): DocSymbol[] => {
    switch (m.kind) {
      case 'Input':
        return [{ name: m.name.name, kind: m.role, span: m.span, nameSpan: m.name.span, children: [] }];
      case 'Param':
        return [{ name: m.name.name, kind: 'param', span: m.span, nameSpan: m.name.span, children: [] }];
      case 'State':
        return [{ name: m.name.name, kind: 'state', span: m.span, nameSpan: m.name.span, children: [] }];
      case 'SubLayer':
        return [{ name: m.name.name, kind: 'layer', span: m.span, nameSpan: m.name.span, children: [] }];
      case 'Let':
        return [{ name: m.name.name, kind: 'let', span: m.span, nameSpan: m.name.span, children: [] }];
      case 'Output':
        return [{ name: m.name.name, kind: 'output', span: m.span, nameSpan: m.name.span, children: [] }];
      case 'Loss':
        return [{ name: m.name?.name ?? 'loss', kind: 'loss', span: m.span, nameSpan: m.name?.span ?? m.span, children: [] }];
      case 'Fn':
        return [fnSymbol(m)];
      default:
        return [];
    }
  });

const fnSymbol = (f: FnDecl): DocSymbol => ({ name: f.name.name, kind: 'function', span: f.span, nameSpan: f.name.span, children: [] });

const itemSymbol = (it: Item): DocSymbol => {
  switch (it.kind) {
    case 'Import':
      return { name: it.alias.name, kind: 'module', span: it.span, nameSpan: it.alias.span, children: [] };
    case 'Fn':
      return fnSymbol(it);
    case 'Layer':
      return { name: it.name.name, kind: 'layer', span: it.span, nameSpan: it.name.span, children: memberSymbols(it.members) };
    case 'Model':
      return { name: it.name.name, kind: 'model', span: it.span, nameSpan: it.name.span, children: memberSymbols(it.members) };
  }
};

const paramsOf = (scope: Scope | undefined): Map<string, readonly string[]> => {
  const out = new Map<string, readonly string[]>();
  for (const name of scope?.names() ?? []) {
    const b = scope!.lookup(name)?.binding;
    if (b?.k === 'fn')
      out.set(
        name,
        b.decl.params.map((p) => p.name.name),
      );
    else if (b?.k === 'layerDef')
      out.set(
        name,
        b.decl.params.map((p) => p.name.name),
      );
  }
  return out;
};

export const analyze = (src: SourceFile, loader: Loader = defaultLoader): Analysis => {
  const checker = new ModuleChecker(loader);
  const recorder = new Recorder();
  checker.recorder = recorder;
  const { diagnostics } = checker.program(src);
  const parsed = parse(src);
  const ast = parsed._tag === 'Right' ? parsed.right : undefined;
  const scope = checker.scopeOf(src.path);
  const members = new Map<string, readonly string[]>();
  for (const it of ast?.items ?? []) {
    if (it.kind !== 'Import') continue;
    const b = scope?.own(it.alias.name)?.binding;
    if (b?.k === 'module') members.set(it.alias.name, b.scope.ownNames());
  }
  return {
    diagnostics,
    exprs: recorder.exprs,
    refs: recorder.refs,
    symbols: (ast?.items ?? []).map(itemSymbol),
    ...(ast ? { ast } : {}),
    names: [...new Set(scope?.names() ?? [])],
    members,
    params: paramsOf(scope),
  };
};

/** The innermost recorded expression of `file` containing `offset`, with every type it had. */
export const exprAt = (a: Analysis, file: string, offset: number): { span: Span; facts: ExprFact[] } | undefined => {
  const here = a.exprs.filter((e) => e.span.file === file && e.span.start <= offset && offset < Math.max(e.span.end, e.span.start + 1));
  if (!here.length) return undefined;
  const best = here.reduce((x, y) => (y.span.end - y.span.start < x.span.end - x.span.start ? y : x));
  return { span: best.span, facts: here.filter((e) => e.span.start === best.span.start && e.span.end === best.span.end) };
};

export const refAt = (a: Analysis, file: string, offset: number): RefFact | undefined =>
  a.refs.find((r) => r.use.file === file && r.use.start <= offset && offset <= r.use.end);
