// Assembles one WebAssembly module from a schedule and its memory plan (the same ones the JavaScript
// and C modules are printed from): one function per kernel (loop bodies' kernels take their buffers'
// byte addresses as parameters; the top-level kernels address their buffers as constants) and one
// exported entry `run() → i32` that calls the kernels in order, checks the guards (0, having updated
// nothing, when a guarded output such as the loss is not finite) and copies the updates that were not
// computed in place into their inputs' homes. Its imported memory holds the arena at byte 0 and then a
// home for every input, so kernels read and write in place; the float32 SIMD matmuls
// (runtime/wasm/matmulKernels.ts) are instantiated over the same memory and imported.
import { InternalError } from '../diagnostics/diagnostic.js';
import { ident } from '../codegen/emitJs.js';
import type { MemoryPlan } from '../codegen/plan.js';
import { HOME_ROLES, lastWriter, type Schedule } from '../codegen/scheduleTypes.js';
import { stmtExprs, type Expr, type Stmt } from '../loops/loops.js';
import type { MathName } from '../ops/math.js';
import type { ProgramLayout } from '../../runtime/wasm/program.js';
import { SCRATCH_BYTES } from '../../runtime/wasm/matmulKernels.js';
import {
  F64,
  I32,
  OP,
  call,
  doWhile,
  eqz,
  f32Load,
  f64Const,
  f64Load,
  get,
  i32,
  ifElse,
  memoryCopy,
  op,
  programModule,
  set,
  type Code,
  type FunctionImport,
  type ProgramFunction,
} from '../../runtime/wasm/encode.js';
import { WasmPrinter, type BufRef } from './emitWasm.js';
import { INLINED } from './wasmOps.js';
import { narrowBounds } from './narrow.js';
import { parallelKernels, rangeFunction } from './parallelWasm.js';

const PAGE = 65536;
/** The largest memory a module asks for (wasm32 addresses 4 GiB; keep a page of margin). */
export const MAX_WASM_BYTES = 2 ** 32 - PAGE;

/** Math functions and runtime kernels a set of kernel bodies calls. */
const callees = (ss: readonly Stmt[], math: Map<MathName, number>, externs: Map<string, number>): void => {
  const walk = (e: Expr): void => {
    if (e.k === 'call') {
      // sigmoid is inlined over Math.exp; pow calls Math.pow past its special cases
      if (e.fn === 'sigmoid') math.set('exp', 1);
      else if (!INLINED.has(e.fn)) math.set(e.fn, e.args.length);
      e.args.forEach(walk);
    } else if (e.k === 'bin') {
      walk(e.a);
      walk(e.b);
    } else if (e.k === 'negate') walk(e.a);
    else if (e.k === 'load') walk(e.index);
    else if (e.k === 'sel') {
      walk(e.c);
      walk(e.a);
      walk(e.b);
    }
  };
  for (const s of ss) {
    stmtExprs(s).forEach(walk);
    if (s.k === 'extern') externs.set(s.fn, s.args.length);
    if (s.k === 'for' || s.k === 'if') callees(s.body, math, externs);
  }
};

interface KernelAt {
  readonly name: string;
  readonly body: readonly Stmt[];
  readonly params: readonly string[];
}

type Fixed = ReadonlyMap<string, ReadonlyMap<string, { readonly ref: BufRef; readonly size: number | undefined }>>;

/**
 * The loop bodies' kernels whose every parameter is a buffer at a constant address: each is called from
 * one place (its loop's kernel) with the loop's carry, slice and capture buffers, all in the arena. Such
 * a kernel is printed addressing them as constants, like a top-level kernel: its copies become v128
 * copies and its selects know the buffers' sizes (emitWasm.ts), which a loop nested in a loop's body
 * (a checkpointed loop's segments, recomputed in the backward pass) would otherwise do without at every
 * step. Callers come after their callees in `kernels` (collect): walked last to first.
 */
const constantParams = (kernels: readonly KernelAt[], buffers: ReadonlyMap<string, BufRef>, sizes: ReadonlyMap<string, number>, esize: number): Fixed => {
  const fixed = new Map<string, Map<string, { ref: BufRef; size: number | undefined }>>();
  const sites = new Map<string, (ReturnType<typeof resolve> | undefined)[][]>();
  const kernelNames = new Set(kernels.map((k) => k.name));
  const resolve = (k: KernelAt, name: string) => {
    if (k.params.includes(name)) return fixed.get(k.name)?.get(name);
    const ref = buffers.get(name);
    return ref?.k === 'const' ? { ref, size: sizes.get(name) } : undefined;
  };
  const calls = (ss: readonly Stmt[], k: KernelAt): void => {
    for (const st of ss) {
      if (st.k === 'call' && kernelNames.has(st.fn)) {
        const list = sites.get(st.fn) ?? [];
        list.push(st.args.map((a) => resolve(k, a)));
        sites.set(st.fn, list);
      } else if (st.k === 'for' || st.k === 'if') calls(st.body, k);
    }
  };
  for (let i = kernels.length - 1; i >= 0; i--) {
    const k = kernels[i]!;
    const at = sites.get(k.name);
    if (k.params.length && at?.length === 1 && at[0]!.length === k.params.length && at[0]!.every((r) => r !== undefined)) {
      const own = new Map<string, { ref: BufRef; size: number | undefined }>();
      k.params.forEach((p, j) => {
        if (!own.has(p)) own.set(p, at[0]![j]!);
      });
      if (disjoint([...own.values()], esize)) fixed.set(k.name, own);
    }
    calls(k.body, k);
  }
  return fixed;
};

