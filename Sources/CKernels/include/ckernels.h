#ifndef CKERNELS_H
#define CKERNELS_H

/* CPU levels: which vector instructions a kernel may use. */
#define CK_LEVEL_PORTABLE 0
#define CK_LEVEL_AVX2 1
#define CK_LEVEL_AVX512 2

/* The level this process uses: the best this CPU and this build have; at most AVX2 when
   the environment variable NEURALKIT_CPU_PATHS is "avx2", CK_LEVEL_PORTABLE when it is
   "off" (read once, at the first call). */
int ck_cpu_level(void);

/* The best level this CPU and this build have, whatever the environment says. */
int ck_cpu_level_available(void);

/* 1 when the AVX-512 path is used on this CPU (ck_cpu_level() is CK_LEVEL_AVX512). */
int ck_uses_avx512(void);

/* --- Fast kernels: the fastest code for the CPU they run on; the bits of the results
   may differ between CPUs (the AVX-512 and AVX2 paths use fused multiply-adds). --- */

/* The inside of one softmax row: with z = x + bias (bias may be NULL) and m = max z,
   x <- exp(z - m); *largest = m and *total = sum of exp(z - m). A NaN anywhere in z
   makes both NaN. */
void ck_shifted_exponentials(float *x, const float *bias, long n, float *largest, float *total);
/* ... at a given level (AVX-512, AVX2 + FMA, portable), for the tests. */
void ck_shifted_exponentials_level(int level, float *x, const float *bias, long n, float *largest, float *total);

/* Products with one factor packed once and used many times (packed.c says why and how):
   C (m x n) = A B^T, or C += A B^T when `accumulate` is nonzero. B's element (j, q) (row j
   of B is column j of C) is at b[j*js + q*qs]; ck_pack_float writes its
   ck_packed_floats(n, k) floats of panels. A's element (i, q) is at a[i*ais + q*aqs].
   Every element of C is the same sequence of operations at every level. */
long ck_packed_floats(long n, long k);
/* How many of `remaining` terms the next block of a sum takes (at most 320). */
long ck_packed_next_block(long remaining);
void ck_pack_float(long n, long k, const float *b, long js, long qs, float *packed);
void ck_sgemm_packed(long m, long n, long k, const float *a, long ais, long aqs, const float *packed, float *c,
                     long ldc, int accumulate);
void ck_sgemm_packed_level(int level, long m, long n, long k, const float *a, long ais, long aqs,
                           const float *packed, float *c, long ldc, int accumulate);
/* The same product with the roles of the factors swapped: C (m x n) = A B^T, or C += A B^T,
   with A (m x k) packed by ck_pack_float(m, k, a, ...) and B read in place, its element
   (j, q) at b[j*bjs + q*bqs]. Each element of C is the same sequence of operations as in
   ck_sgemm_packed (a product of two numbers does not depend on their order), so the same
   bits; for C = h W^T with W large and read once, such as a language model's logits. */
void ck_sgemm_packed_left(long m, long n, long k, const float *packed, const float *b, long bjs, long bqs, float *c,
                          long ldc, int accumulate);
void ck_sgemm_packed_left_level(int level, long m, long n, long k, const float *packed, const float *b, long bjs,
                                long bqs, float *c, long ldc, int accumulate);
/* One block of a language model's logits' gradient, scaled from the exponentials, with its
   column sums (packed.c; NeuralKit's packedOutputBackward). */
void ck_logits_gradient_block(long r0, long r1, const float *d, long v, long q0, long width, const long *labels,
                              const float *factor, float scale, float *block, float *sums);

/* --- Exact kernels: the same bits on every CPU, at every level (exact.c says how). --- */

/* The same contract as ck_shifted_exponentials. */
void ck_shifted_exponentials_exact(float *x, const float *bias, long n, float *largest, float *total);
/* ... at a given level (for the tests: every level gives the same bits). */
void ck_shifted_exponentials_exact_level(int level, float *x, const float *bias, long n, float *largest,
                                         float *total);
/* NeuralKit's own exp (Swift's Float.fastExp), as the exact softmax computes it. */
float ck_exp_exact(float x);

/* C = alpha op(A) op(B) + beta C, row-major, op transposes when trans* is nonzero; A is
   (m x k) after op, B is (k x n) after op. Each element's sum runs over p = 0 ... k-1 in
   order, one multiply and one add at a time, from 0 (beta = 0) or from C (beta = 1;
   alpha = 1); other alpha and beta scale the finished sum. */
void ck_sgemm_exact(int transA, int transB, long m, long n, long k, float alpha, const float *a, long lda,
                    const float *b, long ldb, float beta, float *c, long ldc);
void ck_dgemm_exact(int transA, int transB, long m, long n, long k, double alpha, const double *a, long lda,
                    const double *b, long ldb, double beta, double *c, long ldc);
/* ... at a given level (for the tests). */
void ck_sgemm_exact_level(int level, int transA, int transB, long m, long n, long k, float alpha,
                          const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc);
void ck_dgemm_exact_level(int level, int transA, int transB, long m, long n, long k, double alpha,
                          const double *a, long lda, const double *b, long ldb, double beta, double *c,
                          long ldc);

/* x <- exp(x), tanh(x), sigma(x) over n floats: Swift's Float.fastExp and Float.fastTanh,
   in C with the CPU's widest vectors (the same bits at every level). */
void ck_exp_float(float *x, long n);
void ck_tanh_float(float *x, long n);
void ck_logistic_float(float *x, long n);
void ck_exp_float_level(int level, float *x, long n);
void ck_tanh_float_level(int level, float *x, long n);
void ck_logistic_float_level(int level, float *x, long n);

/* One Adam update of n elements (NeuralKit's Adam.step: elementwise.c writes out the
   formula), the same bits at every level. */
void ck_adam_float(float *theta, const float *g, float *m, float *v, long n, float b1, float b2, float c1,
                   float rc2, float eta, float eps);
void ck_adam_double(double *theta, const double *g, double *m, double *v, long n, double b1, double b2,
                    double c1, double rc2, double eta, double eps);
void ck_adam_float_level(int level, float *theta, const float *g, float *m, float *v, long n, float b1,
                         float b2, float c1, float rc2, float eta, float eps);
void ck_adam_double_level(int level, double *theta, const double *g, double *m, double *v, long n,
                          double b1, double b2, double c1, double rc2, double eta, double eps);

#endif
