// The checker's budgets: every IR node elaboration creates passes through one hook that counts it
// against `maxNodes` and checks its size against 2³¹ − 1 elements; inlined calls are counted per
// function (how many copies) so that running out of budget names the functions that multiply.
import type { Diagnostic, Note } from '../diagnostics/diagnostic.js';
import { error, note } from '../diagnostics/codes.js';
import type { Span } from '../diagnostics/span.js';
import { IrBuilder } from '../ir/builder.js';
import { INPUT } from '../ir/ir.js';
import type { Attrs, Value } from '../ops/op.js';
import { isShapeError, type ShapeError } from '../types/shapes.js';
import { fmtType, type Dim, type TensorType } from '../types/types.js';
import { MAX_ELEMENTS, fmtBytes, fmtCount, type Limits } from './limits.js';

/** An IrBuilder that reports each node it creates (the builder the checker elaborates with). */
export class CountingBuilder extends IrBuilder {
  constructor(private readonly onNode: (id: Value) => void) {
    super();
  }
  override tryOp(name: string, inputs: readonly Value[], attrs: Attrs = {}, label?: string): Value | ShapeError {
    const r = super.tryOp(name, inputs, attrs, label);
    if (!isShapeError(r)) this.onNode(r);
    return r;
  }
  override num(value: number | Dim, dtype: 'f32' | 'i32' = 'f32'): Value {
    const r = super.num(value, dtype);
    this.onNode(r);
    return r;
  }
  override structural(op: string, inputs: readonly Value[], attrs: Attrs, type: TensorType): Value {
    const r = super.structural(op, inputs, attrs, type);
    this.onNode(r);
    return r;
  }
  override input(name: string, role: Parameters<IrBuilder['input']>[1], type: TensorType, span: Span): Value {
    const r = super.input(name, role, type, span);
    this.onNode(r);
    return r;
  }
}

/** Elements of a type with numeric dims (undefined when a dim is symbolic), and its largest numeric dim. */
export const sizeOf = (t: TensorType): { elements: number | undefined; maxDim: number } => {
  let elements: number | undefined = 1,
    maxDim = 0;
  for (const d of t.shape) {
    if (typeof d === 'number') {
      maxDim = Math.max(maxDim, d);
      if (elements !== undefined) elements *= d;
    } else elements = undefined;
  }
  return { elements, maxDim };
};

/** E0605 for a node whose type is too large, or undefined. Bytes at 4 per element (dlm stores f32, i32 and bool in 32 bits). */
export const tooLarge = (t: TensorType, what: string, span: Span): Diagnostic | undefined => {
  const { elements, maxDim } = sizeOf(t);
  const hasZero = t.shape.some((d) => d === 0);
  if (maxDim <= MAX_ELEMENTS && (elements === undefined || elements <= MAX_ELEMENTS || hasZero)) return undefined;
  const count = elements === undefined || hasZero ? '' : `: ${fmtCount(elements)} elements, ${fmtBytes(elements * 4)}`;
  return error(
    'E0605',
    span,
    `${what} is ${fmtType(t)}${count}; a tensor can have at most ${fmtCount(MAX_ELEMENTS)} (2³¹ ` +
      `− 1) elements${maxDim > MAX_ELEMENTS ? ' and no dimension larger than that' : ''}`,
  );
};

/** What a node is, for a diagnostic: a parameter or input by name, or a value of its type. */
export const describeNode = (op: string, attrs: Attrs, label: string | undefined): string =>
  op === INPUT ? `${String(attrs['role'])} '${String(attrs['name'])}'` : label ? `'${label}'` : 'this value';

export interface CallFrame {
  readonly name: string;
  readonly span: Span;
  readonly key: object;
}

/** The notes naming the call chain, innermost first: at most `max` frames, plus how many were left out. */
export const chainNotes = (stack: readonly CallFrame[], max = 6): Note[] => {
  const frames = [...stack].reverse();
  const shown = frames.slice(0, max).map((f) => note(`in the call of ${f.name} here`, f.span));
  return frames.length > max ? [...shown, note(`… and ${frames.length - max} calls further out`)] : shown;
};

/** E0603: the node budget ran out. Names the functions inlined most often, where they are defined, and the call chain. */
export const nodeBudget = (
  limits: Limits,
  at: Span,
  stack: readonly CallFrame[],
  copies: ReadonlyMap<object, { name: string; span: Span; count: number }>,
): Diagnostic => {
  const top = [...copies.values()].sort((a, b) => b.count - a.count).slice(0, 3);
  return error(
    'E0603',
    at,
    `this program elaborates to more than ${fmtCount(limits.maxNodes)} IR nodes (functions are inlined at every call, so calls inside calls multiply)`,
    [
      ...top.map((c) => note(`'${c.name}' was inlined ${fmtCount(c.count)} time${c.count === 1 ? '' : 's'} so far; it is defined here`, c.span)),
      ...chainNotes(stack, 4),
      note(`raise the limit with --max-nodes N (library: limits: { maxNodes })`),
    ],
  );
};

/** E0604: calls nested deeper than the limit (or than the stack allows). */
export const callDepth = (limits: Limits, at: Span, stack: readonly CallFrame[], overflow = false): Diagnostic =>
  error(
    'E0604',
    at,
    overflow
      ? `calls are nested too deeply to check (${stack.length} calls deep when the stack ran out)`
      : `calls are nested more than ${limits.maxCallDepth} deep`,
    [...chainNotes(stack, 4), note('raise the limit with --max-call-depth N (library: limits: { maxCallDepth })')],
  );
