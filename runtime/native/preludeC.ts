// The C text every native module starts with: the real type, the math helpers the loop IR's
// intrinsics need beyond libm (with JavaScript's semantics: ops/math.ts), and in float32 the
// declarations of the matrix-product kernels the generated code calls (runtime/native/kernelsC.ts,
// compiled once into their own object and linked into every module).

export const INCLUDES = String.raw`
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
/* m ? a : b (m all ones or zero) through the bits: a select the compiler does not turn back into two computations */
static inline double dlm_bsel(int64_t m, double a, double b) {
  int64_t x, y, r; double d; memcpy(&x, &a, 8); memcpy(&y, &b, 8); r = (x & m) | (y & ~m); memcpy(&d, &r, 8); return d;
}
/* exp, 0 below -746 where e^x rounds to 0 anyway: libmvec's vector exp takes a scalar path with errno for every lane
   past -708, which masked attention scores (-1e30) reach in half their lanes; -746 is passed on as 0 instead */
static inline real dlm_exp(real x) { int64_t z = -(int64_t)(x < -746); return dlm_bsel(z, 0.0, exp(dlm_bsel(z, 0.0, x))); }
static inline real dlm_max(real a, real b) { return a != a ? a : (a > b ? a : b); }
static inline real dlm_min(real a, real b) { return a != a ? a : (a < b ? a : b); }
/* rounding to float32 (upsample's nearest indices, as ops/math.ts fround) */
static inline real dlm_fround(real x) { return (real)(float)x; }
static inline real dlm_sign(real x) { return x > 0 ? (real)1 : x < 0 ? (real)-1 : (real)0; }
/* σ(x) without overflow: 1/(1+e⁻ˣ) for x ≥ 0, eˣ/(1+eˣ) otherwise */
static inline real dlm_sigmoid(real x) { real e = dlm_exp(-(x < 0 ? -x : x)); return x >= 0 ? 1 / (1 + e) : e / (1 + e); }
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
/* finiteness from the bits, so it holds whatever floating-point flags the module is compiled with */
static inline int dlm_finite(float x) { uint32_t u; memcpy(&u, &x, 4); return (u & 0x7f800000u) != 0x7f800000u; }
`;

const F64 = String.raw`
typedef double elem;
typedef double real;
static inline int dlm_finite(double x) { uint64_t u; memcpy(&u, &x, 8); return (u & 0x7ff0000000000000ull) != 0x7ff0000000000000ull; }
`;

const ISFINITE = String.raw`
static inline real dlm_isfinite(real x) { uint64_t u; memcpy(&u, &x, 8); return (u & 0x7ff0000000000000ull) != 0x7ff0000000000000ull ? 1 : 0; }
`;

/** Declarations of the kernels, which are compiled once into their own object (kernelsC.ts) and linked in. */
const KERNEL_DECLS = String.raw`
/* the kernels' pool (poolC.ts) and thread count, for kernels whose loop's iterations are split over threads */
__attribute__((visibility("hidden"))) void dlm_parallel(int threads, void (*fn)(void *, long), void *ctx, long units);
__attribute__((visibility("hidden"))) extern int dlm_threads;
/* units of a loop of n iterations: one on one thread, else up to 4 a thread */
static inline long dlm_c_units(long n) { long u = dlm_threads <= 1 ? 1 : 4L * dlm_threads; return u < n ? u : n; }
__attribute__((visibility("hidden"))) void mm_rows(const float *a, long sam, long sak, const float *b, long sbk, float *c, long M, long N, long K);
__attribute__((visibility("hidden"))) void mm_dots(const float *a, long sam, const float *b, long sbn, float *c, long M, long N, long K);
__attribute__((visibility("hidden"))) void mm_strided(const float *a, long sam, long sak, const float *b, long sbk, long sbn, float *c, long M, long N, long K);
`;

/** The prelude of a module in this precision (float32 modules also declare the matrix-product kernels). */
export const cPrelude = (precision: 'f32' | 'f64'): string =>
  INCLUDES + SIMD_MATH + (precision === 'f32' ? F32 : F64) + COMMON + ISFINITE + (precision === 'f32' ? KERNEL_DECLS : '');
