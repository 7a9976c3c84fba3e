// A small WebAssembly binary writer: just enough of the format (types, one imported memory, functions,
// exports, code) and of the instruction set (i32 address arithmetic, f32 and f32x4 SIMD arithmetic,
// structured loops) to build the runtime's matmul kernels. Instructions are byte arrays composed by
// helpers; `module` wraps function bodies into a module. Reference: the WebAssembly core spec, §5
// (binary format) and the SIMD proposal's opcode table.

export type Code = readonly number[];

/** Unsigned LEB128. */
export const u32 = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};

/** Signed LEB128 of a 32-bit integer. */
export const s32 = (n: number): number[] => {
  const out: number[] = [];
  n |= 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
};

const vec = (items: readonly Code[]): number[] => [...u32(items.length), ...items.flat()];
const utf8 = (s: string): number[] => vec([...new TextEncoder().encode(s)].map((b) => [b]));
const section = (id: number, body: Code): number[] => [id, ...u32(body.length), ...body];

export const I32 = 0x7f,
  F32 = 0x7d,
  V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof V128;

// ---- instructions ------------------------------------------------------------------------------------
const simd = (op: number): number[] => [0xfd, ...u32(op)];
/** Memory immediate: alignment as a power of two and a constant byte offset. */
const memarg = (alignLog2: number, offset: number): number[] => [...u32(alignLog2), ...u32(offset)];

export const get = (l: number): Code => [0x20, ...u32(l)];
export const globalGet = (g: number): Code => [0x23, ...u32(g)];
export const set = (l: number, value: Code): Code => [...value, 0x21, ...u32(l)];
export const i32 = (n: number): Code => [0x41, ...s32(n)];
export const add = (a: Code, b: Code): Code => [...a, ...b, 0x6a];
export const sub = (a: Code, b: Code): Code => [...a, ...b, 0x6b];
export const mul = (a: Code, b: Code): Code => [...a, ...b, 0x6c];
export const gtS = (a: Code, b: Code): Code => [...a, ...b, 0x4a];
export const geS = (a: Code, b: Code): Code => [...a, ...b, 0x4e];
export const eqz = (a: Code): Code => [...a, 0x45];
export const and = (a: Code, b: Code): Code => [...a, ...b, 0x71];
export const shrU = (a: Code, b: Code): Code => [...a, ...b, 0x76];
/** l += by */
export const inc = (l: number, by: Code): Code => set(l, add(get(l), by));

export const f32Load = (addr: Code, offset = 0): Code => [...addr, 0x2a, ...memarg(2, offset)];
export const f32Store = (addr: Code, value: Code, offset = 0): Code => [...addr, ...value, 0x38, ...memarg(2, offset)];
export const f32Const0: Code = [0x43, 0, 0, 0, 0];
export const f32Add = (a: Code, b: Code): Code => [...a, ...b, 0x92];
export const f32Mul = (a: Code, b: Code): Code => [...a, ...b, 0x94];

export const v128Load = (addr: Code, offset = 0): Code => [...addr, ...simd(0x00), ...memarg(0, offset)];
export const v128Store = (addr: Code, value: Code, offset = 0): Code => [...addr, ...value, ...simd(0x0b), ...memarg(0, offset)];
export const v128Zero: Code = [...simd(0x0c), ...new Array<number>(16).fill(0)];
export const f32x4Splat = (x: Code): Code => [...x, ...simd(0x13)];
/** v128.load32_splat: one float32 read into all four lanes (a broadcast load, no shuffle). */
export const v128Load32Splat = (addr: Code, offset = 0): Code => [...addr, ...simd(0x09), ...memarg(2, offset)];
export const f32x4Lane = (x: Code, lane: number): Code => [...x, ...simd(0x1f), lane];
export const f32x4Add = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe4)];
export const f32x4Mul = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe6)];
/** Relaxed SIMD f32x4.relaxed_madd: a·b + c, fused (one rounding) where the engine has FMA, else a·b then + c. */
export const f32x4RelaxedMadd = (a: Code, b: Code, c: Code): Code => [...a, ...b, ...c, ...simd(0x105)];

