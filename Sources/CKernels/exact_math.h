/* NeuralKit's own exp and tanh in Float, the same arithmetic as Swift's Float.fastExp and
   Float.fastTanh (Scalar.swift), for the C kernels; the tests check they agree bit for bit. */
#ifndef CKERNELS_EXACT_MATH_H
#define CKERNELS_EXACT_MATH_H
#include <math.h>
#include <stdint.h>
#include <string.h>

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* Cody-Waite reduction x = n ln 2 + r, Cephes' degree-6 polynomial for e^r, 2^n written
   into the exponent bits; inputs clamped to [-87.3, 88]; NaN stays NaN. */
ALWAYS_INLINE float exp_exact(float raw) {
    float v = raw > -87.3f ? (raw < 88.0f ? raw : 88.0f) : -87.3f;
    float t = v * 1.44269504f + 12582912.0f;
    float n = t - 12582912.0f;
    float r = v - n * 0.693359375f + n * 2.1219444e-4f;
    float p = 1.98756915e-4f;
    p = p * r + 1.39819995e-3f;
    p = p * r + 8.3334519e-3f;
    p = p * r + 4.16657959e-2f;
    p = p * r + 1.66666655e-1f;
    p = p * r + 5.00000012e-1f;
    float er = p * r * r + r + 1.0f;
    uint32_t bits;
    memcpy(&bits, &t, sizeof bits);
    uint32_t scaleBits = (bits - 0x4B400000u + 127u) << 23;
    float scale;
    memcpy(&scale, &scaleBits, sizeof scale);
    return raw != raw ? raw : er * scale;
}

/* Cephes' odd polynomial below |x| = 0.625, 1 - 2/(e^(2|x|) + 1) above, the sign put back. */
ALWAYS_INLINE float tanh_exact(float v) {
    float a = fabsf(v), z = v * v;
    float p = -5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    float small = v + v * z * p;
    float large = 1 - 2 / (exp_exact(2 * a) + 1);
    float signedLarge = v < 0 ? -large : large;
    return a < 0.625f ? small : signedLarge;
}

#endif
