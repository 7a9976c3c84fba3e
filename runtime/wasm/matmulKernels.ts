// Float32 matrix products in WebAssembly SIMD (f32x4), C[M, N] = A[M, K] · B[K, N], C row-major and
// contiguous. Pointers and strides are in bytes. Two layouts cover what forward and backward passes need:
//
//   mm_rows(a, sam, sak, b, sbk, c, M, N, K)  B's rows contiguous (sbn = 4 bytes), A any strides
//       (mmRows.ts: a 4-row × 8-column register tile over panels of B packed into the scratch).
//       Covers x·W, and Aᵀ·B (a weight gradient) since A is read one scalar at a time.
//   mm_dots(a, sam, b, sbn, c, M, N, K)       A's rows and B's columns contiguous along k (A·Bᵀ):
//       a 2 × 4 tile of dot products, each a vector accumulator over k summed across lanes at the end.
//
// The module imports `env.memory` and `env.scratch`, the byte address of SCRATCH_BYTES bytes (16-byte
// aligned) of that memory the kernels may overwrite at every call. Each kernel is generated from one tile
// function for every (rows, columns) remainder, so any M, N, K works. Summation order per element is k
// ascending within a lane (mm_rows matches scalar code exactly up to float32 rounding of the running
// sum; mm_dots sums four interleaved partial sums). With `fma` (relaxed SIMD, where the engine has it:
// features.ts) mm_rows multiplies and adds with f32x4.relaxed_madd, one rounding per step instead of two.
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
  get,
  gtS,
  i32,
  inc,
  module,
  mul,
  set,
  shrU,
  v128Load,
  v128Zero,
  whileNot,
  type Code,
  type WasmFunction,
} from './encode.js';
import { Frame, range } from './frame.js';
import { DEFAULT_ROWS, mmRows } from './mmRows.js';

export { SCRATCH_BYTES } from './mmRows.js';

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

/** The kernels' module bytes (with fused multiply-adds or without), each built once. */
const bytes: (Uint8Array | undefined)[] = [];
export const matmulModuleBytes = (fma = false): Uint8Array => (bytes[+fma] ??= module([mmRows({ ...DEFAULT_ROWS, fma }), mmDots()], ['scratch']));