/**
 * `while (!exit) { body }`: a block around a loop; `exit` is tested before each pass. Branch depths
 * inside `body` are relative to the loop (br 0 continues, br 1 leaves).
 */
export const whileNot = (exit: Code, body: Code): Code => [0x02, 0x40, 0x03, 0x40, ...exit, 0x0d, 1, ...body, 0x0c, 0, 0x0b, 0x0b];

// ---- module ------------------------------------------------------------------------------------------
export interface WasmFunction {
  readonly name: string;
  readonly params: readonly ValType[];
  readonly locals: readonly ValType[];
  readonly body: Code;
}

/**
 * A module importing `env.memory` and the given immutable i32 globals (`env.<name>`, global indices in
 * order), exporting the given functions (no results: they write memory).
 */
export const module = (fns: readonly WasmFunction[], globals: readonly string[] = []): Uint8Array => {
  const types = section(1, vec(fns.map((f) => [0x60, ...vec(f.params.map((p) => [p])), 0])));
  const imports = section(2, vec([[...utf8('env'), ...utf8('memory'), 0x02, 0x00, 0], ...globals.map((g) => [...utf8('env'), ...utf8(g), 0x03, I32, 0])]));
  const funcs = section(3, vec(fns.map((_, i) => u32(i))));
  const exports = section(7, vec(fns.map((f, i) => [...utf8(f.name), 0x00, ...u32(i)])));
  const code = section(
    10,
    vec(
      fns.map((f) => {
        const locals = vec(f.locals.map((t) => [1, t]));
        const body = [...locals, ...f.body, 0x0b];
        return [...u32(body.length), ...body];
      }),
    ),
  );
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...types, ...imports, ...funcs, ...exports, ...code]);
};

// ---- programs: imported functions, results, and the f64 / i32 instructions the loop printer needs ------
export const F64 = 0x7c;
export type AnyValType = ValType | typeof F64;

/** A function type: parameters and results. */
export interface FnType {
  readonly params: readonly AnyValType[];
  readonly results: readonly AnyValType[];
}

export interface ProgramFunction extends FnType {
  readonly locals: readonly AnyValType[];
  readonly body: Code;
  /** Exported under this name when given. */
  readonly export?: string;
  /** Its name in the name section (a generated identifier). */
  readonly name?: string;
}

export interface FunctionImport extends FnType {
  readonly module: string;
  readonly name: string;
}

/**
 * A module importing `env.memory` (at least `minPages` pages) and the given functions, defining `fns`.
 * Function indices: the imports first, in order, then `fns`.
 */
export const programModule = (imports: readonly FunctionImport[], fns: readonly ProgramFunction[], minPages: number): Uint8Array => {
  const types: string[] = [];
  const typeIndex = (t: FnType): number => {
    const key = `${t.params.join(',')}:${t.results.join(',')}`;
    let i = types.indexOf(key);
    if (i < 0) i = types.push(key) - 1;
    return i;
  };
  const importIdx = imports.map(typeIndex);
  const fnIdx = fns.map(typeIndex);
  const typeSec = section(
    1,
    vec(
      types.map((k) => {
        const [p, r] = k.split(':').map((s) => (s ? s.split(',').map(Number) : []));
        return [0x60, ...vec(p!.map((x) => [x])), ...vec(r!.map((x) => [x]))];
      }),
    ),
  );
  const importSec = section(
    2,
    vec([
      [...utf8('env'), ...utf8('memory'), 0x02, 0x00, ...u32(minPages)],
      ...imports.map((im, i) => [...utf8(im.module), ...utf8(im.name), 0x00, ...u32(importIdx[i]!)]),
    ]),
  );
  const funcSec = section(3, vec(fnIdx.map((t) => u32(t))));
  const exported = fns.flatMap((f, i) => (f.export ? [[...utf8(f.export), 0x00, ...u32(imports.length + i)]] : []));
  const exportSec = section(7, vec(exported));
  const code = section(
    10,
    vec(
      fns.map((f) => {
        // runs of equal local types share one declaration
        const runs: number[][] = [];
        for (const t of f.locals) {
          const last = runs[runs.length - 1];
          if (last && last[1] === t) last[0]!++;
          else runs.push([1, t]);
        }
        const body = [...vec(runs.map(([n, t]) => [...u32(n!), t!])), ...f.body, 0x0b];
        return [...u32(body.length), ...body];
      }),
    ),
  );
  // the name section (function names: profilers and stack traces show kernels by name)
  const named = fns.flatMap((f, i) => (f.name ? [[...u32(imports.length + i), ...utf8(f.name)]] : []));
  const names = named.length ? section(0, [...utf8('name'), 1, ...u32(vec(named).length), ...vec(named)]) : [];
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...typeSec, ...importSec, ...funcSec, ...exportSec, ...code, ...names]);
};

