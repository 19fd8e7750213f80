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
   sends the products OpenBLAS would give to its small-matrix code to OpenBLAS).

   ck_sgemm_packed_left computes the same products with the roles of the factors swapped:
   A packed, B read in place (a language model's logits h W^T: W has 2 million floats,
   rewritten by the optimizer since the last call, and a BLAS would copy it all into its
   panels first; h is 80,000). A tile is then columns of C by a panel of A's rows, turned
   into rows of C by register transposes before it is stored. */
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

/* One element of C as the header documents it, the vector paths' reference: the k terms
   x[q*xs] * y[q*ys] in blocks, each block one chain of fused multiply-adds from 0, each
   block's chain added to `start` in turn (not accumulating, the first block's chain is
   the total). */
static float documented_sum(const float *x, long xs, const float *y, long ys, long k, float start, int accumulate) {
    float total = start;
    for (long q0 = 0, kb; q0 < k; q0 += kb) {
        kb = ck_packed_next_block(k - q0);
        float s = 0.0f;
        for (long q = q0; q < q0 + kb; q++) s = fmaf(x[q * xs], y[q * ys], s);
        total = (accumulate || q0 > 0) ? total + s : s;
    }
    return total;
}

static void packed_portable(long m, long n, long k, const float *a, long ais, long aqs, const float *packed,
                            float *c, long ldc, int accumulate) {
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++)
            c[i * ldc + j] = documented_sum(a + i * ais, aqs, packed + (j / PANEL) * k * PANEL + j % PANEL, PANEL, k,
                                            accumulate ? c[i * ldc + j] : 0.0f, accumulate);
}

/* C = A B^T with A packed and B read in place (ck_sgemm_packed_left): the same sums. */
static void left_portable(long m, long n, long k, const float *packed, const float *b, long bjs, long bqs,
                          float *c, long ldc, int accumulate) {
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++)
            c[i * ldc + j] = documented_sum(packed + (i / PANEL) * k * PANEL + i % PANEL, PANEL, b + j * bjs, bqs, k,
                                            accumulate ? c[i * ldc + j] : 0.0f, accumulate);
}

/* The loops around a tile of ck_sgemm_packed_left: k blocks; within one, tiles of NR
   columns of C (NR rows of B, which stay in L1), each against every panel of A in turn.
   A tile reads row jj of B at rowB + jj * bjs; the last, narrower tile reads a copy of its
   rows, padded with zeros (its padding columns are not stored). A tile's rows of C lie far
   apart and are written only at its end: they are requested before it starts. */
