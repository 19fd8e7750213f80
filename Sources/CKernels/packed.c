/* The fast kernels' own matrix products, for the two places where a BLAS call repeats
   work: a recurrence multiplies the same weight by a new h(t-1) at every step (a BLAS
   packs the weight again at every call: for an LSTM of H = 200, 640 KB of copying for
   0.8 MFLOP per row of h), and a language model's output layer reads its (N x |V|)
   logits' gradient in two products (a BLAS packs it for each, after a pass to scale it).

   C (m x n) = A B^T, or C += A B^T: B is packed once (ck_pack_float) into panels of 16
   of its rows (the columns of C), the k terms of each row in turn, and a product
   (ck_sgemm_packed) reads A in place, through two strides, so that A can be a transposed
   view. The sum for each element of C runs over k in blocks of at most 320 terms (a
   remainder of 321 to 639 terms is split in two near-halves, the first rounded up to a
   multiple of 16); within a block, one chain of fused multiply-adds in order from 0, and
   each block's chain is added to C (the first is C itself when not accumulating). These
   are fixed sequences of correctly rounded operations: the AVX-512, AVX2 + FMA and
   portable (fmaf) paths give the same bits. The blocks are those of OpenBLAS's AVX-512
   kernels, so on those machines the results are also OpenBLAS's, bit for bit (NeuralKit
   sends the products OpenBLAS would give to its small-matrix code to OpenBLAS). */
#include "ckernels.h"
#include "dispatch.h"
#include <math.h>
#include <string.h>

#define PANEL 16
#define K_BLOCK 320
#define N_BLOCK 256 /* columns of C per pass over a block of rows: K_BLOCK x 256 floats of B stay in L2 */

long ck_packed_floats(long n, long k) { return ((n + PANEL - 1) / PANEL) * PANEL * k; }

void ck_pack_float(long n, long k, const float *b, long js, long qs, float *packed) {
    long panels = (n + PANEL - 1) / PANEL;
    if (js == 1) { /* each term's values lie side by side: read B term by term, 16 at a time */
        for (long q = 0; q < k; q++) {
            const float *terms = b + q * qs;
            for (long p = 0; p < panels; p++) {
                float *out = packed + (p * k + q) * PANEL;
                const float *in = terms + p * PANEL;
                long width = n - p * PANEL;
                if (width >= PANEL) {
                    for (long jj = 0; jj < PANEL; jj++) out[jj] = in[jj];
                } else {
                    for (long jj = 0; jj < PANEL; jj++) out[jj] = jj < width ? in[jj] : 0.0f;
                }
            }
        }
        return;
    }
    for (long p = 0; p < panels; p++) { /* read each row of B in order, spread over its panel */
        float *out = packed + p * k * PANEL;
        for (long jj = 0; jj < PANEL; jj++) {
            long j = p * PANEL + jj;
            if (j < n) {
                const float *row = b + j * js;
                for (long q = 0; q < k; q++) out[q * PANEL + jj] = row[q * qs];
            } else {
                for (long q = 0; q < k; q++) out[q * PANEL + jj] = 0.0f;
            }
        }
    }
}

long ck_packed_next_block(long remaining) {
    if (remaining >= 2 * K_BLOCK) return K_BLOCK;
    if (remaining > K_BLOCK) return ((remaining / 2 + PANEL - 1) / PANEL) * PANEL;
    return remaining;
}

static void packed_portable(long m, long n, long k, const float *a, long ais, long aqs, const float *packed,
                            float *c, long ldc, int accumulate) {
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++) {
            const float *panel = packed + (j / PANEL) * k * PANEL + j % PANEL;
            float total = accumulate ? c[i * ldc + j] : 0.0f;
            long q0 = 0;
            while (q0 < k) {
                long kb = ck_packed_next_block(k - q0);
                float s = 0.0f;
                for (long q = q0; q < q0 + kb; q++) s = fmaf(a[i * ais + q * aqs], panel[q * PANEL], s);
                total = (accumulate || q0 > 0) ? total + s : s;
                q0 += kb;
            }
            c[i * ldc + j] = total;
        }
}

