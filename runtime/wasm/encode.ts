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
export const f32x4Lane = (x: Code, lane: number): Code => [...x, ...simd(0x1f), lane];
export const f32x4Add = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe4)];
export const f32x4Mul = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe6)];

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

/** A module importing `env.memory` and exporting the given functions (no results: they write memory). */
export const module = (fns: readonly WasmFunction[]): Uint8Array => {
  const types = section(1, vec(fns.map((f) => [0x60, ...vec(f.params.map((p) => [p])), 0])));
  const imports = section(2, vec([[...utf8('env'), ...utf8('memory'), 0x02, 0x00, 0]]));
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