#define LEFT_LOOPS(NR, TILE_CALL)                                                                      \
    long panels = (m + PANEL - 1) / PANEL;                                                             \
    float edge[(NR) * K_BLOCK];                                                                        \
    for (long q0 = 0, kb; q0 < k; q0 += kb) {                                                          \
        kb = ck_packed_next_block(k - q0);                                                             \
        int add = accumulate || q0 > 0;                                                                \
        for (long j = 0; j < n; j += (NR)) {                                                           \
            long cols = n - j < (NR) ? n - j : (NR);                                                   \
            const float *rowB = b + j * bjs + q0 * bqs;                                                \
            long rs = bjs, qs = bqs;                                                                   \
            if (cols < (NR)) {                                                                         \
                for (long jj = 0; jj < (NR); jj++)                                                     \
                    for (long q = 0; q < kb; q++) edge[jj * kb + q] = jj < cols ? rowB[jj * bjs + q * bqs] : 0.0f; \
                rowB = edge, rs = kb, qs = 1;                                                          \
            }                                                                                          \
            for (long p = 0; p < panels; p++) {                                                        \
                long rows = m - p * PANEL < PANEL ? m - p * PANEL : PANEL;                             \
                const float *panel = packed + p * k * PANEL + q0 * PANEL;                              \
                float *cb = c + p * PANEL * ldc + j;                                                   \
                for (long i = 0; i < rows; i++) {                                                      \
                    __builtin_prefetch(cb + i * ldc, 1, 3);                                            \
                    __builtin_prefetch(cb + i * ldc + cols - 1, 1, 3);                                 \
                }                                                                                      \
                TILE_CALL(rowB, rs, qs, panel, cb, rows, cols, n - j);                                 \
            }                                                                                          \
        }                                                                                              \
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

/* ck_sgemm_packed_left on AVX2 + FMA: a tile is 6 columns of C (6 rows of B, broadcast)
   by a panel's 16 rows (two 8-lane vectors of A): 12 accumulators, each a column of C,
   turned into rows by 8 x 8 transposes. */
#define NR_LEFT_AVX2 6
__attribute__((target("avx2,fma"))) static inline void transpose8_avx2(__m256 r[8]) {
    __m256 t[8], s[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 2; i++) {
        s[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        s[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        s[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        s[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(s[i], s[4 + i], 0x20);
        r[4 + i] = _mm256_permute2f128_ps(s[i], s[4 + i], 0x31);
    }
}

__attribute__((target("avx2,fma"))) static void
left_tile_avx2(const float *rowB, long bjs, long bqs, long kb, const float *panel, float *c, long ldc, long rows,
               long cols, long room, int add) {
    __m256 acc[NR_LEFT_AVX2][2];
    for (int jj = 0; jj < NR_LEFT_AVX2; jj++) acc[jj][0] = acc[jj][1] = _mm256_setzero_ps();
    const float *b0 = rowB, *b1 = rowB + bjs, *b2 = rowB + 2 * bjs, *b3 = rowB + 3 * bjs, *b4 = rowB + 4 * bjs,
                *b5 = rowB + 5 * bjs;
    for (long q = 0; q < kb; q++, b0 += bqs, b1 += bqs, b2 += bqs, b3 += bqs, b4 += bqs, b5 += bqs) {
        __m256 a0 = _mm256_loadu_ps(panel + q * PANEL), a1 = _mm256_loadu_ps(panel + q * PANEL + 8);
#define LEFT_ROW_AVX2(J, X)                                                                            \
    {                                                                                                  \
        __m256 x = _mm256_broadcast_ss(X);                                                             \
        acc[J][0] = _mm256_fmadd_ps(x, a0, acc[J][0]);                                                 \
        acc[J][1] = _mm256_fmadd_ps(x, a1, acc[J][1]);                                                 \
    }
        LEFT_ROW_AVX2(0, b0) LEFT_ROW_AVX2(1, b1) LEFT_ROW_AVX2(2, b2)
        LEFT_ROW_AVX2(3, b3) LEFT_ROW_AVX2(4, b4) LEFT_ROW_AVX2(5, b5)
#undef LEFT_ROW_AVX2
    }
    __m256i lanes = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)cols), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    /* Without adding, and with 8 columns of room, a row goes out as one 8-wide store: its
       last 2 lanes (zeros) land in the next tile's columns, which that tile, computed
       later, writes again. (Masked stores are slow on AMD's cores.) */
    int whole = !add && room >= 8;
    for (int half = 0; half < 2; half++) {
        __m256 r[8];
        for (int jj = 0; jj < 8; jj++) r[jj] = jj < NR_LEFT_AVX2 ? acc[jj][half] : _mm256_setzero_ps();
        transpose8_avx2(r);
        for (int i = 0; i < 8 && half * 8 + i < rows; i++) {
            float *out = c + (half * 8 + i) * ldc;
            __m256 row = r[i];
            if (whole) {
                _mm256_storeu_ps(out, row);
                continue;
            }
            if (add) row = _mm256_add_ps(_mm256_maskload_ps(out, lanes), row);
            _mm256_maskstore_ps(out, lanes, row);
        }
    }
}

#define LEFT_TILE_AVX2(rowB, rs, qs, panel, cb, rows, cols, room)                                      \
    left_tile_avx2(rowB, rs, qs, kb, panel, cb, ldc, rows, cols, room, add)

__attribute__((target("avx2,fma"))) static void
left_avx2(long m, long n, long k, const float *packed, const float *b, long bjs, long bqs, float *c, long ldc,
          int accumulate) {
    LEFT_LOOPS(NR_LEFT_AVX2, LEFT_TILE_AVX2)
}

#if CK_HAS_AVX512
/* AVX-512: a tile is two panels (two 16-lane vectors; the second `next` floats after the
   first) by up to 12 rows (24 accumulators of the 32 registers). */
#define MR_AVX512 12
static inline __attribute__((always_inline, target("avx512f,fma"))) void
tile_avx512(const int mr, const int panels, long kb, const float *a, long ais, long aqs, const float *p0, long next,
            float *c, long ldc, long cols, int add) {
    /* The first term written rather than added to zeros set beforehand (the same
       operation, fma(x, b, 0); written so, the compiler keeps the accumulators in
       registers instead of clearing a copy of them in memory for every tile). */
    __m512 acc[MR_AVX512][2];
    {
        __m512 b0 = _mm512_loadu_ps(p0), b1 = panels > 1 ? _mm512_loadu_ps(p0 + next) : b0, zero = _mm512_setzero_ps();
        for (int r = 0; r < mr; r++) {
            __m512 x = _mm512_set1_ps(a[r * ais]);
            acc[r][0] = _mm512_fmadd_ps(x, b0, zero);
            acc[r][1] = panels > 1 ? _mm512_fmadd_ps(x, b1, zero) : zero;
        }
    }
    for (long q = 1; q < kb; q++) {
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

/* ck_sgemm_packed_left on AVX-512: a tile is 16 columns of C (16 rows of B, broadcast) by
   a panel's 16 rows (one vector of A): 16 accumulators, each a column of C, turned into
   rows by a 16 x 16 transpose. */
#define NR_LEFT_AVX512 16
__attribute__((target("avx512f"))) static inline void transpose16_avx512(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {
        __m512d lo = _mm512_castps_pd(t[4 * i]), hi = _mm512_castps_pd(t[4 * i + 1]);
        __m512d lo2 = _mm512_castps_pd(t[4 * i + 2]), hi2 = _mm512_castps_pd(t[4 * i + 3]);
        r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(lo, lo2));
        r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(lo, lo2));
        r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(hi, hi2));
        r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(hi, hi2));
    }
    for (int j = 0; j < 4; j++) {
        t[j] = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88);
        t[4 + j] = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xDD);
        t[8 + j] = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88);
        t[12 + j] = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xDD);
    }
    for (int j = 0; j < 4; j++) {
        r[j] = _mm512_shuffle_f32x4(t[j], t[8 + j], 0x88);
        r[8 + j] = _mm512_shuffle_f32x4(t[j], t[8 + j], 0xDD);
        r[4 + j] = _mm512_shuffle_f32x4(t[4 + j], t[12 + j], 0x88);
        r[12 + j] = _mm512_shuffle_f32x4(t[4 + j], t[12 + j], 0xDD);
    }
}