/* The loops around a tile, for either vector width: k blocks; within one, columns of C
   in passes of N_BLOCK, rows in blocks of at most MR (as even as they come), and tiles of
   TILE columns across the pass. TILE_CALL(rows, cols) computes one tile. */
#define PACKED_LOOPS(MR, TILE, TILE_CALL)                                                              \
    long blocks = (m + (MR) - 1) / (MR);                                                               \
    for (long q0 = 0, kb; q0 < k; q0 += kb) {                                                          \
        kb = ck_packed_next_block(k - q0);                                                             \
        int add = accumulate || q0 > 0;                                                                \
        for (long j0 = 0; j0 < n; j0 += N_BLOCK) {                                                     \
            long j1 = j0 + N_BLOCK < n ? j0 + N_BLOCK : n;                                             \
            for (long bl = 0; bl < blocks; bl++) {                                                     \
                long r0 = m * bl / blocks, r1 = m * (bl + 1) / blocks;                                 \
                const float *ab = a + r0 * ais + q0 * aqs;                                             \
                for (long j = j0; j < j1; j += (TILE)) {                                               \
                    const float *p0 = packed + (j / PANEL) * k * PANEL + q0 * PANEL;                   \
                    long cols = j1 - j < (TILE) ? j1 - j : (TILE);                                     \
                    float *cb = c + r0 * ldc + j;                                                      \
                    TILE_CALL((int)(r1 - r0), cols);                                                   \
                }                                                                                      \
            }                                                                                          \
        }                                                                                              \
    }

#if CK_HAS_X86_PATHS
#include <immintrin.h>

/* AVX2 + FMA: a tile is one panel (two 8-lane vectors) by up to 6 rows (12 accumulators
   of the 16 registers). */
#define MR_AVX2 6
static inline __attribute__((always_inline, target("avx2,fma"))) void
tile_avx2(const int mr, long kb, const float *a, long ais, long aqs, const float *panel, float *c, long ldc,
          long cols, int add) {
    __m256 acc[MR_AVX2][2];
    for (int r = 0; r < mr; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (long q = 0; q < kb; q++) {
        __m256 b0 = _mm256_loadu_ps(panel + q * PANEL), b1 = _mm256_loadu_ps(panel + q * PANEL + 8);
        const float *aq = a + q * aqs;
        for (int r = 0; r < mr; r++) {
            __m256 x = _mm256_broadcast_ss(aq + r * ais);
            acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < mr; r++) {
        float row[PANEL];
        _mm256_storeu_ps(row, acc[r][0]);
        _mm256_storeu_ps(row + 8, acc[r][1]);
        float *out = c + r * ldc;
        if (add) {
            for (long j = 0; j < cols; j++) out[j] = out[j] + row[j];
        } else {
            memcpy(out, row, (size_t)cols * sizeof(float));
        }
    }
}

#define TILE_AVX2(rows, cols)                                                                          \
    switch (rows) {                                                                                    \
    case 1: tile_avx2(1, kb, ab, ais, aqs, p0, cb, ldc, cols, add); break;                             \
    case 2: tile_avx2(2, kb, ab, ais, aqs, p0, cb, ldc, cols, add); break;                             \
    case 3: tile_avx2(3, kb, ab, ais, aqs, p0, cb, ldc, cols, add); break;                             \
    case 4: tile_avx2(4, kb, ab, ais, aqs, p0, cb, ldc, cols, add); break;                             \
    case 5: tile_avx2(5, kb, ab, ais, aqs, p0, cb, ldc, cols, add); break;                             \
    default: tile_avx2(6, kb, ab, ais, aqs, p0, cb, ldc, cols, add); break;                            \
    }

__attribute__((target("avx2,fma"))) static void
packed_avx2(long m, long n, long k, const float *a, long ais, long aqs, const float *packed, float *c, long ldc,
            int accumulate) {
    PACKED_LOOPS(MR_AVX2, PANEL, TILE_AVX2)
}

#if CK_HAS_AVX512
/* AVX-512: a tile is two panels (two 16-lane vectors; the second `next` floats after the
   first) by up to 12 rows (24 accumulators of the 32 registers). */
#define MR_AVX512 12
static inline __attribute__((always_inline, target("avx512f,fma"))) void
tile_avx512(const int mr, const int panels, long kb, const float *a, long ais, long aqs, const float *p0, long next,
            float *c, long ldc, long cols, int add) {
    __m512 acc[MR_AVX512][2];
    for (int r = 0; r < mr; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (long q = 0; q < kb; q++) {
        __m512 b0 = _mm512_loadu_ps(p0 + q * PANEL);
        __m512 b1 = panels > 1 ? _mm512_loadu_ps(p0 + next + q * PANEL) : b0;
        const float *aq = a + q * aqs;
        for (int r = 0; r < mr; r++) {
            __m512 x = _mm512_set1_ps(aq[r * ais]);
            acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
            if (panels > 1) acc[r][1] = _mm512_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    __mmask16 m0 = cols >= PANEL ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1);
    __mmask16 m1 = cols >= 2 * PANEL ? (__mmask16)0xFFFF : cols > PANEL ? (__mmask16)((1u << (cols - PANEL)) - 1) : 0;
    for (int r = 0; r < mr; r++) {
        if (add) {
            acc[r][0] = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, c + r * ldc), acc[r][0]);
            if (panels > 1) acc[r][1] = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, c + r * ldc + PANEL), acc[r][1]);
        }
        _mm512_mask_storeu_ps(c + r * ldc, m0, acc[r][0]);
        if (panels > 1) _mm512_mask_storeu_ps(c + r * ldc + PANEL, m1, acc[r][1]);
    }
}

