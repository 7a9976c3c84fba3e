// The C text every native module starts with: the real type, the math helpers the loop IR's
// intrinsics need beyond libm (with JavaScript's semantics: ops/math.ts), and in float32 the two
// matrix-product kernels the generated code calls (the same contracts as the WebAssembly ones,
// runtime/wasm/matmulKernels.ts: byte strides, C row-major and contiguous):
//
//   mm_rows(a, sam, sak, b, sbk, c, M, N, K)   B's rows contiguous, A any strides
//       a 6-row × 2-vector register tile: per k, broadcast A[i+r, k], multiply-add two vectors of
//       B[k, j..j+2V) (V = 16 floats with AVX-512, 8 with AVX2); columns past the last full vector
//       are a 6-row × 1 tile over a zero-padded copy of B's last columns.
//   mm_dots(a, sam, b, sbn, c, M, N, K)        A's rows and B's columns contiguous along k (A·Bᵀ)
//       from 8 rows on, Bᵀ copied into a contiguous panel (cache-blocked) and mm_rows; below, a 4 × 4
//       tile of dot products, each a vector accumulator over k summed across lanes at the end.
//
// Vectors are GCC/Clang vector extensions with 4-byte alignment (unaligned loads), so the compiler
// picks AVX-512, AVX2 or SSE for -march=native and no intrinsics header is needed.

const INCLUDES = String.raw`
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
`;

// glibc declares its vector math functions (libmvec) only under full -ffast-math; with NaN and ∞ kept
// (-fno-finite-math-only) they are declared here, so loops calling exp, log, tanh, … vectorize.
// Only functions the running glibc has: the first five since 2.22, the rest since 2.35.
const SIMD_MATH_OLD = ['exp', 'log', 'sin', 'cos', 'pow'];
const SIMD_MATH_235 = ['tanh', 'expm1', 'log1p', 'sinh', 'cosh', 'tan', 'asin', 'acos', 'atan', 'asinh', 'acosh', 'atanh', 'erf'];
const simdDecl = (f: string): string => {
  const args = (t: string) => (f === 'pow' ? `${t}, ${t}` : t);
  return `__attribute__((__simd__("notinbranch"))) float ${f}f(${args('float')});\n__attribute__((__simd__("notinbranch"))) double ${f}(${args('double')});`;
};
const SIMD_MATH = `#if defined(__x86_64__) && defined(__GLIBC__) && !defined(__FAST_MATH__)
${SIMD_MATH_OLD.map(simdDecl).join('\n')}
#if __GLIBC_PREREQ(2, 35)
${SIMD_MATH_235.map(simdDecl).join('\n')}
#endif
#endif
`;

const COMMON = String.raw`
static inline real dlm_max(real a, real b) { return a != a ? a : (a > b ? a : b); }
static inline real dlm_min(real a, real b) { return a != a ? a : (a < b ? a : b); }
/* rounding to float32 (upsample's nearest indices, as ops/math.ts fround) */
static inline real dlm_fround(real x) { return (real)(float)x; }
static inline real dlm_sign(real x) { return x > 0 ? (real)1 : x < 0 ? (real)-1 : (real)0; }
/* σ(x) without overflow: 1/(1+e⁻ˣ) for x ≥ 0, eˣ/(1+eˣ) otherwise */
static inline real dlm_sigmoid(real x) { real e = DLM_EXP(-(x < 0 ? -x : x)); return x >= 0 ? 1 / (1 + e) : e / (1 + e); }
/* murmur3-style finalizer over (key, stream, index), as ops/math.ts uniform (JavaScript's ToInt32 and Math.imul) */
static inline uint32_t dlm_u32(double x) { return (uint32_t)(uint64_t)(int64_t)x; }
static inline real dlm_uniform(real key, real stream, real i) {
  uint32_t h = ((dlm_u32(key) ^ 0x9e3779b9u) * 0x85ebca6bu) ^ (dlm_u32((double)stream + 1) * 0xc2b2ae35u) ^ (dlm_u32((double)i + 1) * 0x27d4eb2fu);
  h ^= h >> 16; h *= 0x85ebca6bu; h ^= h >> 13; h *= 0xc2b2ae35u; h ^= h >> 16;
  return (real)((double)h / 4294967296.0);
}
`;

const F32 = String.raw`
typedef float elem;
typedef double real;
#define DLM_EXP exp
/* finiteness from the bits, so it holds whatever floating-point flags the module is compiled with */
static inline int dlm_finite(float x) { uint32_t u; memcpy(&u, &x, 4); return (u & 0x7f800000u) != 0x7f800000u; }
`;

