// Assembles a specialized module's C source from the same schedule and memory plan the JavaScript
// module is printed from (codegen/module.ts): the prelude, one static function per kernel (loop bodies'
// kernels first), and one exported entry
//
//   int dlm_run(int threads, elem *arena, elem *in0, …, elem *inN)
//
// on `threads` threads for the large matrix products (runtime/native/kernelsC.ts), over the arena and
// the callers' input arrays (parameters, state and optimizer slots are updated in
// their own arrays). It returns 0, having updated nothing, when a guarded output (the loss) is not
// finite, and 1 otherwise. Buffers are file-scope pointers set on entry, so a loop body's kernels can be
// called with buffers of the enclosing schedule, as in the JavaScript module.
import { InternalError } from '../diagnostics/diagnostic.js';
import { ident, safeComment } from '../codegen/emitJs.js';
import type { MemoryPlan } from '../codegen/plan.js';
import { lastWriter, type Schedule } from '../codegen/scheduleTypes.js';
import type { ModuleInfo } from '../codegen/module.js';
import { cPrelude } from '../../runtime/native/preludeC.js';
import { mathCDefs } from '../ops/math.js';
import { CPrinter, type CReal } from './emitC.js';
import { parallelLoop, type ParallelLoop } from '../loops/parallel.js';
import type { Stmt } from '../loops/loops.js';

/** The symbol the runtime loads (runtime/native/load.ts). */
export const C_ENTRY = 'dlm_run';

interface Placed {
  readonly name: string;
  readonly at: number;
  readonly size: number;
}

const callsKernel = (ss: readonly Stmt[]): boolean => ss.some((x) => x.k === 'call' || ((x.k === 'for' || x.k === 'if') && callsKernel(x.body)));

const emitKernels = (s: Schedule, plan: MemoryPlan, base: number, info: ModuleInfo, real: CReal, lines: string[], placed: Placed[], top = true): void => {
  for (const [i, sub] of s.subs.entries()) {
    const at = plan.placements.find((p) => p.name === sub.arena);
    if (!at) throw new InternalError(`codegen: no placement for loop body arena ${sub.arena}`);
    lines.push(`/* ---- loop body ${safeComment(sub.prefix.slice(0, -1))}: its buffers live in ${ident(sub.arena)} */`);
    emitKernels(sub.schedule, plan.subs[i]!, base + at.offset, info, real, lines, placed, false);
  }
  for (const k of s.kernels) {
    // Distinct buffers of one top-level kernel never overlap (the plan gives co-live buffers disjoint
    // places; an in-place update is one name), so they are `restrict` and gcc vectorizes without
    // alias checks. A loop body's kernels, and a kernel calling them, get their buffers through a
    // scan's bindings, so they keep plain pointers.
    const restrict = top && !callsKernel(k.body) ? 'restrict ' : '';
    const params = [...k.writes, ...k.reads].map((b) => `elem *${restrict}${ident(b)}`);
    const p = new CPrinter(real);
    p.infer(k.body);
    lines.push(`/* ${ident(k.name)}: ${safeComment(info.locate ? info.locate(k.note) : k.note)} */`);
    const par = restrict && real === 'f32' ? parallelLoop(k.body) : undefined;
    if (par) lines.push(...parallelKernel(k.name, [...k.writes, ...k.reads], par, p));
    else {
      lines.push(`static void ${ident(k.name)}(${params.join(', ') || 'void'}) {`);
      lines.push(
        ...p.stmts(
          k.body.filter((x, i) => !(i === 0 && x.k === 'comment' && x.text === k.note)),
          '  ',
        ),
      );
      lines.push('}');
    }
    lines.push('');
  }
  for (const pl of plan.placements) {
    if (!Number.isInteger(pl.offset) || !Number.isInteger(pl.size) || pl.offset < 0) throw new InternalError('codegen: bad placement');
    placed.push({ name: pl.name, at: base + pl.offset, size: pl.size });
  }
};

/**
 * A kernel whose loop's iterations are independent (loops/parallel.ts) as units of the kernels' pool: unit u
 * runs iterations [n·u/units, n·(u+1)/units) with the kernel's buffers from a context struct; up to 4 units
 * a thread, one unit (the loop as it was) on one thread.
 */
