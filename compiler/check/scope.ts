// What a name can denote while checking, and lexical scopes. Tensors are IR values; everything else
// (numbers, dims, functions, layers, modules, initializers) is compile-time only.
import type { FnDecl, LayerDecl } from '../ast/ast.js';
import type { Span } from '../diagnostics/span.js';
import type { OpName } from '../ops/registry.js';
import type { Dim, DType } from '../types/types.js';

export interface InitSpec {
  readonly name: string;
  readonly args: Readonly<Record<string, number>>;
}

export type Binding =
  | { readonly k: 'tensor'; readonly id: number }
  | { readonly k: 'static'; readonly value: Dim }
  | { readonly k: 'list'; readonly items: readonly Binding[] }
  | { readonly k: 'fn'; readonly decl: FnDecl; readonly scope: Scope }
  /** A composite built-in of check/builtins.ts (scan, conv2d, take, …). */
  | { readonly k: 'builtin'; readonly name: string }
  /** A primitive called by name, with the registry's signature (check/call.ts). */
  | { readonly k: 'primitive'; readonly name: OpName }
  | { readonly k: 'layerDef'; readonly decl: LayerDecl; readonly scope: Scope }
  | { readonly k: 'layer'; readonly path: string; readonly scope: Scope; readonly decl: LayerDecl }
  | { readonly k: 'module'; readonly name: string; readonly scope: Scope }
  | { readonly k: 'init'; readonly spec: InitSpec }
  | { readonly k: 'dtype'; readonly dtype: DType }
  | { readonly k: 'grad'; readonly of: Binding; readonly wrt: number; readonly withValue: boolean }
  | { readonly k: 'all' }
  /** A keyword argument value such as `padding = same`. */
  | { readonly k: 'word'; readonly name: string }
  /** A string literal: einsum's spec. */
  | { readonly k: 'string'; readonly value: string }
  | { readonly k: 'error' };

export const ERROR: Binding = { k: 'error' };

export const describe = (b: Binding): string => {
  switch (b.k) {
    case 'tensor':
      return 'a tensor';
    case 'static':
      return 'a number';
    case 'list':
      return 'a list';
    case 'fn':
      return `function '${b.decl.name.name}'`;
    case 'builtin':
    case 'primitive':
      return `built-in '${b.name}'`;
    case 'layerDef':
      return `layer definition '${b.decl.name.name}'`;
    case 'layer':
      return `layer '${b.path}'`;
    case 'module':
      return `module '${b.name}'`;
    case 'init':
      return `initializer '${b.spec.name}'`;
    case 'dtype':
      return `element type ${b.dtype}`;
    case 'grad':
      return 'a gradient function';
    case 'all':
      return "'all'";
    case 'word':
      return `'${b.name}'`;
    case 'string':
      return 'a string';
    case 'error':
      return 'an erroneous value';
  }
};

export interface Entry {
  readonly binding: Binding;
  readonly span?: Span;
}

export class Scope {
  private readonly table = new Map<string, Entry>();
  constructor(readonly parent?: Scope) {}

  lookup(name: string): Entry | undefined {
    return this.table.get(name) ?? this.parent?.lookup(name);
  }

  own(name: string): Entry | undefined {
    return this.table.get(name);
  }

  define(name: string, binding: Binding, span?: Span): void {
    this.table.set(name, span ? { binding, span } : { binding });
  }

  child(): Scope {
    return new Scope(this);
  }

  /** Every name visible here (own first, then enclosing scopes'), for "did you mean" suggestions. */
  names(): string[] {
    return [...this.table.keys(), ...(this.parent?.names() ?? [])];
  }

  ownNames(): string[] {
    return [...this.table.keys()];
  }
}
