/* Exact kernels: results whose bits depend on neither the CPU's vector width, nor a BLAS
   library, nor the thread count.

   How: every output element is computed by one fixed sequence of IEEE operations, with a
   multiply and an add (never a fused multiply-add: this file is compiled with
   -ffp-contract=off), and vectors run across output elements, never along a sum. The
   same C source is compiled three times, for the baseline CPU and with AVX2 and AVX-512
   enabled (run-time dispatch); since a vector lane does exactly what the scalar code
   does, the three give the same bits, and the tests check that they do. */
#include "ckernels.h"
#include "dispatch.h"
#include "exact_math.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>


/* ------------------------------------------------------------------------------------
   Matrix product.  C[i][j] (+)= sum over p = 0, 1, ..., k-1 of A'(i,p) * B'(p,j), added
   one term at a time in that order, starting from 0 (beta = 0) or from C[i][j] (beta = 1).
   A'(i,p) = a[i*sai + p*sap] (a transpose is a swap of strides); B'(p,j) = b[p*ldb + j],
   or b[j*ldb + p] when B is transposed.

   The layout is the usual one of fast GEMMs: p runs in chunks of GEMM_KC (C holds the
   partial sums between chunks), A' is packed in blocks of MR rows once per chunk and B'
   in strips of NR columns per panel (both zero-padded), and a micro-kernel
   keeps an MR x NR tile of C in vector registers while p runs through the chunk:
   tile <- tile + a(p) * b(p), one multiply and one add per element per p. The vectors run
   across the columns of C, so a lane does what scalar code would; MR, NR and the vector
   width differ between CPU levels, the arithmetic of an element does not. */

#define GEMM_NC 256 /* columns per packed panel of B' */
#define GEMM_KC 256 /* values of p per chunk */
/* The tiles: MR rows by NV vectors, per level (measured with Benchmarks gemm and the
   chapters' shapes; -D overrides them for tuning). Results do not depend on them. */
#ifndef GEMM_MR512
#define GEMM_MR512 12
#endif
#ifndef GEMM_NV512
#define GEMM_NV512 1
#endif
#ifndef GEMM_MR2
#define GEMM_MR2 6
#endif
#ifndef GEMM_NV2
#define GEMM_NV2 2
#endif
#ifndef GEMM_MRP
#define GEMM_MRP 4
#endif
#ifndef GEMM_NVP
#define GEMM_NVP 2
#endif

/* Per-thread packing buffers, grown as needed and kept (no allocation per product). */
static __thread void *pack_a = NULL, *pack_b = NULL;
static __thread size_t pack_a_size = 0, pack_b_size = 0;

static void *pack_buffer(void **buffer, size_t *size, size_t bytes) {
    if (bytes > *size) {
        free(*buffer);
        *buffer = malloc(bytes);
        if (!*buffer) abort();
        *size = bytes;
    }
    return *buffer;
}

