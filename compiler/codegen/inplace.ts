// In-place updates: a training step's new parameter (or optimizer state) is written straight into the
// parameter's own array instead of into an arena buffer that is copied back at the end. Safe when
//   • no later kernel reads the old value (the parameter's input buffer),
//   • the kernel writing the new value reads the old one only at the element it is storing
//     (every load of the input sits in a store's expression, at that store's index, and the kernel
//     never reads back its own output — so no partial result is ever mistaken for the old value),
//   • every guard (the loss must be finite, or nothing is updated) is decided before that kernel.
// The arena then holds no copy of the parameters, and `run` no longer copies them back.
import { externBuffers, loadsIn, rewriteExpr, stmtExprs, type Expr, type Stmt } from '../loops/loops.js';
import { lastWriter as lastWriterIn, type Kernel, type Schedule } from './scheduleTypes.js';

/** An index expression with the kernel's constant variables substituted and `+ 0` dropped, as a key. */
const indexKey = (e: Expr, consts: ReadonlyMap<string, number>): string => {
  const norm = (x: Expr): Expr => {
    if (x.k === 'var' && consts.has(x.name)) return { k: 'num', v: consts.get(x.name)! };
    if (x.k !== 'bin') return x;
    const a = norm(x.a),
      b = norm(x.b);
    if (x.op === '+' && a.k === 'num' && a.v === 0) return b;
    if (x.op === '+' && b.k === 'num' && b.v === 0) return a;
    return { ...x, a, b };
  };
  return JSON.stringify(norm(e));
};

const exprLoads = (e: Expr, out: { buf: string; index: string }[], consts: ReadonlyMap<string, number> = new Map()): void => {
  for (const l of loadsIn(e)) out.push({ buf: l.buf, index: indexKey(l.index, consts) });
};

/** Whether `k` reads buffer `old` only at the index of a store to `out` inside that store's value, and never reads `out`. */
const readsOldOnlyWhereStoring = (k: Kernel, old: string, out: string): boolean => {
  let ok = true;
  // immutable `let v = <number>` (a matmul's zero output offset) are substituted before comparing indices
  const consts = new Map<string, number>();
  const collect = (ss: readonly Stmt[]): void =>
    ss.forEach((s) => {
      if (s.k === 'let' && !s.mutable && s.e.k === 'num') consts.set(s.name, s.e.v);
      else if (s.k === 'for' || s.k === 'if') collect(s.body);
    });
  collect(k.body);
  const visit = (ss: readonly Stmt[]): void =>
    ss.forEach((s) => {
      if (!ok) return;
      const loads: { buf: string; index: string }[] = [];
      if (s.k === 'store') {
        exprLoads(s.index, loads);
        if (loads.some((l) => l.buf === old || l.buf === out)) {
          ok = false;
          return;
        }
        const inValue: { buf: string; index: string }[] = [];
        exprLoads(s.e, inValue, consts);
        const at = indexKey(s.index, consts);
        if (inValue.some((l) => l.buf === out || (l.buf === old && (s.buf !== out || l.index !== at)))) ok = false;
        return;
      }
      for (const e of stmtExprs(s)) exprLoads(e, loads);
      if (s.k === 'for' || s.k === 'if') visit(s.body);
      else if (s.k === 'call') {
        if (s.args.includes(old) || s.args.includes(out)) ok = false;
      } else if (s.k === 'extern') {
        if (externBuffers(s).some((b) => b === old || b === out)) ok = false;
      }
      if (loads.some((l) => l.buf === old || l.buf === out)) ok = false;
    });
  visit(k.body);
  return ok;
};

const renameExpr = (e: Expr, from: string, to: string): Expr =>
  rewriteExpr(e, (x, recur) => (x.k === 'load' && x.buf === from ? { ...x, buf: to, index: recur(x.index) } : undefined));
const renameStmt = (s: Stmt, from: string, to: string): Stmt => {
  switch (s.k) {
    case 'store':
      return { ...s, buf: s.buf === from ? to : s.buf, index: renameExpr(s.index, from, to), e: renameExpr(s.e, from, to) };
    case 'let':
    case 'set':
      return { ...s, e: renameExpr(s.e, from, to) };
    case 'for':
      return { ...s, from: renameExpr(s.from, from, to), to: renameExpr(s.to, from, to), body: s.body.map((b) => renameStmt(b, from, to)) };
    case 'if':
      return { ...s, conds: s.conds.map((c) => renameExpr(c, from, to)), body: s.body.map((b) => renameStmt(b, from, to)) };
    case 'call':
      return { ...s, args: s.args.map((a) => (a === from ? to : a)) };
    case 'extern':
      return {
        ...s,
        out: s.out === from ? to : s.out,
        args: s.args.map((a) => (a.k === 'ptr' ? { ...a, buf: a.buf === from ? to : a.buf, index: renameExpr(a.index, from, to) } : renameExpr(a, from, to))),
      };
    default:
      return s;
  }
};
const renameKernel = (k: Kernel, from: string, to: string): Kernel => {
  const swap = (b: string) => (b === from ? to : b);
  const writes = k.writes.map(swap);
  return { ...k, body: k.body.map((s) => renameStmt(s, from, to)), writes, reads: [...new Set(k.reads.map(swap))].filter((r) => !writes.includes(r)) };
};

/**
 * Moves the kernel at `at` to just after `after` when nothing in between reads what it writes or
 * writes what it reads (a running statistic computed in the forward pass can wait for the guard).
 */
const postpone = (kernels: Kernel[], at: number, after: number): boolean => {
  const k = kernels[at]!;
  const between = kernels.slice(at + 1, after + 1);
  if (between.some((b) => b.reads.some((r) => k.writes.includes(r)) || b.writes.some((w) => k.reads.includes(w) || k.writes.includes(w)))) return false;
  kernels.splice(at, 1);
  kernels.splice(after, 0, k);
  return true;
};

export const inPlaceUpdates = (s: Schedule): Schedule => {
  let kernels = [...s.kernels];
  const lastWriter = (buf: string): number => lastWriterIn(kernels, buf);
  const gone = new Set<string>();
  const updates = s.updates.map((u) => {
    const old = s.inputs[u.input]!.buf;
    let at = lastWriter(u.buf);
    const guardedUntil = Math.max(-1, ...s.guards.map(lastWriter));
    if (at >= 0 && at <= guardedUntil && !s.guards.includes(u.buf) && postpone(kernels, at, guardedUntil)) at = lastWriter(u.buf);
    const guardNow = Math.max(-1, ...s.guards.map(lastWriter));
    const writers = kernels.filter((k) => k.writes.includes(u.buf)).length;
    const safe =
      at > guardNow &&
      writers === 1 &&
      !s.outputs.some((o) => o.buf === u.buf) &&
      kernels.slice(at + 1).every((k) => !k.reads.includes(old) && !k.writes.includes(old)) &&
      readsOldOnlyWhereStoring(kernels[at]!, old, u.buf);
    if (!safe) return u;
    kernels = kernels.map((k, i) => (i >= at ? renameKernel(k, u.buf, old) : k));
    gone.add(u.buf);
    return { ...u, buf: old, inPlace: true };
  });
  return { ...s, kernels, updates, temps: s.temps.filter((t) => !gone.has(t.name)) };
};
