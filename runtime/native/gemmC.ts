// The packed float32 matrix product of the native kernels (kernelsC.ts calls it for products large
// enough to pay for the packing): C[M, N] = A[M, K] · B[K, N], any element strides for A and B, C
// contiguous.
//
//   for each block of K (at most GKC rows, equal-sized but the last):   pack B's rows of it into panels
//     of GNR columns, panel-major (each panel [kc, GNR] contiguous, zero past column N, at p·kb·GNR for
//     the largest block kb: threads in different blocks never share a panel's place);
//     A's rows contiguous along k (read in place):   for each panel, for each tile of GMR rows, one
//       GMR × GNR register tile (edge tiles: A's rows packed into [kc, GMR]) — the panel stays in L1
//       while A's tiles stream past it from L2;
//     A strided:   for each tile of GMR rows, pack it into [kc, GMR], then for each panel one tile.
//   A register tile: per k, two vector loads of the panel and GMR broadcasts of A, 2·GMR fused
//     multiply-adds into accumulators that start from C (0 in the first block), so each element is
//     summed k ascending, as one thread or many.
// Threads take units of B's panels (poolC.ts): none reads what another writes, so there is no barrier but the end.
//
// Packing makes both operands contiguous whatever their strides (a transposed operand costs one pass),
// keeps the operand reused in L1, and avoids the cache-set conflicts of reading B's rows at
// a power-of-two stride (256 columns). Tiles: 8 × 32 with AVX-512 (16 accumulators), 6 × 16 with AVX2
// (12), 4 × 8 otherwise. Edge tiles go through a full-size scratch tile.

