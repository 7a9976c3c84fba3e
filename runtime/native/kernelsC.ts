// The float32 matrix-product kernels the generated C calls, compiled once per compiler and flags into
// their own objects and linked into every module (runtime/native/load.ts). The same contracts as the
// WebAssembly ones (runtime/wasm/matmulKernels.ts): byte strides, C row-major and contiguous, overwritten.
//
//   mm_rows(a, sam, sak, b, sbk, c, M, N, K)   B's rows contiguous, A any strides
//   mm_dots(a, sam, b, sbn, c, M, N, K)        A's rows and B's columns contiguous along k (A·Bᵀ)
//   mm_strided(a, sam, sak, b, sbk, sbn, c, M, N, K)   any strides (native only: the packed product)
//
// Large products (see packed()) go to the packed product (gemmC.ts). Smaller ones stream B directly:
//   mm_rows: one or two rows (a matrix–vector product, batch 1): a tile of up to 8 vectors; else
//     a 6-row × 2-vector register tile: per k, broadcast A[i+r, k], multiply-add two vectors of
//     B[k, j..j+2V) (V = 16 floats with AVX-512, 8 with AVX2); columns past the last full vector are a
//     6-row × 1 tile over a zero-padded copy of B's last columns.
//   mm_dots: from 8 rows on, Bᵀ copied into a contiguous panel (cache-blocked) and mm_rows; below, a
//     DR × 4 tile of dot products (DR 4 with AVX-512, 3 otherwise), each a vector accumulator over k summed
//     across lanes at the end.
// Threads (the kernels' pool, poolC.ts) take units of row blocks, so every element is summed in the same
// order whatever the thread count: results do not depend on it.
//
// Vectors are GCC/Clang vector extensions with 4-byte alignment (unaligned loads), so the compiler
// picks AVX-512, AVX2 or SSE for -march=native and no intrinsics header is needed.
import { GEMM_C } from './gemmC.js';
import { POOL_C } from './poolC.js';
import { INCLUDES } from './preludeC.js';

/** What the mm_rows and mm_dots parts share: vectors, the thread count, when to pack. */
const SHARED = String.raw`
#define HIDDEN __attribute__((visibility("hidden")))
#if defined(__AVX512F__)
#define VW 16
#elif defined(__AVX__)
#define VW 8
#else
#define VW 4
#endif
typedef float vf __attribute__((vector_size(VW * 4), aligned(4)));
typedef float vf_mem __attribute__((vector_size(VW * 4), aligned(4), may_alias));
#define AI static inline __attribute__((always_inline))
/* through the 4-byte-aligned, may_alias type, not memcpy: with AVX2 tuning gcc copies 32 bytes as two
   16-byte halves through the stack (a store-forwarding stall every load) */
AI vf vload(const float *p) { return *(const vf_mem *)p; }
AI void vstore(float *p, vf v) { *(vf_mem *)p = v; }
AI float hsum(vf v) { float s = 0; for (int l = 0; l < VW; l++) s += v[l]; return s; }

/* Threads for products of at least DLM_PARALLEL_MACS multiply-adds (dlm_set_threads: dlm_run sets it from
   its argument at every call; without OpenMP the pragmas are ignored and one thread runs) */
#define DLM_PARALLEL_MACS (1L << 20)
HIDDEN extern int dlm_threads;
#define THREADS(macs) ((macs) >= DLM_PARALLEL_MACS ? dlm_threads : 1)

/* The packed product from this size on: B too big for L1 (its rows then also conflict in the cache
   when their stride is a power of two) and enough rows to amortize packing it (measured on AVX-512). */
static inline int packed(long M, long N, long K) { return M >= 32 && N >= 16 && K * N > 12288; }

__attribute__((visibility("hidden"))) void dlm_gemm(const float *a, long sam, long sak, const float *b, long sbk, long sbn,
                                                    float *c, long M, long N, long K, int threads);
HIDDEN void mm_rows(const float *a, long sam, long sak, const float *b, long sbk, float *c, long M, long N, long K);
/* fn(ctx, u) for u in [0, units) on up to threads threads (poolC.ts) */
HIDDEN void dlm_parallel(int threads, void (*fn)(void *, long), void *ctx, long units);
`;

