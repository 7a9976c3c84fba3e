// The memory a compiled step would allocate, checked before anything is allocated: each buffer against
// 2³¹ − 1 elements (E0605) and the whole plan — arena plus the persistent inputs (parameters, state) —
// against the memory limit (E0606). The diagnostic points at the .dlm line of the largest buffer.
import type { MemoryPlan } from '../codegen/plan.js';
import type { Schedule } from '../codegen/scheduleTypes.js';
import { error, note } from '../diagnostics/codes.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { Span } from '../diagnostics/span.js';
import { MAX_ELEMENTS, fmtBytes, fmtCount } from '../check/limits.js';
import { fmtType, type TensorType } from '../types/types.js';
import type { ParamInfo } from '../check/elab.js';

/** Kernel and buffer notes end in `@file:offset` (the .dlm position of the node that made them). */
const spanOfNote = (n: string): Span | null => {
  const m = /@(.+):(\d+)$/.exec(n);
  return m ? { file: m[1]!, start: Number(m[2]), end: Number(m[2]) + 1 } : null;
};

const elements = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export const memoryProblem = (s: Schedule, plan: MemoryPlan, bytesPer: number, maxMemory: number): Diagnostic | undefined => {
  // a loop body's arena is sized by the plan (scheduleTypes TempBuffer.body)
  const sized = s.temps.map((t) => (t.body === undefined ? t : { ...t, size: plan.placements.find((p) => p.name === t.name)?.size ?? 0 }));
  const largest = sized.reduce<Schedule['temps'][number] | undefined>((m, t) => (!m || t.size > m.size ? t : m), undefined);
  for (const inp of s.inputs) {
    const n = elements(inp.shape);
    if (n > MAX_ELEMENTS || inp.shape.some((d) => d > MAX_ELEMENTS)) {
      const t: TensorType = { dtype: inp.node.type.dtype, shape: inp.shape };
      return error(
        'E0605',
        inp.node.span,
        `${inp.role} '${inp.name}' would be ${fmtType(t)}: ${fmtCount(n)} elements; a tensor can have at most ${fmtCount(MAX_ELEMENTS)} (2³¹ − 1)`,
      );
    }
  }
  if (largest && largest.size > MAX_ELEMENTS) {
    return error(
      'E0605',
      spanOfNote(largest.note),
      `a value here would have ${fmtCount(largest.size)} elements; a tensor can have at most ${fmtCount(MAX_ELEMENTS)} (2³¹ − 1)`,
    );
  }
  const persistent = s.inputs.filter((i) => i.role === 'param' || i.role === 'state').reduce((a, i) => a + elements(i.shape), 0);
  const bytes = (plan.arenaSize + persistent) * bytesPer;
  if (bytes <= maxMemory) return undefined;
  const at = largest ? spanOfNote(largest.note) : null;
  return error(
    'E0606',
    at,
    `this step would need ${fmtBytes(bytes)} (${fmtBytes(plan.arenaSize * bytesPer)} of buffers, ` +
      `${fmtBytes(persistent * bytesPer)} of parameters and state), more than the memory limit of ` +
      `${fmtBytes(maxMemory)}`,
    [
      ...(largest ? [note(`the largest buffer, ${fmtBytes(largest.size * bytesPer)}, holds the value computed here`, at ?? undefined)] : []),
      note('use smaller dims or batches, or raise the limit with --max-memory SIZE (library: maxMemory)'),
    ],
  );
};

/** E0606 when a model's parameters and state alone exceed the memory limit (checked before they are allocated). */
export const parameterMemory = (
  ir: { readonly params: readonly ParamInfo[]; readonly states: readonly ParamInfo[] },
  maxMemory: number,
): Diagnostic | undefined => {
  const all = [...ir.params, ...ir.states];
  const bytes = all.reduce((a, p) => a + elements(p.type.shape as number[]) * 4, 0);
  if (bytes <= maxMemory) return undefined;
  const largest = all.reduce((m, p) => (elements(p.type.shape as number[]) > elements(m.type.shape as number[]) ? p : m));
  return error('E0606', largest.span, `the parameters and state of this model need ${fmtBytes(bytes)}, more than the memory limit of ${fmtBytes(maxMemory)}`, [
    note(`the largest is '${largest.name}', ${fmtType(largest.type)}: ${fmtBytes(elements(largest.type.shape as number[]) * 4)}`, largest.span),
    note('raise the limit with --max-memory SIZE (library: maxMemory)'),
  ]);
};
