// mm_rows(a, sam, sak, b, sbk, c, M, N, K): C[M, N] = A · B with B's rows contiguous (its column
// stride 4 bytes), A any strides, C row-major and contiguous; pointers and strides in bytes.
//
// Columns outer: for each panel of 8 columns of B, every block of rows passes over it while it sits in
// L1. From PACK_MIN_ROWS rows on, the panel is first copied into the kernels' scratch (env.scratch, a
// KC × 8 block of floats, k-major: one 32-byte row per k), so the inner loop reads B at constant
// offsets from one pointer, and K is taken KC rows at a time (each block continues from the sums the
// previous one stored: C is float32 as the running sums are, so the result is the same bits). The
// register tile is 4 rows × 8 columns (8 accumulators); each step k broadcasts A[i+r, k] with
// v128.load32_splat (a load, no shuffle) and adds its products with two vectors of B. Remainders:
// tiles of 2 and 1 rows, 4 columns and 1 column. Every element is summed over k ascending in one lane.
import {
  F32,
  I32,
  OP,
  V128,
  add,
  eqz,
  f32Add,
  f32Const0,
  f32Load,
  f32Mul,
  f32Store,
  f32x4Add,
  f32x4Mul,
  f32x4RelaxedMadd,
  geS,
  get,
  globalGet,
  gtS,
  i32,
  ifElse,
  inc,
  mul,
  op,
  set,
  sub,
  v128Load,
  v128Load32Splat,
  v128Store,
  v128Zero,
  whileNot,
  doWhile,
  type Code,
  type WasmFunction,
} from './encode.js';
import { Frame, range } from './frame.js';

export interface RowsOptions {
  /** a·b + c as one relaxed-SIMD fused multiply-add. */
  readonly fma: boolean;
  /** Pack B's panels from this many rows of A on (below, the copy costs more than it saves). */
  readonly packMin: number;
}

/** k rows of B per packed block; the scratch holds one block of one panel (KC × 8 floats). */
export const KC = 512;
export const SCRATCH_BYTES = KC * 32;
// Measured (256³, interleaved in one process): 4 × 8 beat 5 × 8, 6 × 8 and 4 × 12 (V8 has 15 vector
// registers: spills), and unrolling k by 2 or 4 was slower than V8's own handling of the 1-step loop.
export const DEFAULT_ROWS: RowsOptions = { fma: false, packMin: 8 };