#define TILE_AVX512_ROWS(R)                                                                            \
    case R:                                                                                            \
        if (cols > PANEL) tile_avx512(R, 2, kb, ab, ais, aqs, p0, k * PANEL, cb, ldc, cols, add);      \
        else tile_avx512(R, 1, kb, ab, ais, aqs, p0, k * PANEL, cb, ldc, cols, add);                   \
        break;
#define TILE_AVX512(rows, cols)                                                                        \
    switch (rows) {                                                                                    \
        TILE_AVX512_ROWS(1) TILE_AVX512_ROWS(2) TILE_AVX512_ROWS(3) TILE_AVX512_ROWS(4)                \
        TILE_AVX512_ROWS(5) TILE_AVX512_ROWS(6) TILE_AVX512_ROWS(7) TILE_AVX512_ROWS(8)                \
        TILE_AVX512_ROWS(9) TILE_AVX512_ROWS(10) TILE_AVX512_ROWS(11)                                  \
    default:                                                                                           \
        if (cols > PANEL) tile_avx512(12, 2, kb, ab, ais, aqs, p0, k * PANEL, cb, ldc, cols, add);     \
        else tile_avx512(12, 1, kb, ab, ais, aqs, p0, k * PANEL, cb, ldc, cols, add);                  \
        break;                                                                                         \
    }

__attribute__((target("avx512f,fma"))) static void
packed_avx512(long m, long n, long k, const float *a, long ais, long aqs, const float *packed, float *c,
              long ldc, int accumulate) {
    PACKED_LOOPS(MR_AVX512, 2 * PANEL, TILE_AVX512)
}
#endif
#endif


void ck_sgemm_packed_level(int level, long m, long n, long k, const float *a, long ais, long aqs,
                           const float *packed, float *c, long ldc, int accumulate) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        if (!accumulate)
            for (long i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(float));
        return;
    }
    CK_DISPATCH(level, packed, (m, n, k, a, ais, aqs, packed, c, ldc, accumulate));
}

void ck_sgemm_packed(long m, long n, long k, const float *a, long ais, long aqs, const float *packed, float *c,
                     long ldc, int accumulate) {
    ck_sgemm_packed_level(ck_cpu_level(), m, n, k, a, ais, aqs, packed, c, ldc, accumulate);
}