__attribute__((target("avx512f,fma"))) static void
left_tile_avx512(const float *rowB, long bjs, long bqs, long kb, const float *panel, float *c, long ldc,
                 long rows, long cols, int add) {
    __m512 acc[NR_LEFT_AVX512];
    for (int jj = 0; jj < NR_LEFT_AVX512; jj++) acc[jj] = _mm512_setzero_ps();
    /* Rows 4g + t of B from four pointers (g) and three offsets (t), so that the loop needs
       few general registers (16 pointers would be spilled and reloaded at every step). */
    const float *b0 = rowB, *b1 = rowB + 4 * bjs, *b2 = rowB + 8 * bjs, *b3 = rowB + 12 * bjs;
    for (long q = 0; q < kb; q++, b0 += bqs, b1 += bqs, b2 += bqs, b3 += bqs) {
        __m512 a = _mm512_loadu_ps(panel + q * PANEL);
#define LEFT_GROUP_AVX512(G, P)                                                                        \
    acc[4 * G] = _mm512_fmadd_ps(_mm512_set1_ps(P[0]), a, acc[4 * G]);                                 \
    acc[4 * G + 1] = _mm512_fmadd_ps(_mm512_set1_ps(P[bjs]), a, acc[4 * G + 1]);                       \
    acc[4 * G + 2] = _mm512_fmadd_ps(_mm512_set1_ps(P[2 * bjs]), a, acc[4 * G + 2]);                   \
    acc[4 * G + 3] = _mm512_fmadd_ps(_mm512_set1_ps(P[3 * bjs]), a, acc[4 * G + 3]);
        LEFT_GROUP_AVX512(0, b0) LEFT_GROUP_AVX512(1, b1) LEFT_GROUP_AVX512(2, b2) LEFT_GROUP_AVX512(3, b3)
#undef LEFT_GROUP_AVX512
    }
    transpose16_avx512(acc);
    __mmask16 lanes = cols >= PANEL ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1);
    for (long i = 0; i < rows; i++) {
        __m512 row = acc[i];
        if (add) row = _mm512_add_ps(_mm512_maskz_loadu_ps(lanes, c + i * ldc), row);
        _mm512_mask_storeu_ps(c + i * ldc, lanes, row);
    }
}

