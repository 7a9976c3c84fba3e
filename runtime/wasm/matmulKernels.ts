// Float32 matrix products in WebAssembly SIMD (f32x4), C[M, N] = A[M, K] · B[K, N], C row-major and
// contiguous. Pointers and strides are in bytes. Two layouts cover what forward and backward passes need:
//
//   mm_rows(a, sam, sak, b, sbk, c, M, N, K)  B's rows contiguous (sbn = 4 bytes), A any strides:
//       a 4-row × 8-column register tile (2- and 1-row tiles for the last rows); each step k splats A[i+r, k] and multiplies two vectors of B[k, j..j+8).
//       Covers x·W, and Aᵀ·B (a weight gradient) since A is read one scalar at a time.
//   mm_dots(a, sam, b, sbn, c, M, N, K)       A's rows and B's columns contiguous along k (A·Bᵀ):
//       a 2 × 4 tile of dot products, each a vector accumulator over k summed across lanes at the end.
//
// Each kernel is generated from one tile function for every (rows, columns) remainder, so any M, N, K
// works. Summation order per element is k ascending within a lane (mm_rows matches scalar code exactly
// up to float32 rounding of the running sum; mm_dots sums four interleaved partial sums).
import {
  I32,
  F32,
  V128,
  add,
  and,
  eqz,
  f32Add,
  f32Const0,
  f32Load,
  f32Mul,
  f32Store,
  f32x4Add,
  f32x4Lane,
  f32x4Mul,
  f32x4Splat,
  get,
  gtS,
  i32,
  inc,
  module,
  mul,
  set,
  shrU,
  v128Load,
  v128Store,
  v128Zero,
  whileNot,
  type Code,
  type ValType,
  type WasmFunction,
} from './encode.js';

/** Names local slots: parameters first, then locals in order of declaration. */
class Frame {
  private readonly types: ValType[] = [];
  private readonly names = new Map<string, number>();
  constructor(params: readonly string[]) {
    params.forEach((p) => {
      this.local(p, I32);
    });
  }
  local(name: string, t: ValType): number {
    this.names.set(name, this.types.length);
    this.types.push(t);
    return this.types.length - 1;
  }
  at(name: string): number {
    const i = this.names.get(name);
    if (i === undefined) throw new Error(`wasm kernel: no local ${name}`);
    return i;
  }
  fn(name: string, nParams: number, body: Code): WasmFunction {
    return { name, params: this.types.slice(0, nParams), locals: this.types.slice(nParams), body };
  }
}

const range = (n: number): number[] => [...Array(n).keys()];

const mmRows = (): WasmFunction => {
  const params = ['a', 'sam', 'sak', 'b', 'sbk', 'c', 'M', 'N', 'K'];
  const f = new Frame(params);
  for (const n of ['i', 'j', 'k', 'pa', 'pb', 'pc', 'ldc']) f.local(n, I32);
  for (const r of range(4)) f.local(`ra${r}`, I32); // row offsets r·sam
  for (const r of range(4)) f.local(`rc${r}`, I32); // row offsets r·ldc
  for (const v of range(2)) f.local(`b${v}`, V128);
  f.local('av', V128);
  for (const r of range(4)) for (const v of range(2)) f.local(`acc${r}${v}`, V128);
  f.local('fb', F32);
  for (const r of range(4)) f.local(`facc${r}`, F32);
  const L = (n: string) => get(f.at(n));

  /** One tile: mr rows, and either nv vectors of 4 columns or one scalar column (nv = 0). */
  const tile = (mr: number, nv: number): Code => {
    const width = nv === 0 ? 1 : 4 * nv;
    const acc = (r: number, v: number) => f.at(nv === 0 ? `facc${r}` : `acc${r}${v}`);
    const cols = nv === 0 ? [0] : range(nv);
    const aAt = (r: number): Code => f32Load(add(L('pa'), L(`ra${r}`)));
    const step: Code =
      nv === 0
        ? [...set(f.at('fb'), f32Load(L('pb'))), ...range(mr).flatMap((r) => set(acc(r, 0), f32Add(get(acc(r, 0)), f32Mul(aAt(r), L('fb')))))]
        : [
            ...cols.flatMap((v) => set(f.at(`b${v}`), v128Load(L('pb'), 16 * v))),
            ...range(mr).flatMap((r) => [
              ...set(f.at('av'), f32x4Splat(aAt(r))),
              ...cols.flatMap((v) => set(acc(r, v), f32x4Add(get(acc(r, v)), f32x4Mul(L('av'), L(`b${v}`))))),
            ]),
          ];
    const store = (r: number, v: number): Code =>
      nv === 0 ? f32Store(add(L('pc'), L(`rc${r}`)), get(acc(r, v))) : v128Store(add(L('pc'), L(`rc${r}`)), get(acc(r, v)), 16 * v);
    return whileNot(gtS(add(L('j'), i32(width)), L('N')), [
      ...range(mr).flatMap((r) => cols.flatMap((v) => set(acc(r, v), nv === 0 ? f32Const0 : v128Zero))),
      ...set(f.at('pa'), add(L('a'), mul(L('i'), L('sam')))),
      ...set(f.at('pb'), add(L('b'), mul(L('j'), i32(4)))),
      ...set(f.at('k'), L('K')),
      ...whileNot(eqz(L('k')), [...step, ...inc(f.at('pa'), L('sak')), ...inc(f.at('pb'), L('sbk')), ...inc(f.at('k'), i32(-1))]),
      ...set(f.at('pc'), add(L('c'), add(mul(L('i'), L('ldc')), mul(L('j'), i32(4))))),
      ...range(mr).flatMap((r) => cols.flatMap((v) => store(r, v))),
      ...inc(f.at('j'), i32(width)),
    ]);
  };
  const rows = (mr: number): Code =>
    whileNot(gtS(add(L('i'), i32(mr)), L('M')), [...set(f.at('j'), i32(0)), ...tile(mr, 2), ...tile(mr, 1), ...tile(mr, 0), ...inc(f.at('i'), i32(mr))]);
  const body: Code = [
    ...set(f.at('ldc'), mul(L('N'), i32(4))),
    ...range(4).flatMap((r) => [...set(f.at(`ra${r}`), mul(L('sam'), i32(r))), ...set(f.at(`rc${r}`), mul(L('ldc'), i32(r)))]),
    ...set(f.at('i'), i32(0)),
    ...rows(4),
    ...rows(2),
    ...rows(1),
  ];
  return f.fn('mm_rows', params.length, body);
};