/* T: float or double; L: lanes per vector; MR x NV vectors: the tile. */
#define DEFINE_GEMM_LEVEL(T, SUFFIX, ATTRIBUTE, L, MR, NV)                                               \
    typedef T T##_vec_##SUFFIX __attribute__((vector_size((L) * sizeof(T)), aligned(sizeof(T))));        \
    ATTRIBUTE static void T##_tile_##SUFFIX(long kc, const T *restrict ap, const T *restrict bp,         \
                                            long ldbp, T *restrict c, long ldc, long mr, long nr,        \
                                            int first) {                                                 \
        typedef T##_vec_##SUFFIX V;                                                                      \
        enum { NR = (L) * (NV) };                                                                        \
        V acc[MR][NV];                                                                                   \
        T tile[MR][NR];                                                                                  \
        const int full = mr == MR && nr == NR;                                                           \
        T *from = full ? c : &tile[0][0];                                                                \
        const long ld = full ? ldc : NR;                                                                 \
        if (!full && !first) {                                                                           \
            for (long r = 0; r < MR; r++)                                                                \
                for (long j = 0; j < NR; j++) tile[r][j] = r < mr && j < nr ? c[r * ldc + j] : 0;        \
        }                                                                                                \
        for (int r = 0; r < MR; r++)                                                                     \
            for (int v = 0; v < NV; v++) {                                                               \
                if (first) { V zero = {0}; acc[r][v] = zero; }                                           \
                else acc[r][v] = *(const V *)(from + r * ld + v * (L));                                  \
            }                                                                                            \
        for (long p = 0; p < kc; p++) {                                                                  \
            V bv[NV];                                                                                    \
            for (int v = 0; v < NV; v++) bv[v] = *(const V *)(bp + p * ldbp + v * (L));                  \
            for (int r = 0; r < MR; r++) {                                                               \
                const T ar = ap[p * MR + r];                                                             \
                for (int v = 0; v < NV; v++) acc[r][v] = acc[r][v] + bv[v] * ar;                         \
            }                                                                                            \
        }                                                                                                \
        T *to = full ? c : &tile[0][0];                                                                  \
        for (int r = 0; r < MR; r++)                                                                     \
            for (int v = 0; v < NV; v++) *(V *)(to + r * ld + v * (L)) = acc[r][v];                      \
        if (!full) {                                                                                     \
            for (long r = 0; r < mr; r++)                                                                \
                for (long j = 0; j < nr; j++) c[r * ldc + j] = tile[r][j];                               \
        }                                                                                                \
    }                                                                                                    \
    ATTRIBUTE static void T##_gemm_##SUFFIX(long m, long n, long k, const T *a, long sai, long sap,      \
                                            const T *b, long ldb, int transB, T *c, long ldc,            \
                                            int accumulate) {                                            \
        enum { NR = (L) * (NV) };                                                                        \
        const long nc_max = ((n < GEMM_NC ? n : GEMM_NC) + NR - 1) / NR * NR;                            \
        const long kc_max = k < GEMM_KC ? k : GEMM_KC;                                                   \
        const long m_padded = (m + MR - 1) / MR * MR;                                                    \
        T *bp = (T *)pack_buffer(&pack_b, &pack_b_size, sizeof(T) * (size_t)(kc_max * nc_max));         \
        T *ap = (T *)pack_buffer(&pack_a, &pack_a_size, sizeof(T) * (size_t)(kc_max * m_padded));       \
        /* With few rows of A, a full strip of an untransposed B is read where it lies. */              \
        const int direct = !transB && m <= 4 * MR;                                                      \
        for (long p0 = 0; p0 < k; p0 += GEMM_KC) {                                                      \
            const long kc = k - p0 < GEMM_KC ? k - p0 : GEMM_KC;                                        \
            const int first = p0 == 0 && !accumulate;                                                   \
            /* A' (.., p0..) in blocks of MR rows, once per chunk: block q holds kc columns of MR. */   \
            for (long q = 0; q * MR < m; q++)                                                           \
                for (long p = 0; p < kc; p++)                                                           \
                    for (long r = 0; r < MR; r++) {                                                     \
                        const long i = q * MR + r;                                                      \
                        ap[q * kc * MR + p * MR + r] = i < m ? a[i * sai + (p0 + p) * sap] : 0;         \
                    }                                                                                   \
            for (long j0 = 0; j0 < n; j0 += GEMM_NC) {                                                  \
                const long nc = n - j0 < GEMM_NC ? n - j0 : GEMM_NC;                                    \
                /* B' (p0.., j0..) in strips of NR columns: strip s holds kc rows of NR. */             \
                for (long s = 0; s * NR < nc; s++) {                                                    \
                    T *strip = bp + s * kc * NR;                                                        \
                    const long js = j0 + s * NR, w = nc - s * NR < NR ? nc - s * NR : NR;               \
                    if (direct && w == NR) continue;                                                    \
                    if (transB) { /* row by row of B, scalar: vectorized, this would scatter */         \
                        for (long j = 0; j < NR; j++)                                                   \
                            _Pragma("clang loop vectorize(disable)")                                    \
                            for (long p = 0; p < kc; p++)                                               \
                                strip[p * NR + j] = j < w ? b[(js + j) * ldb + p0 + p] : 0;             \
                    } else {                                                                            \
                        for (long p = 0; p < kc; p++)                                                   \
                            for (long j = 0; j < NR; j++)                                               \
                                strip[p * NR + j] = j < w ? b[(p0 + p) * ldb + js + j] : 0;             \
                    }                                                                                   \
                }                                                                                       \
                for (long q = 0; q * MR < m; q++) {                                                     \
                    const long mr = m - q * MR < MR ? m - q * MR : MR;                                  \
                    for (long s = 0; s * NR < nc; s++) {                                                \
                        const long nr = nc - s * NR < NR ? nc - s * NR : NR;                            \
                        const int here = direct && nr == NR;                                            \
                        T##_tile_##SUFFIX(kc, ap + q * kc * MR,                                         \
                                          here ? b + p0 * ldb + j0 + s * NR : bp + s * kc * NR,         \
                                          here ? ldb : NR, c + q * MR * ldc + j0 + s * NR, ldc, mr, nr, \
                                          first);                                                       \
                    }                                                                                   \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
    }

/* The portable C: 4 lanes (SSE2 on x86-64, NEON on arm64). */
DEFINE_GEMM_LEVEL(float, portable, , 4, GEMM_MRP, GEMM_NVP)
DEFINE_GEMM_LEVEL(double, portable, , 2, GEMM_MRP, GEMM_NVP)
/* AVX2 and AVX-512, each with a narrow tile for products with few columns (n <= 8: a
   wide tile would compute mostly padding). */
#if CK_HAS_X86_PATHS
DEFINE_GEMM_LEVEL(float, avx2, __attribute__((target("avx2"))), 8, GEMM_MR2, GEMM_NV2)
DEFINE_GEMM_LEVEL(double, avx2, __attribute__((target("avx2"))), 4, GEMM_MR2, GEMM_NV2)
DEFINE_GEMM_LEVEL(float, avx2_narrow, __attribute__((target("avx2"))), 8, 8, 1)
DEFINE_GEMM_LEVEL(double, avx2_narrow, __attribute__((target("avx2"))), 4, 8, 2)
#if CK_HAS_AVX512
DEFINE_GEMM_LEVEL(float, avx512, __attribute__((target("avx512f"))), 16, GEMM_MR512, GEMM_NV512)
DEFINE_GEMM_LEVEL(double, avx512, __attribute__((target("avx512f"))), 8, GEMM_MR512, GEMM_NV512)
DEFINE_GEMM_LEVEL(float, avx512_narrow, __attribute__((target("avx512f"))), 8, 8, 1)
DEFINE_GEMM_LEVEL(double, avx512_narrow, __attribute__((target("avx512f"))), 8, 8, 1)
#endif
#endif

/* A few rows times a transposed B (a matrix-vector product, or a batch of 1-3 in text
   generation): packing B would cost more than the product, so each row of B is read where
   it lies, eight outputs at a time in scalar code (vectorized, it would gather). The same
   sum, in the same order, as the tiles compute. */
#define DEFINE_GEMM_FEW_ROWS(T)                                                                          \
    static void T##_gemm_few_rows_bt(long m, long n, long k, const T *a, long sai, long sap, const T *b, \
                                     long ldb, T *c, long ldc, int accumulate) {                         \
        for (long i = 0; i < m; i++) {                                                                   \
            const T *ai = a + i * sai;                                                                   \
            T *ci = c + i * ldc;                                                                         \
            long j = 0;                                                                                  \
            for (; j + 8 <= n; j += 8) {                                                                 \
                const T *b0 = b + j * ldb;                                                               \
                T s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;                        \
                if (accumulate) {                                                                        \
                    s0 = ci[j]; s1 = ci[j + 1]; s2 = ci[j + 2]; s3 = ci[j + 3];                          \
                    s4 = ci[j + 4]; s5 = ci[j + 5]; s6 = ci[j + 6]; s7 = ci[j + 7];                      \
                }                                                                                        \
                _Pragma("clang loop vectorize(disable)")                                                 \
                for (long p = 0; p < k; p++) {                                                           \
                    const T x = ai[p * sap];                                                             \
                    s0 = s0 + x * b0[p]; s1 = s1 + x * b0[ldb + p];                                      \
                    s2 = s2 + x * b0[2 * ldb + p]; s3 = s3 + x * b0[3 * ldb + p];                        \
                    s4 = s4 + x * b0[4 * ldb + p]; s5 = s5 + x * b0[5 * ldb + p];                        \
                    s6 = s6 + x * b0[6 * ldb + p]; s7 = s7 + x * b0[7 * ldb + p];                        \
                }                                                                                        \
                ci[j] = s0; ci[j + 1] = s1; ci[j + 2] = s2; ci[j + 3] = s3;                              \
                ci[j + 4] = s4; ci[j + 5] = s5; ci[j + 6] = s6; ci[j + 7] = s7;                          \
            }                                                                                            \
            for (; j < n; j++) {                                                                         \
                T s = accumulate ? ci[j] : 0;                                                            \
                for (long p = 0; p < k; p++) s = s + ai[p * sap] * b[j * ldb + p];                       \
                ci[j] = s;                                                                               \
            }                                                                                            \
        }                                                                                                \
    }

DEFINE_GEMM_FEW_ROWS(float)
DEFINE_GEMM_FEW_ROWS(double)

/* Each level's product: the narrow tile for few columns where the level has one. */
#define DEFINE_GEMM_PICK(T)                                                                           \
    static void T##_gemm_pick_portable(long m, long n, long k, const T *a, long sai, long sap,        \
                                       const T *b, long ldb, int transB, T *c, long ldc, int acc) {   \
        T##_gemm_portable(m, n, k, a, sai, sap, b, ldb, transB, c, ldc, acc);                         \
    }                                                                                                 \
    CK_IF_X86(static void T##_gemm_pick_avx2(long m, long n, long k, const T *a, long sai, long sap,  \
                                             const T *b, long ldb, int transB, T *c, long ldc,        \
                                             int acc) {                                               \
        if (n <= 8) T##_gemm_avx2_narrow(m, n, k, a, sai, sap, b, ldb, transB, c, ldc, acc);          \
        else T##_gemm_avx2(m, n, k, a, sai, sap, b, ldb, transB, c, ldc, acc);                        \
    })                                                                                                \
    CK_IF_AVX512(static void T##_gemm_pick_avx512(long m, long n, long k, const T *a, long sai,       \
                                                  long sap, const T *b, long ldb, int transB, T *c,   \
                                                  long ldc, int acc) {                                \
        if (n <= 8) T##_gemm_avx512_narrow(m, n, k, a, sai, sap, b, ldb, transB, c, ldc, acc);        \
        else T##_gemm_avx512(m, n, k, a, sai, sap, b, ldb, transB, c, ldc, acc);                      \
    })

