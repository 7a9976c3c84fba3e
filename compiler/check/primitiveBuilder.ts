// Builds primitive nodes at one span for built-ins that lower to several primitives; once one fails
// (its diagnostic is already reported) every later one is undefined, so a lowering needs no checks
// between its steps.
import type { Span } from '../diagnostics/span.js';
import type { OpName } from '../ops/registry.js';
import type { Dim, DType } from '../types/types.js';
import type { ExprElab } from './expr.js';
import { ERROR, type Binding } from './scope.js';

export const primitiveBuilder = (x: ExprElab, span: Span) => {
  let failed = false;
  const op = (name: OpName, ins: readonly (number | undefined)[], attrs: Record<string, unknown> = {}): number | undefined => {
    if (failed || ins.some((i) => i === undefined)) {
      failed = true;
      return undefined;
    }
    const r = x.c.op(name, ins as number[], attrs, span);
    if (r.k !== 'tensor') {
      failed = true;
      return undefined;
    }
    return r.id;
  };
  const num = (v: Dim, dtype: DType = 'f32'): number => x.c.b.at(span, () => x.c.b.num(v, dtype === 'f32' ? 'f32' : 'i32'));
  const done = (id: number | undefined): Binding => (id === undefined ? ERROR : { k: 'tensor', id });
  return { op, num, done, type: (id: number) => x.c.type(id) };
};
