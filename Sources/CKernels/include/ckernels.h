#ifndef CKERNELS_H
#define CKERNELS_H

/* The inside of one softmax row, vectorized for the CPU it runs on:
   with z = x + bias (bias may be NULL) and m = max z, x <- exp(z - m);
   *largest = m and *total = sum of exp(z - m). A NaN anywhere in z makes both NaN. */
void ck_shifted_exponentials(float *x, const float *bias, long n, float *largest, float *total);

/* 1 when the AVX-512 path is used on this CPU, else 0 (the portable path). */
int ck_uses_avx512(void);

#endif
