// Diagnostics are values: a stable code, a message, a primary span and notes. Compiler bugs are thrown
// as InternalError instead and never shown as diagnostics.
import * as E from 'fp-ts/lib/Either.js';
import type { Span } from './span.js';

export interface Note {
  readonly message: string;
  readonly span?: Span;
}

export interface Diagnostic {
  readonly code: string;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly span: Span | null;
  readonly notes: readonly Note[];
}

export type Result<T> = E.Either<readonly Diagnostic[], T>;

export const note = (message: string, span?: Span): Note => (span ? { message, span } : { message });

export const diag = (code: string, span: Span | null, message: string, notes: readonly Note[] = []): Diagnostic => ({
  code,
  severity: 'error',
  message,
  span,
  notes,
});

/** Collects diagnostics in a phase, deduplicated by (code, span). */
export class Collector {
  private readonly seen = new Set<string>();
  readonly items: Diagnostic[] = [];

  push(d: Diagnostic): void {
    const key = `${d.code}@${d.span?.file}:${d.span?.start}:${d.span?.end}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.items.push(d);
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }

  toResult<T>(value: T): Result<T> {
    return this.hasErrors ? E.left(this.items) : E.right(value);
  }
}

/** A bug in dlm itself (failed IR verification, unhandled case). Carries an IR excerpt when it has one. */
export class InternalError extends Error {
  constructor(
    message: string,
    readonly excerpt?: string,
  ) {
    super(excerpt ? `${message}\n${excerpt}` : message);
    this.name = 'InternalError';
  }
}

/** Thrown by the convenience APIs that prefer exceptions; carries the diagnostics. */
export class DiagnosticError extends Error {
  constructor(
    readonly diagnostics: readonly Diagnostic[],
    rendered: string,
  ) {
    super(rendered);
    this.name = 'DiagnosticError';
  }
}
