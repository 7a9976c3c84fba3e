// Errors raised at call time by the library API: they carry diagnostics (E04xx) naming the input and
// its declaration, rendered in the message for scripts that just print it.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { renderDiagnostics } from '../diagnostics/render.js';
import { sourceLookup } from '../parse/modules.js';

export class RunError extends Error {
  constructor(
    readonly diagnostics: readonly Diagnostic[],
    message?: string,
  ) {
    super(message ?? renderDiagnostics(diagnostics, sourceLookup));
    this.name = 'RunError';
  }
}