/** Whether the buffers passed under different names are apart (as the memory plan places co-live buffers), sizes known. */
const disjoint = (bufs: readonly { readonly ref: BufRef; readonly size: number | undefined }[], esize: number): boolean => {
  const spans = bufs.map((b) => (b.ref.k === 'const' && b.size !== undefined ? [b.ref.byte, b.ref.byte + b.size * esize] : undefined));
  if (spans.some((x) => x === undefined)) return false;
  const sorted = (spans as number[][]).filter((x) => x[1]! > x[0]!).sort((a, b) => a[0]! - b[0]!);
  // (a buffer under two names would look like two to the printer's copies: keep the parameters then)
  return sorted.every((x, i) => i === 0 || x[0]! >= sorted[i - 1]![1]!);
};

/** Calls of the kernels in `fixed` pass no addresses (those kernels have none to take). */
const withoutArgs = (ss: readonly Stmt[], fixed: Fixed): Stmt[] =>
  ss.map((st) => {
    if (st.k === 'call' && fixed.has(st.fn)) return { ...st, args: [] };
    if (st.k === 'for' || st.k === 'if') return { ...st, body: withoutArgs(st.body, fixed) };
    return st;
  });

/** Bytes per element and the byte layout of arena, homes and the SIMD kernels' scratch (all 16-byte aligned). */
export const wasmLayout = (s: Schedule, plan: MemoryPlan, elem: 'f32' | 'f64') => {
  const esize = elem === 'f32' ? 4 : 8;
  let at = Math.ceil((plan.arenaSize * esize) / 16) * 16;
  const inputs = s.inputs.map((inp) => {
    const size = inp.shape.reduce((a, b) => a * b, 1);
    const byte = at;
    at += Math.ceil((size * esize) / 16) * 16;
    return { byte, size };
  });
  return { esize, inputs, scratch: at, bytes: at + SCRATCH_BYTES };
};