/** An f64 constant (any double: NaN, ±Infinity and −0 included), little-endian IEEE 754. */
export const f64Const = (x: number): Code => {
  const b = new Uint8Array(new Float64Array([x]).buffer);
  return [0x44, ...b];
};
export const tee = (l: number, value: Code): Code => [...value, 0x22, ...u32(l)];
export const call = (fn: number, args: readonly Code[]): Code => [...args.flat(), 0x10, ...u32(fn)];
/** Opcodes of the numeric instructions by name (core spec §5.4.7), for the printer's tables. */
export const OP = {
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtS: 0x48,
  i32GtS: 0x4a,
  i32LeS: 0x4c,
  i32GeS: 0x4e,
  f64Eq: 0x61,
  f64Ne: 0x62,
  f64Lt: 0x63,
  f64Gt: 0x64,
  f64Le: 0x65,
  f64Ge: 0x66,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Or: 0x72,
  i32Shl: 0x74,
  f64Abs: 0x99,
  f64Neg: 0x9a,
  f64Ceil: 0x9b,
  f64Floor: 0x9c,
  f64Trunc: 0x9d,
  f64Nearest: 0x9e,
  f64Sqrt: 0x9f,
  f64Add: 0xa0,
  f64Sub: 0xa1,
  f64Mul: 0xa2,
  f64Div: 0xa3,
  f64Min: 0xa4,
  f64Max: 0xa5,
  f32DemoteF64: 0xb6,
  f64ConvertI32S: 0xb7,
  f64PromoteF32: 0xbb,
  i64ReinterpretF64: 0xbd,
  f64ReinterpretI64: 0xbf,
  select: 0x1b,
  drop: 0x1a,
  return: 0x0f,
} as const;
export const op = (code: number, ...args: readonly Code[]): Code => [...args.flat(), code];
export const f64Load = (addr: Code, offset = 0): Code => [...addr, 0x2b, ...memarg(3, offset)];
export const f64Store = (addr: Code, value: Code, offset = 0): Code => [...addr, ...value, 0x39, ...memarg(3, offset)];
/** i32.trunc_sat_f64_s (no trap: NaN → 0, out of range → the nearest bound). */
export const i32TruncSatF64 = (x: Code): Code => [...x, 0xfc, 2];
/** memory.copy dst ← src, n bytes (bulk memory). */
export const memoryCopy = (dst: Code, src: Code, n: Code): Code => [...dst, ...src, ...n, 0xfc, 10, 0, 0];
/** memory.fill dst with the byte value, n bytes (bulk memory). */
export const memoryFill = (dst: Code, value: Code, n: Code): Code => [...dst, ...value, ...n, 0xfc, 11, 0];
/** `if (c) { then } else { otherwise }` producing one value of type t (or none: t undefined). */
export const ifElse = (c: Code, t: AnyValType | undefined, then: Code, otherwise?: Code): Code => [
  ...c,
  0x04,
  t ?? 0x40,
  ...then,
  ...(otherwise ? [0x05, ...otherwise] : []),
  0x0b,
];
/** `do { body } while (cond)`: a loop whose body ends with `br_if 0` on cond. */
export const doWhile = (body: Code, cond: Code): Code => [0x03, 0x40, ...body, ...cond, 0x0d, 0, 0x0b];
