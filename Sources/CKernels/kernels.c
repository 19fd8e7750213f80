#include "ckernels.h"
#include "dispatch.h"
#include <stdlib.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* exp(r) on [-ln2/2, ln2/2] by Cephes' degree-6 polynomial, after the Cody-Waite
   reduction x = k ln2 + r; the same constants as NeuralKit's Swift `exponentiate`. */
#define EXP_LOG2E 1.44269504f
#define EXP_LN2_HI 0.693359375f
#define EXP_LN2_LO (-2.12194440e-4f)
#define EXP_P0 1.9875691500e-4f
#define EXP_P1 1.3981999507e-3f
#define EXP_P2 8.3334519073e-3f
#define EXP_P3 4.1665795894e-2f
#define EXP_P4 1.6666665459e-1f
#define EXP_P5 5.0000001201e-1f

static inline float exp_portable(float v) {
    if (v < -87.3f) v = -87.3f;
    if (v > 88.0f) v = 88.0f;
    float k = nearbyintf(v * EXP_LOG2E);
    float r = v - k * EXP_LN2_HI - k * EXP_LN2_LO;
    float p = EXP_P0;
    p = p * r + EXP_P1; p = p * r + EXP_P2; p = p * r + EXP_P3; p = p * r + EXP_P4; p = p * r + EXP_P5;
    return ldexpf(p * r * r + r + 1.0f, (int)k);
}

static void shifted_portable(float *x, const float *bias, long n, float *largest, float *total) {
    int nan = 0;
    float m = -INFINITY;
    for (long j = 0; j < n; j++) {
        float z = bias ? x[j] + bias[j] : x[j];
        x[j] = z;
        nan |= z != z;
        m = z > m ? z : m;
    }
    float s = 0;
    for (long j = 0; j < n; j++) { x[j] = exp_portable(x[j] - m); s += x[j]; }
    *largest = nan ? NAN : m;
    *total = nan ? NAN : s;
}

#if CK_HAS_X86_PATHS
#include <immintrin.h>

/* The AVX2 + FMA path (x86-64 CPUs without AVX-512): the same reduction and polynomial,
   eight lanes at a time; 2^k is built in the exponent bits (k lies in [-126, 127] after
   the clamp). The last partial vector runs through the portable exp. */
__attribute__((target("avx2,fma")))
static inline __m256 exp_avx2(__m256 v) {
    v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.0f));
    __m256 k = _mm256_round_ps(_mm256_mul_ps(v, _mm256_set1_ps(EXP_LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(EXP_LN2_HI), v);
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(EXP_LN2_LO), r);
    __m256 p = _mm256_set1_ps(EXP_P0);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P5));
    __m256 e = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.0f));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(e, _mm256_castsi256_ps(bits));  /* e * 2^k */
}

__attribute__((target("avx2,fma")))
static void shifted_avx2(float *x, const float *bias, long n, float *largest, float *total) {
    __m256 m = _mm256_set1_ps(-INFINITY), unordered = _mm256_setzero_ps();
    long j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 z = _mm256_loadu_ps(x + j);
        if (bias) z = _mm256_add_ps(z, _mm256_loadu_ps(bias + j));
        _mm256_storeu_ps(x + j, z);
        unordered = _mm256_or_ps(unordered, _mm256_cmp_ps(z, z, _CMP_UNORD_Q));
        m = _mm256_max_ps(m, z);
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, m);
    float mx = -INFINITY;
    for (int i = 0; i < 8; i++) mx = lanes[i] > mx ? lanes[i] : mx;
    int nan = _mm256_movemask_ps(unordered) != 0;
    for (long t = j; t < n; t++) {
        float z = bias ? x[t] + bias[t] : x[t];
        x[t] = z;
        nan |= z != z;
        mx = z > mx ? z : mx;
    }
    __m256 shift = _mm256_set1_ps(mx), s = _mm256_setzero_ps();
    for (j = 0; j + 8 <= n; j += 8) {
        __m256 e = exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(x + j), shift));
        _mm256_storeu_ps(x + j, e);
        s = _mm256_add_ps(s, e);
    }
    _mm256_storeu_ps(lanes, s);
    float sum = 0;
    for (int i = 0; i < 8; i++) sum += lanes[i];
    for (long t = j; t < n; t++) { x[t] = exp_portable(x[t] - mx); sum += x[t]; }
    *largest = nan ? NAN : mx;
    *total = nan ? NAN : sum;
}
#endif