#define LEFT_TILE_AVX512(rowB, rs, qs, panel, cb, rows, cols, room)                                    \
    left_tile_avx512(rowB, rs, qs, kb, panel, cb, ldc, rows, cols, add)

__attribute__((target("avx512f,fma"))) static void
left_avx512(long m, long n, long k, const float *packed, const float *b, long bjs, long bqs, float *c, long ldc,
            int accumulate) {
    LEFT_LOOPS(NR_LEFT_AVX512, LEFT_TILE_AVX512)
}
#endif
#endif


/* An empty C, or a sum of no terms (C = 0, or C unchanged when accumulating): done here,
   returning 1; else 0. */
static int empty_product(long m, long n, long k, float *c, long ldc, int accumulate) {
    if (m <= 0 || n <= 0) return 1;
    if (k > 0) return 0;
    if (!accumulate)
        for (long i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(float));
    return 1;
}

void ck_sgemm_packed_level(int level, long m, long n, long k, const float *a, long ais, long aqs,
                           const float *packed, float *c, long ldc, int accumulate) {
    if (empty_product(m, n, k, c, ldc, accumulate)) return;
    CK_DISPATCH(level, packed, (m, n, k, a, ais, aqs, packed, c, ldc, accumulate));
}

void ck_sgemm_packed(long m, long n, long k, const float *a, long ais, long aqs, const float *packed, float *c,
                     long ldc, int accumulate) {
    ck_sgemm_packed_level(ck_cpu_level(), m, n, k, a, ais, aqs, packed, c, ldc, accumulate);
}

void ck_sgemm_packed_left_level(int level, long m, long n, long k, const float *packed, const float *b, long bjs,
                                long bqs, float *c, long ldc, int accumulate) {
    if (empty_product(m, n, k, c, ldc, accumulate)) return;
    CK_DISPATCH(level, left, (m, n, k, packed, b, bjs, bqs, c, ldc, accumulate));
}

void ck_sgemm_packed_left(long m, long n, long k, const float *packed, const float *b, long bjs, long bqs, float *c,
                          long ldc, int accumulate) {
    ck_sgemm_packed_left_level(ck_cpu_level(), m, n, k, packed, b, bjs, bqs, c, ldc, accumulate);
}

/* A block of a language model's logits' gradient (the backward pass of NeuralKit's
   linearSoftmaxCrossEntropy): for rows r in [r0, r1), block[r * width + j] =
   d[r * v + q0 + j] * factor[r], minus `scale` at the row's label when it lies in the block,
   and each row added to sums[j] (when not NULL), row after row. Element by element the
   operations of the Swift loop it replaces, so the same numbers; it fetches the rows ahead
   while it works on this one (the rows of d lie v floats apart, and the hardware's
   prefetcher starts again at each). */
void ck_logits_gradient_block(long r0, long r1, const float *d, long v, long q0, long width, const long *labels,
                              const float *factor, float scale, float *block, float *sums) {
    enum { AHEAD = 4 };
    for (long r = r0; r < r1; r++) {
        if (r + AHEAD < r1) {
            const char *next = (const char *)(d + (r + AHEAD) * v + q0);
            for (long off = 0; off < width * (long)sizeof(float); off += 64) __builtin_prefetch(next + off, 0, 3);
            __builtin_prefetch(next + width * (long)sizeof(float) - 1, 0, 3);
        }
        const float *exps = d + r * v + q0;
        float *row = block + r * width, f = factor[r];
        for (long j = 0; j < width; j++) row[j] = exps[j] * f;
        long label = labels[r];
        if (label >= q0 && label < q0 + width) row[label - q0] -= scale;
        if (sums)
            for (long j = 0; j < width; j++) sums[j] += row[j];
    }
}