DEFINE_GEMM_PICK(float)
DEFINE_GEMM_PICK(double)

#define DEFINE_GEMM_ENTRY(T, NAME)                                                                    \
    static void T##_gemm_dispatch(int level, long m, long n, long k, const T *a, long sai, long sap,  \
                                  const T *b, long ldb, int transB, T *c, long ldc, int accumulate) { \
        if (transB && m < 4) {                                                                        \
            T##_gemm_few_rows_bt(m, n, k, a, sai, sap, b, ldb, c, ldc, accumulate);                   \
            return;                                                                                   \
        }                                                                                             \
        CK_DISPATCH(level, T##_gemm_pick, (m, n, k, a, sai, sap, b, ldb, transB, c, ldc, accumulate)); \
    }                                                                                                 \
    void NAME##_level(int level, int transA, int transB, long m, long n, long k, T alpha,            \
                      const T *a, long lda, const T *b, long ldb, T beta, T *c, long ldc) {           \
        if (m <= 0 || n <= 0) return;                                                                 \
        const long sai = transA ? 1 : lda, sap = transA ? lda : 1;                                    \
        if (alpha == 1 && (beta == 0 || beta == 1)) {                                                 \
            /* the sum runs in C itself, from 0 or from C's value */                                  \
            if (k > 0) T##_gemm_dispatch(level, m, n, k, a, sai, sap, b, ldb, transB, c, ldc, beta == 1); \
            else if (beta == 0)                                                                       \
                for (long i = 0; i < m; i++) memset(c + i * ldc, 0, sizeof(T) * (size_t)n);           \
        } else {                                                                                      \
            T *sum = (T *)calloc((size_t)(m * n), sizeof(T));                                         \
            if (!sum) abort();                                                                        \
            if (k > 0) T##_gemm_dispatch(level, m, n, k, a, sai, sap, b, ldb, transB, sum, n, 0);     \
            for (long i = 0; i < m; i++)                                                              \
                for (long j = 0; j < n; j++)                                                          \
                    c[i * ldc + j] = beta == 0 ? alpha * sum[i * n + j]                               \
                                               : alpha * sum[i * n + j] + beta * c[i * ldc + j];      \
            free(sum);                                                                                \
        }                                                                                             \
    }                                                                                                 \
    void NAME(int transA, int transB, long m, long n, long k, T alpha, const T *a, long lda,          \
              const T *b, long ldb, T beta, T *c, long ldc) {                                         \
        NAME##_level(ck_cpu_level(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);   \
    }