#if CK_HAS_AVX512
#include <immintrin.h>

__attribute__((target("avx512f")))
static inline __m512 exp_avx512(__m512 v) {
    v = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(-87.3f)), _mm512_set1_ps(88.0f));
    __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(v, _mm512_set1_ps(EXP_LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(EXP_LN2_HI), v);
    r = _mm512_fnmadd_ps(k, _mm512_set1_ps(EXP_LN2_LO), r);
    __m512 p = _mm512_set1_ps(EXP_P0);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXP_P1));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXP_P2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXP_P3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXP_P4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXP_P5));
    __m512 e = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(e, k);  /* e * 2^k */
}

__attribute__((target("avx512f")))
static void shifted_avx512(float *x, const float *bias, long n, float *largest, float *total) {
    __m512 m = _mm512_set1_ps(-INFINITY);
    __mmask16 nan = 0;
    for (long j = 0; j < n; j += 16) {
        __mmask16 lanes = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1);
        __m512 z = _mm512_maskz_loadu_ps(lanes, x + j);
        if (bias) z = _mm512_add_ps(z, _mm512_maskz_loadu_ps(lanes, bias + j));
        _mm512_mask_storeu_ps(x + j, lanes, z);
        nan |= _mm512_mask_cmp_ps_mask(lanes, z, z, _CMP_UNORD_Q);
        m = _mm512_mask_max_ps(m, lanes, m, z);
    }
    float mx = _mm512_reduce_max_ps(m);
    __m512 shift = _mm512_set1_ps(mx), s = _mm512_setzero_ps();
    for (long j = 0; j < n; j += 16) {
        __mmask16 lanes = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1);
        __m512 e = exp_avx512(_mm512_sub_ps(_mm512_maskz_loadu_ps(lanes, x + j), shift));
        _mm512_mask_storeu_ps(x + j, lanes, e);
        s = _mm512_mask_add_ps(s, lanes, s, e);
    }
    float total16 = _mm512_reduce_add_ps(s);
    *largest = nan ? NAN : mx;
    *total = nan ? NAN : total16;
}

#endif

/* The best level this CPU has among the paths this build compiled. */
int ck_cpu_level_available(void) {
#if CK_HAS_X86_PATHS
    __builtin_cpu_init();
#if CK_HAS_AVX512
    if (__builtin_cpu_supports("avx512f")) return CK_LEVEL_AVX512;
#endif
    if (__builtin_cpu_supports("avx2")) return CK_LEVEL_AVX2;
#endif
    return CK_LEVEL_PORTABLE;
}

int ck_cpu_level(void) {
    static int level = -1;
    if (level < 0) {
        const char *paths = getenv("NEURALKIT_CPU_PATHS");
        level = ck_cpu_level_available();
        if (paths && strcmp(paths, "off") == 0) level = CK_LEVEL_PORTABLE;
        if (paths && strcmp(paths, "avx2") == 0 && level > CK_LEVEL_AVX2) level = CK_LEVEL_AVX2;
    }
    return level;
}

int ck_uses_avx512(void) { return ck_cpu_level() == CK_LEVEL_AVX512; }

/* Whether the CPU has FMA (every AVX2 CPU of our kind does; checked all the same). */
static int ck_has_fma(void) {
#if CK_HAS_X86_PATHS
    __builtin_cpu_init();
    return __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

void ck_shifted_exponentials_level(int level, float *x, const float *bias, long n, float *largest, float *total) {
#if CK_HAS_AVX512
    if (level >= CK_LEVEL_AVX512) { shifted_avx512(x, bias, n, largest, total); return; }
#endif
#if CK_HAS_X86_PATHS
    static int fma = -1;
    if (fma < 0) fma = ck_has_fma();
    if (level >= CK_LEVEL_AVX2 && fma) { shifted_avx2(x, bias, n, largest, total); return; }
#endif
    shifted_portable(x, bias, n, largest, total);
}

void ck_shifted_exponentials(float *x, const float *bias, long n, float *largest, float *total) {
    ck_shifted_exponentials_level(ck_cpu_level(), x, bias, n, largest, total);
}
