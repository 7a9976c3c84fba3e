// Assembles a specialized module's JavaScript: prelude, one function per kernel (so V8 optimizes each
// on its own), the arena layout, and a `run` that calls kernels in order and writes updates back.
import { InternalError } from '../diagnostics/diagnostic.js';
import { PRELUDE, ident, lit, safeComment, stmts } from './emitJs.js';
import type { MemoryPlan } from './plan.js';
import { HOME_ROLES, lastWriter, type Schedule } from './scheduleTypes.js';
import type { Stmt } from '../loops/loops.js';
import type { HomeSlot } from '../../runtime/compiled.js';

export interface ModuleInfo {
  readonly title: string;
  /** Source text of each kernel's first line comment, e.g. `mnist.dlm:12`. */
  readonly locate?: (note: string) => string;
}

/** Kernel functions and arena views of a schedule and, first, of the loop bodies it calls. */
const emitKernels = (s: Schedule, plan: MemoryPlan, base: number, info: ModuleInfo, lines: string[]): void => {
  for (const [i, sub] of s.subs.entries()) {
    const at = plan.placements.find((p) => p.name === sub.arena);
    if (!at) throw new InternalError(`codegen: no placement for loop body arena ${sub.arena}`);
    lines.push(`// ---- loop body ${sub.prefix.slice(0, -1)}: its buffers live in ${sub.arena}`);
    emitKernels(sub.schedule, plan.subs[i]!, base + at.offset, info, lines);
  }
  for (const k of s.kernels) {
    const params = [...k.writes, ...k.reads].map(ident);
    lines.push(`// ${k.name}: ${safeComment(info.locate ? info.locate(k.note) : k.note)}`);
    lines.push(`function ${ident(k.name)}(${params.join(', ')}) {`);
    lines.push(
      ...stmts(
        k.body.filter((s, i) => !(i === 0 && s.k === 'comment' && s.text === k.note)),
        '  ',
      ),
    );
    lines.push('}', '');
  }
  lines.push(`// arena${base ? ` region at ${base}` : ''}: ${plan.arenaSize} elements (${plan.unplannedSize} without reuse)`);
  for (const p of plan.placements) {
    if (!Number.isInteger(p.offset) || !Number.isInteger(p.size)) throw new InternalError('codegen: bad placement');
    lines.push(`const ${ident(p.name)} = arena.subarray(${lit(base + p.offset)}, ${lit(base + p.offset + p.size)});`);
  }
  lines.push('');
};

const callsExtern = (ss: readonly Stmt[]): boolean => ss.some((x) => x.k === 'extern' || ((x.k === 'for' || x.k === 'if') && callsExtern(x.body)));

/**
 * Whether the module calls the runtime's WebAssembly kernels, and if so the inputs that live in its
 * memory: float32 parameters and state, which kernels read directly or through a loop body's captures
 * (a batch input is copied into the arena where a kernel needs it: schedule.ts `addressable`).
 */
export const simdHomes = (s: Schedule): { homes: HomeSlot[] } | undefined => {
  const uses = (x: Schedule): boolean => x.kernels.some((k) => callsExtern(k.body)) || x.subs.some((sub) => uses(sub.schedule));
  if (!uses(s)) return undefined;
  return {
    homes: s.inputs.flatMap((inp, input) => (inp.dtype === 'f32' && HOME_ROLES.has(inp.role) ? [{ input, size: inp.shape.reduce((a, b) => a * b, 1) }] : [])),
  };
};

export const emitModule = (s: Schedule, plan: MemoryPlan, info: ModuleInfo): string => {
  const simd = simdHomes(s);
  const slots = simd ? `'f32', { homes: [${simd.homes.map((h) => `{ input: ${lit(h.input)}, size: ${lit(h.size)} }`).join(', ')}] }` : 'precision';
  const lines: string[] = [`// ${safeComment(info.title)}`, `// load with dlm/runtime: instantiate(source, ${lit(plan.arenaSize)}, ${slots})`, ...PRELUDE, ''];
  emitKernels(s, plan, 0, info, lines);
  const homes = new Set((simd?.homes ?? []).map((h) => h.input));
  if (homes.size) {
    lines.push('// parameters and state live in the WebAssembly memory the SIMD kernels address (their homes):');
    lines.push("// run() copies a caller's own array in, and an updated one back out");
    for (const i of homes) lines.push(`const ${ident(s.inputs[i]!.buf)} = homes[${lit(i)}];`);
  }
  lines.push('', 'function run(ins) {');
  for (const [i, inp] of s.inputs.entries()) {
    const b = ident(inp.buf);
    lines.push(homes.has(i) ? `  if (ins[${lit(i)}] !== ${b}) ${b}.set(ins[${lit(i)}]);` : `  const ${b} = ins[${lit(i)}];`);
  }
  // A non-finite guarded output (the loss) leaves parameters and state untouched: each guard is checked
  // as soon as its value is written, before any kernel that updates a parameter in place.
  const guardAfter = s.guards.map((g) => ({ g, at: lastWriter(s.kernels, g) }));
  const guard = (g: string): void => {
    lines.push(`  for (let i = 0; i < ${ident(g)}.length; i++) if (!Number.isFinite(${ident(g)}[i])) return false;`);
  };
  for (const x of guardAfter) if (x.at < 0) guard(x.g);
  s.kernels.forEach((k, i) => {
    lines.push(`  ${ident(k.name)}(${[...k.writes, ...k.reads].map(ident).join(', ')});`);
    for (const x of guardAfter) if (x.at === i) guard(x.g);
  });
  for (const u of s.updates) if (!u.inPlace) lines.push(`  ${ident(s.inputs[u.input]!.buf)}.set(${ident(u.buf)});`);
  for (const u of s.updates)
    if (homes.has(u.input))
      lines.push(`  if (ins[${lit(u.input)}] !== ${ident(s.inputs[u.input]!.buf)}) ins[${lit(u.input)}].set(${ident(s.inputs[u.input]!.buf)});`);
  lines.push('  return true;', '}', '');
  const temps = s.temps.map((t) => ident(t.name));
  lines.push(`return { run, buffers: { ${temps.join(', ')} } };`);
  return lines.join('\n');
};
