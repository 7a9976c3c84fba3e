// What the checker can tell an editor: the type of every tensor expression it elaborates and, for
// each name it resolves, where that name is defined. Off unless a recorder is given (the language
// server passes one), so ordinary compiles pay nothing. A function body is elaborated once per call
// (functions are generic), so one span can have several types: one per instantiation.
import type { Span } from '../diagnostics/span.js';
import type { TensorType } from '../types/types.js';

export interface ExprFact {
  readonly span: Span;
  readonly type?: TensorType;
  readonly what: string;
}
export interface RefFact {
  readonly use: Span;
  readonly def: Span;
  readonly name: string;
}

export class Recorder {
  readonly exprs: ExprFact[] = [];
  readonly refs: RefFact[] = [];
  private readonly seen = new Set<string>();

  expr(span: Span, what: string, type?: TensorType): void {
    const key = `${span.file}:${span.start}:${span.end}:${what}:${type ? JSON.stringify(type) : ''}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.exprs.push(type ? { span, type, what } : { span, what });
  }

  ref(use: Span, def: Span, name: string): void {
    const key = `ref:${use.file}:${use.start}:${use.end}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.refs.push({ use, def, name });
  }
}
