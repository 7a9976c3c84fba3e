// Loop IR → WebAssembly instructions: the third printer of the same kernels, beside JavaScript
// (codegen/emitJs.ts) and C (native/emitC.ts). Every buffer lives in the module's one linear memory
// (the planned arena and the inputs' homes), so a load is `f32.load` (or `f64.load`) at the buffer's
// byte address plus index × element size, with no copies. As in the other printers, only validated
// numbers reach the code (`f64.const` of a checked number, `i32.const` of a checked integer); buffer
// and variable names become addresses and local indices and never reach the bytes.
//
// Values are computed in f64, as JavaScript computes them, and a float32 module rounds when it stores
// (f32.demote_f64), so results equal the JavaScript backend's. The loop IR is untyped, so each
// variable's type is inferred as in the C printer (loops/integral.ts): i32 when every value assigned to
// it is an integer literal under 2³¹, an i32 variable, + − × of those or a comparison; otherwise f64
// (division always). Math functions: mathCalls.ts; branch-free conditionals: selects.ts.
import { InternalError } from '../diagnostics/diagnostic.js';
import { inferIntegral } from '../loops/integral.js';
import { replaceLoads, unconditionalLoads, weight } from './loopFacts.js';
import { mathCall } from './mathCalls.js';
import { loadOnce, safeArm, selectCode, selectIf } from './selects.js';
import { vectorCopy, zeroFill } from './loopForms.js';
import { vectorMap } from './vectorMap.js';
import { vectorPool } from './vectorPool.js';
import { F64_ARITH, F64_CMP, I32_ARITH, I32_CMP, checkNumber, isIntLiteral, type T } from './wasmOps.js';
import { COMPARISONS, type Expr, type ExternArg, type Stmt } from '../loops/loops.js';
import type { MathName } from '../ops/math.js';
import {
  F64,
  I32,
  OP,
  call,
  doWhile,
  f32Load,
  f32Store,
  f64Const,
  f64Load,
  f64Store,
  get,
  i32,
  i32TruncSatF64,
  ifElse,
  op,
  set,
  type AnyValType,
  type Code,
} from '../../runtime/wasm/encode.js';

/** Where a buffer is: a constant byte address, or a byte address passed in a parameter (a loop body's kernels). */
export type BufRef = { readonly k: 'const'; readonly byte: number } | { readonly k: 'param'; readonly local: number };

/** What a kernel's printer asks of the module around it. */
export interface WasmModuleContext {
  readonly elem: 'f32' | 'f64';
  /** The function index of an imported math function (type (f64…) → f64). */
  mathImport(fn: MathName, arity: number): number;
  /** The function index of another kernel (a loop body's). */
  kernel(name: string): number;
  /** The function index of a runtime matmul kernel (imported from the SIMD kernels' instance). */
  extern(fn: string, arity: number): number;
  /** Buffers at constant addresses (every buffer that is not a parameter). */
  buffer(name: string): BufRef;
  /** A buffer's element count, where known (arena buffers and inputs). */
  bufferSize?(name: string): number | undefined;
}

/** Prints one kernel body as a function body; `params` binds buffer names to i32 parameters 0, 1, …. */
export class WasmPrinter {
  private readonly ints = new Set<string>();
  private readonly localOf = new Map<string, { idx: number; t: T }>();
  readonly locals: AnyValType[] = [];
  private readonly params: Map<string, number>;
  private scratch = 0;

  constructor(
    readonly ctx: WasmModuleContext,
    paramBufs: readonly string[],
    /** Integral variables bound to i32 parameters after the buffers' (a loop's range on threads: parallelWasm.ts). */
    intParams: readonly string[] = [],
  ) {
    this.params = new Map();
    paramBufs.forEach((b, i) => {
      if (!this.params.has(b)) this.params.set(b, i);
    });
    intParams.forEach((v, i) => {
      this.ints.add(v);
      this.localOf.set(v, { idx: paramBufs.length + i, t: 'i' });
    });
    this.nParams = paramBufs.length + intParams.length;
  }
  private readonly nParams: number;

  /** Integral variables of a body (loops/integral.ts); loop counters are i32 locals whatever they are set to. */
  infer(body: readonly Stmt[]): void {
    inferIntegral(body, this.ints, (e) => this.type(e) === 'i', true);
  }

  type(e: Expr): T {
    switch (e.k) {
      case 'num':
        return isIntLiteral(checkNumber(e.v)) ? 'i' : 'f';
      case 'var':
        return this.ints.has(e.name) ? 'i' : 'f';
      case 'load':
      case 'call':
        return 'f';
      case 'negate':
        return this.type(e.a);
      case 'sel':
        return this.type(e.a) === 'i' && this.type(e.b) === 'i' ? 'i' : 'f';
      case 'bin':
        return COMPARISONS.has(e.op) || (e.op !== '/' && this.type(e.a) === 'i' && this.type(e.b) === 'i') ? 'i' : 'f';
    }
  }