const ROWS = String.raw`
HIDDEN int dlm_threads = 1;
void dlm_set_threads(int n) { dlm_threads = n < 1 ? 1 : n; }
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

/* One or two rows × up to 8 vectors (a matrix–vector product): 8 to 16 independent accumulators hide
   the multiply-add latency that a 1 × 2-vector tile waits on every k. */
AI void rows_wide(int mr, int nv, const float *a, long sam, long sak, const float *b, long sbk, float *c, long ldc, long K) {
  vf acc[2][8];
  for (int r = 0; r < 2; r++) for (int v = 0; v < 8; v++) acc[r][v] = (vf){0};
  for (long k = 0; k < K; k++) {
    const float *bk = b + k * sbk;
    vf a0 = (vf){0} + a[k * sak], a1 = mr > 1 ? (vf){0} + a[sam + k * sak] : (vf){0};
    for (int v = 0; v < nv; v++) {
      vf bv = vload(bk + v * VW);
      acc[0][v] += a0 * bv;
      if (mr > 1) acc[1][v] += a1 * bv;
    }
  }
  for (int r = 0; r < mr; r++) for (int v = 0; v < nv; v++) vstore(c + r * ldc + v * VW, acc[r][v]);
}
static __attribute__((noinline)) void wide_any(int mr, int nv, const float *a, long sam, long sak, const float *b, long sbk, float *c, long ldc, long K) {
  rows_wide(mr, nv, a, sam, sak, b, sbk, c, ldc, K);
}
#define WIDE(nv, ...) do { \
    if (mr == 1 && nv == 8) rows_wide(1, 8, __VA_ARGS__); else if (mr == 1 && nv == 4) rows_wide(1, 4, __VA_ARGS__); \
    else if (mr == 2 && nv == 8) rows_wide(2, 8, __VA_ARGS__); else wide_any(mr, nv, __VA_ARGS__); } while (0)

static float *dlm_panel; static long dlm_panel_size;

struct rows_job { const float *a; long sam, sak; const float *b; long sbk; float *c; long M, N, K; const float *panel; long blocks, units; };

/* unit u: the blocks of 6 rows [blocks·u/units, blocks·(u+1)/units) */
static void rows_unit(void *ctx, long u) {
  const struct rows_job *g = ctx;
  const float *a = g->a, *b = g->b, *panel = g->panel;
  long sam = g->sam, sak = g->sak, sbk = g->sbk, M = g->M, N = g->N, K = g->K;
  long j2 = N - N % (2 * VW), j1 = N - N % VW;
  int w = (int)(N - j1);
  for (long ib = g->blocks * u / g->units; ib < g->blocks * (u + 1) / g->units; ib++) {
    long i = ib * 6;
    int mr = M - i < 6 ? (int)(M - i) : 6;
    const float *ai = a + i * sam;
    float *ci = g->c + i * N;
    for (long j = 0; j < j2; j += 2 * VW) ROWS(2, ai, sam, sak, b + j, sbk, ci + j, N, K);
    if (j1 > j2) ROWS(1, ai, sam, sak, b + j2, sbk, ci + j2, N, K);
    if (w) TAIL(w, ai, sam, sak, panel, ci + j1, N, K);
  }
}

HIDDEN void mm_rows(const float *a, long sam, long sak, const float *b, long sbk, float *c, long M, long N, long K) {
  sam /= 4; sak /= 4; sbk /= 4;
  if (packed(M, N, K)) { dlm_gemm(a, sam, sak, b, sbk, 1, c, M, N, K, THREADS(M * N * K)); return; }
  long j1 = N - N % VW;
  int w = (int)(N - j1);
  if (w) {
    if (dlm_panel_size < K * VW) { free(dlm_panel); dlm_panel = malloc(sizeof(float) * K * VW); dlm_panel_size = K * VW; }
    for (long k = 0; k < K; k++) for (int j = 0; j < VW; j++) dlm_panel[k * VW + j] = j < w ? b[k * sbk + j1 + j] : 0;
  }
  const float *panel = dlm_panel;
  if (M <= 2) {
    int mr = (int)M;
    for (long j = 0; j < j1; j += 8 * VW) { int nv = (int)((j1 - j) / VW < 8 ? (j1 - j) / VW : 8); WIDE(nv, a, sam, sak, b + j, sbk, c + j, N, K); }
    if (w) TAIL(w, a, sam, sak, panel, c + j1, N, K);
    return;
  }
  long blocks = (M + 5) / 6;
  int threads = THREADS(M * N * K);
  long units = threads <= 1 ? 1 : 4L * threads;
  struct rows_job r = { a, sam, sak, b, sbk, c, M, N, K, panel, blocks, units < blocks ? units : blocks };
  dlm_parallel(threads, rows_unit, &r, r.units);
}

`;