export const GEMM_C = String.raw`
#if defined(__AVX512F__)
#define GW 16
#define GMR 8
#elif defined(__AVX__)
#define GW 8
#define GMR 6
#else
#define GW 4
#define GMR 4
#endif
#define GNR (2 * GW)
#define GKC 384
typedef float gv __attribute__((vector_size(GW * 4), aligned(4)));
typedef float gv_mem __attribute__((vector_size(GW * 4), aligned(4), may_alias));
#define GAI static inline __attribute__((always_inline))
/* through the 4-byte-aligned, may_alias type, not memcpy: with AVX2 tuning gcc copies 32 bytes as two
   16-byte halves through the stack (a store-forwarding stall every load) */
GAI gv gload(const float *p) { return *(const gv_mem *)p; }
GAI void gstore(float *p, gv v) { *(gv_mem *)p = v; }

/* panel p of B's rows [0, kc): d[k·GNR + j] = B[k, p·GNR + j], zero past column N */
static void gemm_pack_b(const float *b, long sbk, long sbn, long kc, long N, float *d, long p) {
  long j0 = p * GNR, w = N - j0 < GNR ? N - j0 : GNR;
  if (sbn == 1 && w == GNR) { for (long k = 0; k < kc; k++) memcpy(d + k * GNR, b + k * sbk + j0, GNR * 4); return; }
  if (w < GNR) for (long k = 0; k < kc; k++) for (long j = w; j < GNR; j++) d[k * GNR + j] = 0;
  if (sbn == 1) { for (long k = 0; k < kc; k++) for (long j = 0; j < w; j++) d[k * GNR + j] = b[k * sbk + j0 + j]; }
  else for (long j = 0; j < w; j++) for (long k = 0; k < kc; k++) d[k * GNR + j] = b[k * sbk + (j0 + j) * sbn];
}

/* A's tile of mr rows: dst[k·GMR + r] = A[r, k], zero past row mr */
static void gemm_pack_a(const float *a, long sam, long sak, long mr, long kc, float *dst) {
  if (sak == 1) { for (long r = 0; r < mr; r++) for (long k = 0; k < kc; k++) dst[k * GMR + r] = a[r * sam + k]; }
  else for (long k = 0; k < kc; k++) for (long r = 0; r < mr; r++) dst[k * GMR + r] = a[r * sam + k * sak];
  for (long r = mr; r < GMR; r++) for (long k = 0; k < kc; k++) dst[k * GMR + r] = 0;
}

/* c[GMR × GNR] (row stride ldc) = (first ? 0 : c) + A · Bp over kc, A's element (r, k) at a[r·ars + k·aks]:
   a packed tile (ars 1, aks GMR) or rows read in place (ars their stride, aks 1). The accumulators are
   named variables c<row><half>, not an array: with AVX2's 16 vector registers gcc kept an array of 12 on
   the stack (43 against 80 GFLOP/s on a 256 product, Zen 3) */
#define GACC(r) gv c##r##0, c##r##1;
#define GINIT(r) if (first) c##r##0 = c##r##1 = (gv){0}; else { c##r##0 = gload(c + r * ldc); c##r##1 = gload(c + r * ldc + GW); }
#define GFMA(r) { gv av = (gv){0} + a[r * ars + k * aks]; c##r##0 += av * b0; c##r##1 += av * b1; }
#define GSTORE(r) { gstore(c + r * ldc, c##r##0); gstore(c + r * ldc + GW, c##r##1); }
#if GMR == 8
#define GROWS(m) m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7)
#elif GMR == 6
#define GROWS(m) m(0) m(1) m(2) m(3) m(4) m(5)
#else
#define GROWS(m) m(0) m(1) m(2) m(3)
#endif
GAI void gemm_tile(long kc, const float *a, long ars, long aks, const float *bp, float *c, long ldc, int first) {
  GROWS(GACC)
  GROWS(GINIT)
#pragma GCC unroll 4
  for (long k = 0; k < kc; k++) {
    gv b0 = gload(bp + k * GNR), b1 = gload(bp + k * GNR + GW);
    GROWS(GFMA)
  }
  GROWS(GSTORE)
}

static __attribute__((noinline)) void gemm_full(long kc, const float *ap, const float *bp, float *c, long ldc, int first) {
  gemm_tile(kc, ap, 1, GMR, bp, c, ldc, first);
}

/* A's rows where they are (contiguous along k, row stride sam): no packing of A */
static __attribute__((noinline)) void gemm_rows(long kc, const float *a, long sam, const float *bp, float *c, long ldc, int first) {
  gemm_tile(kc, a, sam, 1, bp, c, ldc, first);
}

static __attribute__((noinline)) void gemm_edge(long kc, const float *ap, const float *bp, float *c, long ldc, int first, long mr, long nr) {
  float t[GMR * GNR];
  if (!first) for (long r = 0; r < mr; r++) for (long j = 0; j < nr; j++) t[r * GNR + j] = c[r * ldc + j];
  gemm_tile(kc, ap, 1, GMR, bp, t, GNR, first);
  for (long r = 0; r < mr; r++) for (long j = 0; j < nr; j++) c[r * ldc + j] = t[r * GNR + j];
}

static float *gemm_bp; static long gemm_bp_size;

struct gemm_job { const float *a; long sam, sak; const float *b; long sbk, sbn; float *c; long M, N, K, np, nt, kb, units; float *bp; };

/* unit u of a product: the panels [np·u/units, np·(u+1)/units) of B, for every block of K and every tile of A */
static void gemm_unit(void *ctx, long u) {
  const struct gemm_job *g = ctx;
  const float *a = g->a, *b = g->b;
  long sam = g->sam, sak = g->sak, sbk = g->sbk, sbn = g->sbn, M = g->M, N = g->N, K = g->K;
  long p0 = g->np * u / g->units, p1 = g->np * (u + 1) / g->units;
  float *bp = g->bp, *c = g->c;
  float ap[GMR * GKC];
  for (long k0 = 0; k0 < K; k0 += g->kb) {
    long kc = K - k0 < g->kb ? K - k0 : g->kb;
    for (long p = p0; p < p1; p++) gemm_pack_b(b + k0 * sbk, sbk, sbn, kc, N, bp + p * g->kb * GNR, p);
    if (sak == 1) {
      /* A read in place: a panel of B stays in L1 while A's tiles stream past it from L2 */
      for (long p = p0; p < p1; p++) {
        long j = p * GNR, nr = N - j < GNR ? N - j : GNR;
        const float *bpp = bp + p * g->kb * GNR;
        for (long t = 0; t < g->nt; t++) {
          long i = t * GMR, mr = M - i < GMR ? M - i : GMR;
          const float *at = a + i * sam + k0;
          if (mr == GMR && nr == GNR) gemm_rows(kc, at, sam, bpp, c + i * N + j, N, k0 == 0);
          else {
            gemm_pack_a(at, sam, 1, mr, kc, ap);
            gemm_edge(kc, ap, bpp, c + i * N + j, N, k0 == 0, mr, nr);
          }
        }
      }
      continue;
    }
    /* A strided: each tile packed once, then every panel */
    for (long t = 0; t < g->nt; t++) {
      long i = t * GMR, mr = M - i < GMR ? M - i : GMR;
      gemm_pack_a(a + i * sam + k0 * sak, sam, sak, mr, kc, ap);
      for (long p = p0; p < p1; p++) {
        long j = p * GNR, nr = N - j < GNR ? N - j : GNR;
        if (mr == GMR && nr == GNR) gemm_full(kc, ap, bp + p * g->kb * GNR, c + i * N + j, N, k0 == 0);
        else gemm_edge(kc, ap, bp + p * g->kb * GNR, c + i * N + j, N, k0 == 0, mr, nr);
      }
    }
  }
}

__attribute__((visibility("hidden"))) void dlm_parallel(int threads, void (*fn)(void *, long), void *ctx, long units);

/* element strides. Units of panels (columns) go to whichever thread is free (poolC.ts): each unit packs its
   own panels of B and every tile of A it needs, so units share nothing; each element is computed by one
   unit in one order. A read in place allows small units (8 a thread: one panel of GNR columns each on a 256-wide
   product, so a thread that runs late, or shares its core with Node's own threads, leaves at most one panel
   to wait for; 4 a thread measured 81–122 against 91–145 GFLOP/s at 2 threads, Zen 3); packed, A is packed
   once a unit. */
__attribute__((visibility("hidden"))) void dlm_gemm(const float *a, long sam, long sak, const float *b, long sbk, long sbn,
                                                    float *c, long M, long N, long K, int threads) {
  long np = (N + GNR - 1) / GNR, nt = (M + GMR - 1) / GMR, nk = (K + GKC - 1) / GKC;
  long kb = (K + nk - 1) / nk;
  if (gemm_bp_size < np * GNR * kb) {
    free(gemm_bp);
    gemm_bp_size = np * GNR * kb;
    /* on a cache line: a panel's row is two whole lines (malloc's 16-byte alignment splits every vector load in two) */
    gemm_bp = aligned_alloc(64, sizeof(float) * gemm_bp_size);
  }
  long units = threads <= 1 ? 1 : (sak == 1 ? 8L : 1L) * threads;
  if (units > np) units = np;
  struct gemm_job g = { a, sam, sak, b, sbk, sbn, c, M, N, K, np, nt, kb, units, gemm_bp };
  dlm_parallel(threads, gemm_unit, &g, units);
}
`;