  local(name: string): { idx: number; t: T } {
    let l = this.localOf.get(name);
    if (!l) {
      const t: T = this.ints.has(name) ? 'i' : 'f';
      l = { idx: this.nParams + this.locals.length, t };
      this.locals.push(t === 'i' ? I32 : F64);
      this.localOf.set(name, l);
    }
    return l;
  }

  /** A fresh local of type t, by a name no loop-IR variable has. */
  tmpVar(t: T): { idx: number; name: string } {
    const name = `\u0000tmp${this.scratch++}${t}`;
    if (t === 'i') this.ints.add(name);
    return { idx: this.local(name).idx, name };
  }
  tmp(t: T): number {
    return this.tmpVar(t).idx;
  }

  /**
   * e as type t. f64 → i32 truncates (an index: C's cast). An integral expression used as a value is
   * computed in f64 from its integral leaves, as JavaScript computes it: 0 · −1 and −0 stay −0.
   */
  as(e: Expr, t: T): Code {
    const have = this.type(e);
    if (have === t) return this.expr(e);
    if (t === 'i') return i32TruncSatF64(this.expr(e));
    switch (e.k) {
      case 'negate':
        return op(OP.f64Neg, this.as(e.a, 'f'));
      case 'bin':
        return COMPARISONS.has(e.op) ? op(OP.f64ConvertI32S, this.cond(e)) : op(F64_ARITH[e.op]!, this.as(e.a, 'f'), this.as(e.b, 'f'));
      case 'sel':
        if (safeArm(this, e.a, e.c) && safeArm(this, e.b, e.c)) return selectCode('f', this.as(e.a, 'f'), this.as(e.b, 'f'), this.cond(e.c));
        return ifElse(this.cond(e.c), F64, this.as(e.a, 'f'), this.as(e.b, 'f'));
      default:
        return op(OP.f64ConvertI32S, this.expr(e));
    }
  }

  /** A condition as an i32 (nonzero: true). */
  cond(e: Expr): Code {
    if (e.k === 'bin' && COMPARISONS.has(e.op)) {
      if (e.op === '!=' && e.b.k === 'num' && e.b.v === 0 && e.a.k === 'bin' && COMPARISONS.has(e.a.op)) return this.cond(e.a);
      if (this.type(e.a) === 'i' && this.type(e.b) === 'i') return op(I32_CMP[e.op]!, this.expr(e.a), this.expr(e.b));
      return op(F64_CMP[e.op]!, this.as(e.a, 'f'), this.as(e.b, 'f'));
    }
    // JavaScript's `x !== 0`: NaN is true
    return this.type(e) === 'i' ? this.expr(e) : op(OP.f64Ne, this.expr(e), f64Const(0));
  }

  /** Whether a buffer is one of the kernel's parameters (its size is not known here). */
  isParam(buf: string): boolean {
    return this.params.has(buf);
  }

  bufBase(buf: string): { base: Code; offset: number } {
    const p = this.params.get(buf);
    if (p !== undefined) return { base: get(p), offset: 0 };
    const r = this.ctx.buffer(buf);
    return r.k === 'param' ? { base: get(r.local), offset: 0 } : { base: [], offset: r.byte };
  }

  /** The byte address of element `index` of `buf`, as an i32 and a constant memarg offset. */
  address(buf: string, index: Expr): { addr: Code; offset: number } {
    const { base, offset } = this.bufBase(buf);
    const shift = this.ctx.elem === 'f32' ? 2 : 3;
    if (index.k === 'num' && isIntLiteral(index.v) && index.v >= 0) {
      return base.length ? { addr: base, offset: offset + index.v * (1 << shift) } : { addr: i32(0), offset: offset + index.v * (1 << shift) };
    }
    const scaled = op(OP.i32Shl, this.as(index, 'i'), i32(shift));
    return { addr: base.length ? op(OP.i32Add, base, scaled) : scaled, offset };
  }