export const emitWasmProgram = (s: Schedule, plan: MemoryPlan, elem: 'f32' | 'f64'): { bytes: Uint8Array; layout: ProgramLayout } => {
  const { esize, inputs, scratch, bytes: total } = wasmLayout(s, plan, elem);
  if (total > MAX_WASM_BYTES) throw new InternalError('codegen: the program does not fit a WebAssembly memory');
  const buffers = new Map<string, BufRef>();
  const sizes = new Map<string, number>();
  const kernels: KernelAt[] = [];
  const collect = (sc: Schedule, pl: MemoryPlan, base: number, top: boolean): void => {
    for (const [i, sub] of sc.subs.entries()) {
      const at = pl.placements.find((p) => p.name === sub.arena);
      if (!at) throw new InternalError(`codegen: no placement for loop body arena ${sub.arena}`);
      collect(sub.schedule, pl.subs[i]!, base + at.offset, false);
    }
    for (const k of sc.kernels) kernels.push({ name: k.name, body: k.body, params: top ? [] : [...k.writes, ...k.reads] });
    for (const p of pl.placements) {
      if (!Number.isInteger(p.offset) || !Number.isInteger(p.size) || p.offset < 0) throw new InternalError('codegen: bad placement');
      buffers.set(p.name, { k: 'const', byte: (base + p.offset) * esize });
      sizes.set(p.name, p.size);
    }
  };
  collect(s, plan, 0, true);
  s.inputs.forEach((inp, i) => {
    buffers.set(inp.buf, { k: 'const', byte: inputs[i]!.byte });
    sizes.set(inp.buf, inputs[i]!.size);
  });

  const math = new Map<MathName, number>(),
    externs = new Map<string, number>();
  for (const k of kernels) callees(k.body, math, externs);
  // top-level loops the threads may split (parallelWasm.ts): the entry asks the host threads.par(j, n) first
  const par = parallelKernels(s.kernels);
  const imports: FunctionImport[] = [
    ...[...math].map(([name, n]): FunctionImport => ({ module: 'math', name, params: new Array(n).fill(F64), results: [F64] })),
    ...[...externs].map(([name, n]): FunctionImport => ({ module: 'kernels', name, params: new Array(n).fill(I32), results: [] })),
    ...(par.size ? [{ module: 'threads', name: 'par', params: [I32, I32], results: [I32] } satisfies FunctionImport] : []),
  ];
  const parImport = math.size + externs.size;
  const mathIdx = [...math.keys()];
  const externIdx = [...externs.keys()];
  const kernelIdx = new Map(kernels.map((k, i) => [k.name, imports.length + i]));
  const ctx = {
    elem,
    mathImport: (fn: MathName) => mathIdx.indexOf(fn),
    extern: (fn: string) => math.size + externIdx.indexOf(fn),
    kernel: (name: string) => {
      const i = kernelIdx.get(name);
      if (i === undefined) throw new InternalError(`codegen: no kernel ${name}`);
      return i;
    },
    bufferSize: (name: string) => sizes.get(name),
    buffer: (name: string) => {
      const b = buffers.get(name);
      if (!b) throw new InternalError(`codegen: buffer ${name} has no address`);
      return b;
    },
  };
  const fixed = constantParams(kernels, buffers, sizes, esize);
  const fns: ProgramFunction[] = kernels.map((k) => {
    const own = fixed.get(k.name);
    const kctx = own
      ? { ...ctx, buffer: (n: string) => own.get(n)?.ref ?? ctx.buffer(n), bufferSize: (n: string) => (own.has(n) ? own.get(n)!.size : sizes.get(n)) }
      : ctx;
    const params = own ? [] : k.params;
    const p = new WasmPrinter(kctx, params);
    const rewritten = narrowBounds(withoutArgs(k.body, fixed));
    p.infer(rewritten);
    const body = p.stmts(rewritten);
    return { params: params.map(() => I32), results: [], locals: p.locals, body, name: ident(k.name) };
  });
  for (const [name, k] of par) fns.push(rangeFunction(ctx, name, k));
  const parCall = (name: string): Code | undefined => {
    const k = par.get(name);
    return k && call(parImport, [i32(k.j), i32(k.n)]);
  };
  fns.push({ params: [], results: [I32], locals: [I32, F64], body: entry(s, plan, { ...ctx, par: parCall }, esize, elem, inputs) });
  fns[fns.length - 1] = { ...fns[fns.length - 1]!, export: 'run' };

  const layout: ProgramLayout = {
    elem,
    pages: Math.ceil(total / PAGE),
    arenaSize: plan.arenaSize,
    inputs: inputs.map((x) => ({ byte: x.byte, size: x.size })),
    owned: s.inputs.flatMap((inp, i) => (HOME_ROLES.has(inp.role) ? [i] : [])),
    updated: s.updates.map((u) => u.input),
    buffers: s.temps.map((t) => {
      const b = buffers.get(t.name);
      const p = plan.placements.find((q) => q.name === t.name);
      if (b?.k !== 'const' || !p) throw new InternalError(`codegen: no placement for ${t.name}`);
      return { name: t.name, offset: b.byte / esize, size: p.size };
    }),
    math: mathIdx,
    kernels: externIdx,
    loops: [...par.values()].map((k) => k.n),
    scratch,
  };
  return { bytes: programModule(imports, fns, layout.pages), layout };
};

/** The entry: kernels in order, each guard right after its last writer, then the updates not made in place. */
const entry = (
  s: Schedule,
  plan: MemoryPlan,
  ctx: { kernel(name: string): number; buffer(name: string): BufRef; par(name: string): Code | undefined },
  esize: number,
  elem: 'f32' | 'f64',
  inputs: readonly { byte: number; size: number }[],
): Code => {
  const I = 0,
    X = 1;
  const guard = (g: string): Code => {
    const b = ctx.buffer(g);
    const p = plan.placements.find((q) => q.name === g);
    if (b.k !== 'const' || !p) throw new InternalError(`codegen: guarded buffer ${g} is not in the arena`);
    const addr = op(OP.i32Mul, get(I), i32(esize));
    const x = elem === 'f32' ? op(OP.f64PromoteF32, f32Load(addr, b.byte)) : f64Load(addr, b.byte);
    // x − x ≠ 0 exactly when x is NaN or ±∞
    const bad = op(OP.f64Ne, op(OP.f64Sub, [...x, 0x22, X], get(X)), f64Const(0));
    return [
      ...set(I, i32(0)),
      ...doWhile([...ifElse(bad, undefined, [...i32(0), OP.return]), ...set(I, op(OP.i32Add, get(I), i32(1)))], op(OP.i32LtS, get(I), i32(p.size))),
    ];
  };
  const out: number[] = [];
  const guardAfter = s.guards.map((g) => ({ g, at: lastWriter(s.kernels, g) }));
  for (const x of guardAfter) if (x.at < 0) out.push(...guard(x.g));
  s.kernels.forEach((k, i) => {
    const asked = ctx.par(k.name);
    // a loop on threads: the host ran it when threads.par returned 1, else the kernel as ever
    out.push(...(asked ? ifElse(eqz(asked), undefined, call(ctx.kernel(k.name), [])) : call(ctx.kernel(k.name), [])));
    for (const x of guardAfter) if (x.at === i) out.push(...guard(x.g));
  });
  for (const u of s.updates) {
    if (u.inPlace) continue;
    const src = ctx.buffer(u.buf);
    if (src.k !== 'const') throw new InternalError('codegen: an update from a parameter buffer');
    const home = inputs[u.input]!;
    out.push(...memoryCopy(i32(home.byte), i32(src.byte), i32(home.size * esize)));
  }
  out.push(...i32(1));
  return out;
};