export const mmRows = (o: RowsOptions = DEFAULT_ROWS, name = 'mm_rows'): WasmFunction => {
  const params = ['a', 'sam', 'sak', 'b', 'sbk', 'c', 'M', 'N', 'K'];
  const f = new Frame(params);
  for (const n of ['i', 'j', 'k', 'pa', 'pb', 'pc', 'ldc', 'k0', 'kc', 'ps', 'pd']) f.local(n, I32);
  for (const r of range(4)) f.local(`ra${r}`, I32); // row offsets r·sam
  for (const r of range(4)) f.local(`rc${r}`, I32); // row offsets r·ldc
  for (const v of range(2)) f.local(`b${v}`, V128);
  f.local('av', V128);
  for (const r of range(4)) for (const v of range(2)) f.local(`acc${r}${v}`, V128);
  f.local('fb', F32);
  for (const r of range(4)) f.local(`facc${r}`, F32);
  const L = (n: string) => get(f.at(n));
  const S = globalGet(0);
  const fma = (a: Code, b: Code, c: Code): Code => (o.fma ? f32x4RelaxedMadd(a, b, c) : f32x4Add(c, f32x4Mul(a, b)));

  /**
   * One tile of mr rows and nv vectors of 4 columns (nv = 0: one scalar column): B read in place over
   * all of K, or (packed) from the scratch's block of kc rows.
   */
  const tile = (mr: number, nv: number, packed: boolean): Code => {
    const acc = (r: number, v: number) => f.at(nv === 0 ? `facc${r}` : `acc${r}${v}`);
    const cols = nv === 0 ? [0] : range(nv);
    const aAt = (r: number): Code => add(L('pa'), L(`ra${r}`));
    const step: Code = [
      ...(nv === 0
        ? [...set(f.at('fb'), f32Load(L('pb'))), ...range(mr).flatMap((r) => set(acc(r, 0), f32Add(get(acc(r, 0)), f32Mul(f32Load(aAt(r)), L('fb')))))]
        : [
            ...cols.flatMap((v) => set(f.at(`b${v}`), v128Load(L('pb'), 16 * v))),
            ...range(mr).flatMap((r) => [
              ...set(f.at('av'), v128Load32Splat(aAt(r))),
              ...cols.flatMap((v) => set(acc(r, v), fma(L('av'), L(`b${v}`), get(acc(r, v))))),
            ]),
          ]),
      ...inc(f.at('pa'), L('sak')),
      ...inc(f.at('pb'), packed ? i32(32) : L('sbk')),
      ...inc(f.at('k'), i32(-1)),
    ];
    const kLoop = whileNot(eqz(L('k')), step);
    const cAt = (r: number): Code => add(L('pc'), L(`rc${r}`));
    const zero = range(mr).flatMap((r) => cols.flatMap((v) => set(acc(r, v), nv === 0 ? f32Const0 : v128Zero)));
    const store = (r: number, v: number): Code => (nv === 0 ? f32Store(cAt(r), get(acc(r, v))) : v128Store(cAt(r), get(acc(r, v)), 16 * v));
    return [
      ...set(f.at('pc'), add(L('c'), add(mul(L('i'), L('ldc')), mul(L('j'), i32(4))))),
      // a later block of K continues from what the earlier ones stored
      ...(packed
        ? ifElse(
            eqz(L('k0')),
            undefined,
            zero,
            range(mr).flatMap((r) => cols.flatMap((v) => set(acc(r, v), v128Load(cAt(r), 16 * v)))),
          )
        : zero),
      ...set(f.at('pa'), add(L('a'), add(mul(L('i'), L('sam')), packed ? mul(L('k0'), L('sak')) : i32(0)))),
      ...set(f.at('pb'), packed ? S : add(L('b'), mul(L('j'), i32(4)))),
      ...set(f.at('k'), packed ? L('kc') : L('K')),
      ...kLoop,
      ...range(mr).flatMap((r) => cols.flatMap((v) => store(r, v))),
    ];
  };
  const width = (nv: number) => (nv === 0 ? 1 : 4 * nv);
  const rowsLoop = (mr: number, inner: Code): Code => whileNot(gtS(add(L('i'), i32(mr)), L('M')), [...inner, ...inc(f.at('i'), i32(mr))]);
  const allRows = (nv: number, packed: boolean): Code => [...set(f.at('i'), i32(0)), ...[4, 2, 1].flatMap((mr) => rowsLoop(mr, tile(mr, nv, packed)))];
  const colsLoop = (nv: number, inner: Code): Code => whileNot(gtS(add(L('j'), i32(width(nv))), L('N')), [...inner, ...inc(f.at('j'), i32(width(nv)))]);
  // B[k0 .. k0 + kc, j .. j + 8] → the scratch, one 32-byte row per k
  const pack: Code = [
    ...set(f.at('ps'), add(L('b'), add(mul(L('k0'), L('sbk')), mul(L('j'), i32(4))))),
    ...set(f.at('pd'), S),
    ...set(f.at('k'), L('kc')),
    ...whileNot(eqz(L('k')), [
      ...v128Store(L('pd'), v128Load(L('ps'))),
      ...v128Store(L('pd'), v128Load(L('ps'), 16), 16),
      ...inc(f.at('ps'), L('sbk')),
      ...inc(f.at('pd'), i32(32)),
      ...inc(f.at('k'), i32(-1)),
    ]),
  ];
  const rest = sub(L('K'), L('k0'));
  const packedPanels: Code = colsLoop(2, [
    ...set(f.at('k0'), i32(0)),
    ...doWhile(
      [...set(f.at('kc'), op(OP.select, i32(KC), rest, gtS(rest, i32(KC)))), ...pack, ...allRows(2, true), ...inc(f.at('k0'), L('kc'))],
      op(OP.i32LtS, L('k0'), L('K')),
    ),
  ]);
  const body: Code = [
    ...set(f.at('ldc'), mul(L('N'), i32(4))),
    ...range(4).flatMap((r) => [...set(f.at(`ra${r}`), mul(L('sam'), i32(r))), ...set(f.at(`rc${r}`), mul(L('ldc'), i32(r)))]),
    ...set(f.at('j'), i32(0)),
    ...ifElse(geS(L('M'), i32(o.packMin)), undefined, packedPanels),
    ...[2, 1, 0].flatMap((nv) => colsLoop(nv, allRows(nv, false))),
  ];
  return f.fn(name, params.length, body);
};
