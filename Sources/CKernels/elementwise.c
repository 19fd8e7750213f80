/* Element-wise kernels: each element is one fixed sequence of IEEE operations (+, -, *,
   /, sqrt, all correctly rounded; no fused multiply-add), so the bits are the same at any
   vector width. The same C compiled for the baseline CPU, AVX2 and AVX-512, dispatched at
   run time, as in exact.c. */
#include "ckernels.h"
#include "dispatch.h"
#include "exact_math.h"
#include <math.h>

/* One Adam update over a range, exactly as NeuralKit's Swift formula writes it:
     m <- b1 m + (1 - b1) g;   v <- b2 v + ((1 - b2) g) g
     theta <- theta - (eta (m c1)) / (sqrt(v) rc2 + eps)
   with c1 = 1 / (1 - b1^t) and rc2 = 1 / sqrt(1 - b2^t). */
#define DEFINE_ADAM(T, SQRT, SUFFIX, ATTRIBUTE)                                                          \
    ATTRIBUTE static void adam_##T##_##SUFFIX(T *restrict theta, const T *restrict g, T *restrict m,    \
                                              T *restrict v, long n, T b1, T b2, T c1, T rc2, T eta,    \
                                              T eps) {                                                  \
        const T a1 = 1 - b1, a2 = 1 - b2;                                                               \
        for (long i = 0; i < n; i++) {                                                                  \
            const T gi = g[i];                                                                          \
            const T mi = b1 * m[i] + a1 * gi;                                                           \
            const T vi = b2 * v[i] + a2 * gi * gi;                                                      \
            m[i] = mi;                                                                                  \
            v[i] = vi;                                                                                  \
            theta[i] = theta[i] - eta * (mi * c1) / (SQRT(vi) * rc2 + eps);                             \
        }                                                                                               \
    }

DEFINE_ADAM(float, sqrtf, portable, )
DEFINE_ADAM(double, sqrt, portable, )
#if CK_HAS_X86_PATHS
DEFINE_ADAM(float, sqrtf, avx2, __attribute__((target("avx2"))))
DEFINE_ADAM(double, sqrt, avx2, __attribute__((target("avx2"))))
#if CK_HAS_AVX512
DEFINE_ADAM(float, sqrtf, avx512, __attribute__((target("avx512f"))))
DEFINE_ADAM(double, sqrt, avx512, __attribute__((target("avx512f"))))
#endif
#endif

#define DEFINE_ADAM_ENTRY(T, NAME)                                                                      \
    void NAME##_level(int level, T *theta, const T *g, T *m, T *v, long n, T b1, T b2, T c1, T rc2,     \
                      T eta, T eps) {                                                                   \
        CK_DISPATCH(level, adam_##T, (theta, g, m, v, n, b1, b2, c1, rc2, eta, eps));                   \
    }                                                                                                   \
    void NAME(T *theta, const T *g, T *m, T *v, long n, T b1, T b2, T c1, T rc2, T eta, T eps) {        \
        NAME##_level(ck_cpu_level(), theta, g, m, v, n, b1, b2, c1, rc2, eta, eps);                     \
    }

DEFINE_ADAM_ENTRY(float, ck_adam_float)
DEFINE_ADAM_ENTRY(double, ck_adam_double)

/* x <- exp(x), tanh(x) or sigma(x) = 1 / (1 + exp(-x)) over a buffer. */
#define DEFINE_MAPS(SUFFIX, ATTRIBUTE)                                                                  \
    ATTRIBUTE static void exp_##SUFFIX(float *restrict x, long n) {                                     \
        for (long i = 0; i < n; i++) x[i] = exp_exact(x[i]);                                            \
    }                                                                                                   \
    ATTRIBUTE static void tanh_##SUFFIX(float *restrict x, long n) {                                    \
        for (long i = 0; i < n; i++) x[i] = tanh_exact(x[i]);                                           \
    }                                                                                                   \
    ATTRIBUTE static void logistic_##SUFFIX(float *restrict x, long n) {                                \
        for (long i = 0; i < n; i++) x[i] = 1 / (1 + exp_exact(-x[i]));                                 \
    }

DEFINE_MAPS(portable, )
#if CK_HAS_X86_PATHS
DEFINE_MAPS(avx2, __attribute__((target("avx2"))))
#if CK_HAS_AVX512
DEFINE_MAPS(avx512, __attribute__((target("avx512f"))))
#endif
#endif

#define DEFINE_MAP_ENTRY(NAME)                                                                          \
    void ck_##NAME##_float_level(int level, float *x, long n) { CK_DISPATCH(level, NAME, (x, n)); }     \
    void ck_##NAME##_float(float *x, long n) { ck_##NAME##_float_level(ck_cpu_level(), x, n); }

DEFINE_MAP_ENTRY(exp)
DEFINE_MAP_ENTRY(tanh)
DEFINE_MAP_ENTRY(logistic)