  expr(e: Expr): Code {
    switch (e.k) {
      case 'num': {
        const x = checkNumber(e.v);
        return isIntLiteral(x) ? i32(x) : f64Const(x);
      }
      case 'var': {
        const l = this.localOf.get(e.name) ?? this.local(e.name);
        return get(l.idx);
      }
      case 'load': {
        const { addr, offset } = this.address(e.buf, e.index);
        return this.ctx.elem === 'f32' ? op(OP.f64PromoteF32, f32Load(addr, offset)) : f64Load(addr, offset);
      }
      case 'negate':
        return this.type(e.a) === 'i' ? op(OP.i32Sub, i32(0), this.expr(e.a)) : op(OP.f64Neg, this.expr(e.a));
      case 'call':
        return mathCall(this, e.fn, e.args);
      case 'sel': {
        const t = this.type(e);
        const [a, b] = [this.as(e.a, t), this.as(e.b, t)];
        if (safeArm(this, e.a, e.c) && safeArm(this, e.b, e.c)) {
          // the condition's loads are read once, then shared by the arms (relu(x + b) reads x + b once)
          const { pre, map } = loadOnce(this, unconditionalLoads(e.c));
          if (!map.size) return selectCode(t, a, b, this.cond(e.c));
          const [c, x, y] = [e.c, e.a, e.b].map((z) => replaceLoads(z, map)) as [Expr, Expr, Expr];
          return [...pre, ...selectCode(t, this.as(x, t), this.as(y, t), this.cond(c))];
        }
        return ifElse(this.cond(e.c), t === 'i' ? I32 : F64, a, b);
      }
      case 'bin': {
        if (COMPARISONS.has(e.op)) return this.cond(e);
        const t = this.type(e);
        if (t === 'i') return op(I32_ARITH[e.op]!, this.expr(e.a), this.expr(e.b));
        return op(F64_ARITH[e.op]!, this.as(e.a, 'f'), this.as(e.b, 'f'));
      }
    }
  }

  private externArg(a: ExternArg): Code {
    if (a.k === 'ptr') {
      const { addr, offset } = this.address(a.buf, a.index);
      return offset ? op(OP.i32Add, addr, i32(offset)) : addr;
    }
    return this.as(a, 'i');
  }

  /**
   * A loop of at most 4 passes with constant bounds and a small body (a pooling window, a 2 × 2 or 3 × 3
   * kernel) printed once per pass with its variable set: no loop branches, and V8 folds the constant in.
   */
  private unrolled(s: Stmt & { k: 'for' }): Code | undefined {
    if (s.from.k !== 'num' || s.to.k !== 'num' || !isIntLiteral(s.from.v) || !isIntLiteral(s.to.v)) return undefined;
    const passes = Math.max(0, Math.ceil((s.to.v - s.from.v) / s.step));
    if (passes > 4 || weight(s.body) * passes > 24) return undefined;
    const l = this.local(s.v);
    const out: number[] = [];
    for (let k = 0; k < passes; k++) out.push(...set(l.idx, i32(s.from.v + k * s.step)), ...this.stmts(s.body));
    return out;
  }

  stmts(ss: readonly Stmt[]): Code {
    const out: number[] = [];
    for (const s of ss) out.push(...this.stmt(s));
    return out;
  }

  private stmt(s: Stmt): Code {
    switch (s.k) {
      case 'comment':
        return [];
      case 'let':
      case 'set': {
        const l = this.local(s.name);
        return set(l.idx, this.as(s.e, l.t));
      }
      case 'store': {
        const { addr, offset } = this.address(s.buf, s.index);
        return this.ctx.elem === 'f32' ? f32Store(addr, op(OP.f32DemoteF64, this.as(s.e, 'f')), offset) : f64Store(addr, this.as(s.e, 'f'), offset);
      }
      case 'if': {
        const selected = selectIf(this, s);
        if (selected) return selected;
        // nested ifs: a later condition may load what an earlier one guards (JavaScript's &&)
        let body = this.stmts(s.body);
        for (let i = s.conds.length - 1; i >= 0; i--) body = ifElse(this.cond(s.conds[i]!), undefined, body);
        return body;
      }
      case 'for': {
        if (!Number.isInteger(s.step) || s.step <= 0) throw new InternalError('codegen: a loop step that is not a positive integer');
        const fill = zeroFill(this, s) ?? vectorCopy(this, s) ?? vectorPool(this, s) ?? this.unrolled(s) ?? vectorMap(this, s);
        if (fill) return fill;
        const l = this.local(s.v);
        // a bound that is not a literal or a variable is computed once (bounds never read what the body assigns)
        let to = s.to,
          pre: Code = [];
        if (to.k !== 'num' && to.k !== 'var') {
          const tmp = this.tmpVar(this.type(to));
          pre = set(tmp.idx, this.expr(to));
          to = { k: 'var', name: tmp.name };
        }
        const less = (): Code => this.cond({ k: 'bin', op: '<', a: { k: 'var', name: s.v }, b: to });
        const next = set(l.idx, op(OP.i32Add, get(l.idx), i32(s.step)));
        return [...set(l.idx, this.as(s.from, 'i')), ...pre, ...ifElse(less(), undefined, doWhile([...this.stmts(s.body), ...next], less()))];
      }
      case 'call':
        return call(
          this.ctx.kernel(s.fn),
          s.args.map((b) => {
            const { base, offset } = this.bufBase(b);
            return base.length ? (offset ? op(OP.i32Add, base, i32(offset)) : base) : i32(offset);
          }),
        );
      case 'extern':
        return call(
          this.ctx.extern(s.fn, s.args.length),
          s.args.map((a) => this.externArg(a)),
        );
    }
  }
}