DEFINE_GEMM_ENTRY(float, ck_sgemm_exact)
DEFINE_GEMM_ENTRY(double, ck_dgemm_exact)

/* ------------------------------------------------------------------------------------
   The inside of a softmax row, exactly. exp is NeuralKit's own (the same arithmetic as
   Swift's Float.fastExp: Cody-Waite reduction, Cephes' polynomial, 2^n in the exponent
   bits); the maximum and the sum run in 16 interleaved lanes (element j goes to lane
   j mod 16, in order), then the lanes are combined in one fixed tree: lane l with lane
   l + 8, then + 4, + 2, + 1. The lanes are the C code's, not the CPU's: a machine with 4,
   8 or 16 lanes per vector computes the same 16 partial sums. */

float ck_exp_exact(float x) { return exp_exact(x); }

#define LANES 16

ALWAYS_INLINE void shifted_exact_body(float *restrict x, const float *restrict bias, long n, float *largest,
                                      float *total) {
    float m[LANES], s[LANES];
    int nan[LANES];
    for (int l = 0; l < LANES; l++) { m[l] = -INFINITY; s[l] = 0; nan[l] = 0; }
    long j = 0;
    if (bias) {
        for (; j + LANES <= n; j += LANES)
            for (int l = 0; l < LANES; l++) {
                float z = x[j + l] + bias[j + l];
                x[j + l] = z;
                nan[l] |= z != z;
                m[l] = z > m[l] ? z : m[l];
            }
        for (int l = 0; j + l < n; l++) {
            float z = x[j + l] + bias[j + l];
            x[j + l] = z;
            nan[l] |= z != z;
            m[l] = z > m[l] ? z : m[l];
        }
    } else {
        for (; j + LANES <= n; j += LANES)
            for (int l = 0; l < LANES; l++) {
                float z = x[j + l];
                nan[l] |= z != z;
                m[l] = z > m[l] ? z : m[l];
            }
        for (int l = 0; j + l < n; l++) {
            float z = x[j + l];
            nan[l] |= z != z;
            m[l] = z > m[l] ? z : m[l];
        }
    }
    for (int w = LANES / 2; w >= 1; w /= 2)
        for (int l = 0; l < w; l++) {
            m[l] = m[l + w] > m[l] ? m[l + w] : m[l];
            nan[l] |= nan[l + w];
        }
    const float mx = m[0];
    for (j = 0; j + LANES <= n; j += LANES)
        for (int l = 0; l < LANES; l++) {
            float e = exp_exact(x[j + l] - mx);
            x[j + l] = e;
            s[l] = s[l] + e;
        }
    for (int l = 0; j + l < n; l++) {
        float e = exp_exact(x[j + l] - mx);
        x[j + l] = e;
        s[l] = s[l] + e;
    }
    for (int w = LANES / 2; w >= 1; w /= 2)
        for (int l = 0; l < w; l++) s[l] = s[l] + s[l + w];
    *largest = nan[0] ? NAN : mx;
    *total = nan[0] ? NAN : s[0];
}

static void shifted_exact_portable(float *x, const float *bias, long n, float *largest, float *total) {
    shifted_exact_body(x, bias, n, largest, total);
}
#if CK_HAS_X86_PATHS
__attribute__((target("avx2"))) static void shifted_exact_avx2(float *x, const float *bias, long n, float *largest,
                                                               float *total) {
    shifted_exact_body(x, bias, n, largest, total);
}
#if CK_HAS_AVX512
__attribute__((target("avx512f"))) static void shifted_exact_avx512(float *x, const float *bias, long n,
                                                                    float *largest, float *total) {
    shifted_exact_body(x, bias, n, largest, total);
}
#endif
#endif

void ck_shifted_exponentials_exact_level(int level, float *x, const float *bias, long n, float *largest,
                                         float *total) {
    CK_DISPATCH(level, shifted_exact, (x, bias, n, largest, total));
}

void ck_shifted_exponentials_exact(float *x, const float *bias, long n, float *largest, float *total) {
    ck_shifted_exponentials_exact_level(ck_cpu_level(), x, bias, n, largest, total);
}