const F64 = String.raw`
typedef double elem;
typedef double real;
#define DLM_EXP exp
static inline int dlm_finite(double x) { uint64_t u; memcpy(&u, &x, 8); return (u & 0x7ff0000000000000ull) != 0x7ff0000000000000ull; }
`;

const ISFINITE = String.raw`
static inline real dlm_isfinite(real x) { uint64_t u; memcpy(&u, &x, 8); return (u & 0x7ff0000000000000ull) != 0x7ff0000000000000ull ? 1 : 0; }
`;

const MATMUL = String.raw`
#define HIDDEN __attribute__((visibility("hidden")))
#if defined(__AVX512F__)
#define VW 16
#elif defined(__AVX__)
#define VW 8
#else
#define VW 4
#endif
typedef float vf __attribute__((vector_size(VW * 4), aligned(4)));
#define AI static inline __attribute__((always_inline))
AI vf vload(const float *p) { vf v; memcpy(&v, p, sizeof v); return v; }
AI void vstore(float *p, vf v) { memcpy(p, &v, sizeof v); }
AI float hsum(vf v) { float s = 0; for (int l = 0; l < VW; l++) s += v[l]; return s; }

/* C[0..mr, 0..nv·VW) = A[0..mr, :] · B[:, 0..nv·VW); element strides; mr ≤ 6, nv ≤ 2 */
AI void rows_tile(int mr, int nv, const float *a, long sam, long sak, const float *b, long sbk, float *c, long ldc, long K) {
  vf acc[6][2];
  for (int r = 0; r < 6; r++) for (int v = 0; v < 2; v++) acc[r][v] = (vf){0};
  for (long k = 0; k < K; k++) {
    const float *bk = b + k * sbk;
    vf b0 = vload(bk), b1 = nv > 1 ? vload(bk + VW) : (vf){0};
    for (int r = 0; r < mr; r++) {
      vf av = (vf){0} + a[r * sam + k * sak];
      acc[r][0] += av * b0;
      if (nv > 1) acc[r][1] += av * b1;
    }
  }
  for (int r = 0; r < mr; r++) for (int v = 0; v < nv; v++) vstore(c + r * ldc + v * VW, acc[r][v]);
}

/* The same for a tile of w < VW columns, B read from a zero-padded panel [K, VW]. */
AI void rows_tail(int mr, int w, const float *a, long sam, long sak, const float *panel, float *c, long ldc, long K) {
  vf acc[6];
  for (int r = 0; r < 6; r++) acc[r] = (vf){0};
  for (long k = 0; k < K; k++) {
    vf b0 = vload(panel + k * VW);
    for (int r = 0; r < mr; r++) acc[r] += ((vf){0} + a[r * sam + k * sak]) * b0;
  }
  for (int r = 0; r < mr; r++) for (int j = 0; j < w; j++) c[r * ldc + j] = acc[r][j];
}

/* Full tiles are specialized (constant mr, nv: accumulators in registers); remainders share one generic copy. */
static __attribute__((noinline)) void rows_any(int mr, int nv, const float *a, long sam, long sak, const float *b, long sbk, float *c, long ldc, long K) {
  rows_tile(mr, nv, a, sam, sak, b, sbk, c, ldc, K);
}
static __attribute__((noinline)) void tail_any(int mr, int w, const float *a, long sam, long sak, const float *panel, float *c, long ldc, long K) {
  rows_tail(mr, w, a, sam, sak, panel, c, ldc, K);
}
#define ROWS(nv, ...) do { if (mr == 6) rows_tile(6, nv, __VA_ARGS__); else rows_any(mr, nv, __VA_ARGS__); } while (0)
#define TAIL(...) do { if (mr == 6) rows_tail(6, __VA_ARGS__); else tail_any(mr, __VA_ARGS__); } while (0)

static float *dlm_panel; static long dlm_panel_size;

/* Products of at least this many multiply-adds split their row blocks over the OpenMP threads. */
#define DLM_PARALLEL_MACS (1L << 22)

HIDDEN void mm_rows(const float *a, long sam, long sak, const float *b, long sbk, float *c, long M, long N, long K) {
  sam /= 4; sak /= 4; sbk /= 4;
  long j2 = N - N % (2 * VW), j1 = N - N % VW;
  int w = (int)(N - j1);
  if (w) {
    if (dlm_panel_size < K * VW) { free(dlm_panel); dlm_panel = malloc(sizeof(float) * K * VW); dlm_panel_size = K * VW; }
    for (long k = 0; k < K; k++) for (int j = 0; j < VW; j++) dlm_panel[k * VW + j] = j < w ? b[k * sbk + j1 + j] : 0;
  }
  const float *panel = dlm_panel;
  long blocks = (M + 5) / 6;
#ifdef _OPENMP
  #pragma omp parallel for schedule(static) if (M * N * K >= DLM_PARALLEL_MACS)
#endif
  for (long ib = 0; ib < blocks; ib++) {
    long i = ib * 6;
    int mr = M - i < 6 ? (int)(M - i) : 6;
    const float *ai = a + i * sam;
    float *ci = c + i * N;
    for (long j = 0; j < j2; j += 2 * VW) ROWS(2, ai, sam, sak, b + j, sbk, ci + j, N, K);
    if (j1 > j2) ROWS(1, ai, sam, sak, b + j2, sbk, ci + j2, N, K);
    if (w) TAIL(w, ai, sam, sak, panel, ci + j1, N, K);
  }
}

/* C[0..mr, 0..nr) of dot products A[r, :] · B[c, :] (both contiguous along k); mr, nr ≤ 4 */
AI void dots_tile(int mr, int nr, const float *a, long sam, const float *b, long sbn, float *c, long ldc, long K) {
  vf acc[4][4];
  for (int r = 0; r < 4; r++) for (int q = 0; q < 4; q++) acc[r][q] = (vf){0};
  long kv = K - K % VW;
  for (long k = 0; k < kv; k += VW) {
    vf av[4];
    for (int r = 0; r < mr; r++) av[r] = vload(a + r * sam + k);
    for (int q = 0; q < nr; q++) { vf bv = vload(b + q * sbn + k); for (int r = 0; r < mr; r++) acc[r][q] += av[r] * bv; }
  }
  for (int r = 0; r < mr; r++) for (int q = 0; q < nr; q++) {
    float s = hsum(acc[r][q]);
    for (long k = kv; k < K; k++) s += a[r * sam + k] * b[q * sbn + k];
    c[r * ldc + q] = s;
  }
}

static __attribute__((noinline)) void dots_any(int mr, int nr, const float *a, long sam, const float *b, long sbn, float *c, long ldc, long K) {
  dots_tile(mr, nr, a, sam, b, sbn, c, ldc, K);
}

static float *dlm_tpanel; static long dlm_tpanel_size;

HIDDEN void mm_dots(const float *a, long sam, const float *b, long sbn, float *c, long M, long N, long K) {
  if (M >= 8 && N >= VW) {
    /* enough rows to pay for it: Bᵀ into a contiguous [K, N] panel, then the row kernel */
    if (dlm_tpanel_size < K * N) { free(dlm_tpanel); dlm_tpanel = malloc(sizeof(float) * K * N); dlm_tpanel_size = K * N; }
    long ebn = sbn / 4;
    for (long j0 = 0; j0 < N; j0 += 64)
      for (long k0 = 0; k0 < K; k0 += 64)
        for (long j = j0; j < N && j < j0 + 64; j++)
          for (long k = k0; k < K && k < k0 + 64; k++) dlm_tpanel[k * N + j] = b[j * ebn + k];
    mm_rows(a, sam, 4, dlm_tpanel, 4 * N, c, M, N, K);
    return;
  }
  sam /= 4; sbn /= 4;
  for (long i = 0; i < M; i += 4) {
    int mr = M - i < 4 ? (int)(M - i) : 4;
    for (long j = 0; j < N; j += 4) {
      int nr = N - j < 4 ? (int)(N - j) : 4;
      if (mr == 4 && nr == 4) dots_tile(4, 4, a + i * sam, sam, b + j * sbn, sbn, c + i * N + j, N, K);
      else dots_any(mr, nr, a + i * sam, sam, b + j * sbn, sbn, c + i * N + j, N, K);
    }
  }
}
`;

/** Declarations of the kernels, which are compiled once into their own object (kernelsC) and linked in. */
const KERNEL_DECLS = String.raw`
__attribute__((visibility("hidden"))) void mm_rows(const float *a, long sam, long sak, const float *b, long sbk, float *c, long M, long N, long K);
__attribute__((visibility("hidden"))) void mm_dots(const float *a, long sam, const float *b, long sbn, float *c, long M, long N, long K);
`;

/** The prelude of a module in this precision (float32 modules also declare the matrix-product kernels). */
export const cPrelude = (precision: 'f32' | 'f64'): string =>
  INCLUDES + SIMD_MATH + (precision === 'f32' ? F32 : F64) + COMMON + ISFINITE + (precision === 'f32' ? KERNEL_DECLS : '');

/** The source of the kernels' object, compiled once per compiler and flags (runtime/native/load.ts). */
export const kernelsC = (): string => INCLUDES + MATMUL;
