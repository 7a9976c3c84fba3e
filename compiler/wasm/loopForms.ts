// Loop forms the wasm printer (emitWasm.ts) prints as bulk operations rather than element by element:
// a contiguous copy as v128 loads and stores, a run of zeros as memory.fill (or single stores when short).
import { offsetOf, substitute } from './narrow.js';
import type { WasmPrinter } from './emitWasm.js';
import type { Expr, Stmt } from '../loops/loops.js';
import {
  OP,
  doWhile,
  f32Load,
  f32Store,
  f64Const,
  f64Load,
  f64Store,
  get,
  i32,
  ifElse,
  memoryFill,
  op,
  set,
  v128Load,
  v128Store,
  type Code,
} from '../../runtime/wasm/encode.js';
import { isIntLiteral } from './wasmOps.js';

/**
 * `for v in [a, b) dst[p + v] = src[q + v]` (an im2col row, a scan's slice, a contiguous copy) as
 * 16-byte v128 loads and stores, then single elements: the same values (a float32 read widened to f64
 * and rounded back is itself). Only between two buffers at constant addresses, which one kernel never
 * overlaps (the memory plan gives co-live buffers disjoint places).
 */
export const vectorCopy = (pr: WasmPrinter, s: Stmt & { k: 'for' }): Code | undefined => {
  const st = s.body[s.body.length - 1];
  const lets = s.body.slice(0, -1);
  if (s.step !== 1 || st?.k !== 'store' || st.e.k !== 'load' || st.e.buf === st.buf) return undefined;
  if (!lets.every((x) => x.k === 'let' && !x.mutable)) return undefined;
  const defs = new Map<string, Expr>();
  for (const x of lets) if (x.k === 'let') defs.set(x.name, substitute(x.e, defs));
  const none = new Set([s.v]);
  const p = offsetOf(substitute(st.index, defs), s.v, none),
    q = offsetOf(substitute(st.e.index, defs), s.v, none);
  const [d, r] = [pr.bufBase(st.buf), pr.bufBase(st.e.buf)];
  if (!p || !q || d.base.length || r.base.length || pr.type(s.from) !== 'i' || pr.type(s.to) !== 'i') return undefined;
  const shift = pr.ctx.elem === 'f32' ? 2 : 3;
  const [n, pd, ps] = [pr.tmp('i'), pr.tmp('i'), pr.tmp('i')];
  const from = pr.tmp('i');
  const at = (off: Expr, base: number): Code => op(OP.i32Add, op(OP.i32Shl, op(OP.i32Add, pr.as(off, 'i'), get(from)), i32(shift)), i32(base));
  const vec = 16 >> shift;
  const step = (bytes: number): Code => [...set(pd, op(OP.i32Add, get(pd), i32(bytes))), ...set(ps, op(OP.i32Add, get(ps), i32(bytes)))];
  const one = pr.ctx.elem === 'f32' ? f32Store(get(pd), f32Load(get(ps))) : f64Store(get(pd), f64Load(get(ps)));
  return [
    ...set(from, pr.expr(s.from)),
    ...set(n, op(OP.i32Sub, pr.expr(s.to), get(from))),
    ...set(pd, at(p, d.offset)),
    ...set(ps, at(q, r.offset)),
    ...ifElse(
      op(OP.i32GeS, get(n), i32(vec)),
      undefined,
      doWhile([...v128Store(get(pd), v128Load(get(ps))), ...step(16), ...set(n, op(OP.i32Sub, get(n), i32(vec)))], op(OP.i32GeS, get(n), i32(vec))),
    ),
    ...ifElse(
      op(OP.i32GtS, get(n), i32(0)),
      undefined,
      doWhile([...one, ...step(1 << shift), ...set(n, op(OP.i32Sub, get(n), i32(1)))], op(OP.i32GtS, get(n), i32(0))),
    ),
  ];
};

/**
 * `for i in [a, b) buf[p + i] = 0` (zeroing a buffer before a scatter or a gather, the padding of a
 * row of patches) as memory.fill: p invariant in the loop, a and b integers (none when b ≤ a).
 */
export const zeroFill = (pr: WasmPrinter, s: Stmt & { k: 'for' }): Code | undefined => {
  const [st] = s.body;
  if (s.body.length !== 1 || st?.k !== 'store' || s.step !== 1 || st.e.k !== 'num' || !Object.is(st.e.v, 0)) return undefined;
  const esize = pr.ctx.elem === 'f32' ? 4 : 8;
  if (s.from.k === 'num' && s.to.k === 'num' && isIntLiteral(s.from.v) && isIntLiteral(s.to.v) && st.index.k === 'var' && st.index.name === s.v) {
    if (s.from.v < 0 || s.to.v <= s.from.v) return undefined;
    const { addr, offset } = pr.address(st.buf, s.from);
    return memoryFill(offset ? op(OP.i32Add, addr, i32(offset)) : addr, i32(0), i32((s.to.v - s.from.v) * esize));
  }
  const p = offsetOf(st.index, s.v, new Set([s.v]));
  if (!p || pr.type(s.from) !== 'i' || pr.type(s.to) !== 'i' || pr.type(p) !== 'i') return undefined;
  const [from, n, at] = [pr.tmp('i'), pr.tmp('i'), pr.tmp('i')];
  const first = pr.tmpVar('i');
  const { addr, offset } = pr.address(st.buf, { k: 'var', name: first.name });
  // memory.fill is a call into the engine: a few elements are cheaper stored one by one
  const one = pr.ctx.elem === 'f32' ? f32Store(get(at), [0x43, 0, 0, 0, 0]) : f64Store(get(at), f64Const(0));
  const each = doWhile([...one, ...set(at, op(OP.i32Add, get(at), i32(esize))), ...set(n, op(OP.i32Sub, get(n), i32(1)))], op(OP.i32GtS, get(n), i32(0)));
  return [
    ...set(from, pr.expr(s.from)),
    ...set(n, op(OP.i32Sub, pr.expr(s.to), get(from))),
    ...set(first.idx, op(OP.i32Add, pr.expr(p), get(from))),
    ...set(at, offset ? op(OP.i32Add, addr, i32(offset)) : addr),
    ...ifElse(
      op(OP.i32GeS, get(n), i32(16)),
      undefined,
      memoryFill(get(at), i32(0), op(OP.i32Mul, get(n), i32(esize))),
      ifElse(op(OP.i32GtS, get(n), i32(0)), undefined, each),
    ),
  ];
};