const parallelKernel = (name: string, buffers: readonly string[], par: ParallelLoop, p: CPrinter): string[] => {
  const k = ident(name),
    bufs = buffers.map(ident);
  const loop: Stmt = { ...par.loop, from: { k: 'var', name: 'dlm_lo' }, to: { k: 'var', name: 'dlm_hi' } };
  return [
    `struct ${k}_ctx { ${bufs.map((b) => `elem *${b};`).join(' ')} };`,
    `static void ${k}_unit(void *dlm_ctx, long dlm_u) {`,
    `  const struct ${k}_ctx *dlm_c = dlm_ctx;`,
    ...bufs.map((b) => `  elem *restrict ${b} = dlm_c->${b};`),
    `  const long dlm_units = dlm_c_units(${par.n}), dlm_lo = ${par.n}L * dlm_u / dlm_units, dlm_hi = ${par.n}L * (dlm_u + 1) / dlm_units;`,
    ...p.stmts([loop], '  '),
    '}',
    `static void ${k}(${bufs.map((b) => `elem *restrict ${b}`).join(', ')}) {`,
    `  struct ${k}_ctx dlm_c = { ${bufs.join(', ')} };`,
    `  dlm_parallel(dlm_threads, ${k}_unit, &dlm_c, dlm_c_units(${par.n}));`,
    '}',
  ];
};

export const emitCModule = (s: Schedule, plan: MemoryPlan, info: ModuleInfo, real: CReal): string => {
  const body: string[] = [];
  const placed: Placed[] = [];
  emitKernels(s, plan, 0, info, real, body, placed);
  const lines = [`/* ${safeComment(info.title)} */`, `/* arena: ${plan.arenaSize} elements; entry ${C_ENTRY}(threads, arena, ${s.inputs.length} inputs) */`];
  lines.push(cPrelude(real), ...mathCDefs());
  const names = [...new Set([...placed.map((p) => ident(p.name)), ...s.inputs.map((i) => ident(i.buf))])];
  if (names.length) lines.push(`static elem ${names.map((n) => `*${n}`).join(', ')};`, '');
  lines.push(...body);
  const args = ['int threads', 'elem *arena', ...s.inputs.map((_, i) => `elem *in${i}`)];
  lines.push('void dlm_set_threads(int n);', `int ${C_ENTRY}(${args.join(', ')}) {`, '  dlm_set_threads(threads);');
  for (const p of placed) lines.push(`  ${ident(p.name)} = arena + ${p.at};`);
  s.inputs.forEach((inp, i) => {
    lines.push(`  ${ident(inp.buf)} = in${i};`);
  });
  const sizeOf = (buf: string): number => {
    const p = placed.find((q) => q.name === buf);
    if (!p) throw new InternalError(`codegen: guarded buffer ${buf} is not in the arena`);
    return p.size;
  };
  // A non-finite guarded output leaves parameters and state untouched: checked as soon as it is written.
  const guardAfter = s.guards.map((g) => ({ g, at: lastWriter(s.kernels, g) }));
  const guard = (g: string) => lines.push(`  for (long i = 0; i < ${sizeOf(g)}; i++) if (!dlm_finite(${ident(g)}[i])) return 0;`);
  guardAfter
    .filter((x) => x.at < 0)
    .forEach((x) => {
      guard(x.g);
    });
  s.kernels.forEach((k, i) => {
    lines.push(`  ${ident(k.name)}(${[...k.writes, ...k.reads].map(ident).join(', ')});`);
    guardAfter
      .filter((x) => x.at === i)
      .forEach((x) => {
        guard(x.g);
      });
  });
  for (const u of s.updates) {
    if (u.inPlace) continue;
    const n = s.inputs[u.input]!.shape.reduce((a, b) => a * b, 1);
    lines.push(`  memmove(${ident(s.inputs[u.input]!.buf)}, ${ident(u.buf)}, sizeof(elem) * ${n});`);
  }
  lines.push('  return 1;', '}', '');
  return lines.join('\n');
};

/** Where each top-level buffer lives in the arena (element offset and size), for the runtime's views. */
export const cBufferViews = (s: Schedule, plan: MemoryPlan): { name: string; offset: number; size: number }[] =>
  s.temps.map((t) => {
    const p = plan.placements.find((q) => q.name === t.name);
    if (!p) throw new InternalError(`codegen: no placement for ${t.name}`);
    return { name: t.name, offset: p.offset, size: p.size };
  });