const mmDots = (): WasmFunction => {
  const params = ['a', 'sam', 'b', 'sbn', 'c', 'M', 'N', 'K'];
  const f = new Frame(params);
  for (const n of ['i', 'j', 'k', 'pa', 'pb', 'pc', 'ldc', 'kv', 'kt']) f.local(n, I32);
  for (const r of range(2)) f.local(`ra${r}`, I32);
  for (const c of range(4)) f.local(`rb${c}`, I32);
  for (const r of range(2)) f.local(`av${r}`, V128);
  for (const r of range(2)) for (const c of range(4)) f.local(`acc${r}${c}`, V128);
  for (const r of range(2)) for (const c of range(4)) f.local(`fs${r}${c}`, F32);
  const L = (n: string) => get(f.at(n));

  const tile = (mr: number, nc: number): Code => {
    const cells = range(mr).flatMap((r) => range(nc).map((c) => [r, c] as const));
    const bAt = (c: number, load: (addr: Code) => Code) => load(add(L('pb'), L(`rb${c}`)));
    const vectorStep: Code = [
      ...range(mr).flatMap((r) => set(f.at(`av${r}`), v128Load(add(L('pa'), L(`ra${r}`))))),
      ...range(nc).flatMap((c) => {
        const bv = bAt(c, (p) => v128Load(p));
        return range(mr).flatMap((r) => set(f.at(`acc${r}${c}`), f32x4Add(L(`acc${r}${c}`), f32x4Mul(L(`av${r}`), bv))));
      }),
    ];
    const scalarStep: Code = cells.flatMap(([r, c]) =>
      set(
        f.at(`fs${r}${c}`),
        f32Add(
          L(`fs${r}${c}`),
          f32Mul(
            f32Load(add(L('pa'), L(`ra${r}`))),
            bAt(c, (p) => f32Load(p)),
          ),
        ),
      ),
    );
    const advance = (bytes: number): Code => [...inc(f.at('pa'), i32(bytes)), ...inc(f.at('pb'), i32(bytes)), ...inc(f.at('k'), i32(-1))];
    const hsum = (r: number, c: number): Code => {
      const acc = L(`acc${r}${c}`);
      return f32Add(f32Add(f32Add(f32Add(f32x4Lane(acc, 0), f32x4Lane(acc, 1)), f32x4Lane(acc, 2)), f32x4Lane(acc, 3)), L(`fs${r}${c}`));
    };
    return whileNot(gtS(add(L('j'), i32(nc)), L('N')), [
      ...cells.flatMap(([r, c]) => [...set(f.at(`acc${r}${c}`), v128Zero), ...set(f.at(`fs${r}${c}`), f32Const0)]),
      ...set(f.at('pa'), add(L('a'), mul(L('i'), L('sam')))),
      ...set(f.at('pb'), add(L('b'), mul(L('j'), L('sbn')))),
      ...set(f.at('k'), L('kv')),
      ...whileNot(eqz(L('k')), [...vectorStep, ...advance(16)]),
      ...set(f.at('k'), L('kt')),
      ...whileNot(eqz(L('k')), [...scalarStep, ...advance(4)]),
      ...set(f.at('pc'), add(L('c'), add(mul(L('i'), L('ldc')), mul(L('j'), i32(4))))),
      ...cells.flatMap(([r, c]) => f32Store(add(L('pc'), mul(i32(r), L('ldc'))), hsum(r, c), 4 * c)),
      ...inc(f.at('j'), i32(nc)),
    ]);
  };
  const rows = (mr: number): Code =>
    whileNot(gtS(add(L('i'), i32(mr)), L('M')), [...set(f.at('j'), i32(0)), ...tile(mr, 4), ...tile(mr, 1), ...inc(f.at('i'), i32(mr))]);
  const body: Code = [
    ...set(f.at('ldc'), mul(L('N'), i32(4))),
    ...set(f.at('kv'), shrU(L('K'), i32(2))),
    ...set(f.at('kt'), and(L('K'), i32(3))),
    ...range(2).flatMap((r) => set(f.at(`ra${r}`), mul(L('sam'), i32(r)))),
    ...range(4).flatMap((c) => set(f.at(`rb${c}`), mul(L('sbn'), i32(c)))),
    ...set(f.at('i'), i32(0)),
    ...rows(2),
    ...rows(1),
  ];
  return f.fn('mm_dots', params.length, body);
};

/** The kernels' module bytes, built once. */
let bytes: Uint8Array | undefined;
export const matmulModuleBytes = (): Uint8Array => (bytes ??= module([mmRows(), mmDots()]));