const DOTS = String.raw`
/* both operands strided (the native backend only): always the packed product */
HIDDEN void mm_strided(const float *a, long sam, long sak, const float *b, long sbk, long sbn, float *c, long M, long N, long K) {
  dlm_gemm(a, sam / 4, sak / 4, b, sbk / 4, sbn / 4, c, M, N, K, THREADS(M * N * K));
}

/* Rows of the dot-product tile: DR × 4 accumulators, DR rows of A and one column of B in registers. With
   AVX2's 16 vector registers a 4 × 4 tile needs 21, and gcc then reloads A for every multiply-add (2 loads
   each); 3 × 4 fits (an LSTM's dh = dgates·W_h, 16 × 128 by K 512, 1.6× faster on Zen 3) */
#if defined(__AVX512F__)
#define DR 4
#else
#define DR 3
#endif
/* C[0..mr, 0..nr) of dot products A[r, :] · B[c, :] (both contiguous along k); mr ≤ DR, nr ≤ 4 */
AI void dots_tile(int mr, int nr, const float *a, long sam, const float *b, long sbn, float *c, long ldc, long K) {
  vf acc[DR][4];
  for (int r = 0; r < DR; r++) for (int q = 0; q < 4; q++) acc[r][q] = (vf){0};
  long kv = K - K % VW;
  for (long k = 0; k < kv; k += VW) {
    vf av[DR];
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
  if (packed(M, N, K)) { dlm_gemm(a, sam / 4, 1, b, 1, sbn / 4, c, M, N, K, THREADS(M * N * K)); return; }
  /* Bᵀ copied into a contiguous [K, N] panel, then the row kernel, pays when there are more rows than
     about 2K/VW: the copy reads all of B with a stride, the tile of dot products below needs none but
     sums each of its accumulators across lanes (measured on AVX-512: 16×128 by K 512, an LSTM's dh =
     dgates·W_h per step, 2.4× faster as dot products; 64×128 by K 64 2× faster through the panel) */
  if (M >= 8 && N >= VW && M * VW > 2 * K) {
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
  for (long i = 0; i < M; i += DR) {
    int mr = M - i < DR ? (int)(M - i) : DR;
    for (long j = 0; j < N; j += 4) {
      int nr = N - j < 4 ? (int)(N - j) : 4;
      if (mr == DR && nr == 4) dots_tile(DR, 4, a + i * sam, sam, b + j * sbn, sbn, c + i * N + j, N, K);
      else dots_any(mr, nr, a + i * sam, sam, b + j * sbn, sbn, c + i * N + j, N, K);
    }
  }
}
`;

/** The kernels' sources: three translation units (the packed product, mm_rows, mm_dots), compiled side by side. */
export const kernelParts = (): readonly string[] => [INCLUDES + POOL_C + GEMM_C, INCLUDES + SHARED + ROWS, INCLUDES + SHARED + DOTS];
