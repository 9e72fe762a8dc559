/* Softmax in place, numerically stable, and the exponential it and sigmoid_f32.c use (see
 * hp_kernels_f32.h). */
#include <stdint.h>
#include <string.h>

#include "hp_kernels_f32.h"

/* exp(x) = 2^k * exp(r), k = round(x / ln 2), r = x - k ln 2 in [-ln2/2, ln2/2] (ln 2 split in a
 * high part exact in float and a low part, so k * ln2_hi has no rounding error), exp(r) by its
 * minimax polynomial of degree 7 (Cephes' expf coefficients, about 1 ulp). A few dozen
 * instructions instead of the C library's expf, its error handling and errno (~650 B of flash on
 * a Cortex-M4F). Not inlined on a microcontroller: GCC would split it and keep its range check
 * both in the callers and in the copy sigmoid_f32.c calls (44 bytes of flash at -O2). */
#if defined(__GNUC__) && defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'
__attribute__((noinline))
#endif
float hp_exp_f32(float x)
{
    const float ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f, log2e = 1.44269504088896341f;
    float r, p, scale;
    int32_t k, bits;
    if (!(x > -87.0f)) return 0.0f; /* below FLT_MIN (also NaN: callers pass finite values) */
    if (x > 88.0f) x = 88.0f;       /* callers pass x <= 0; keep 2^k finite regardless */
    k = (int32_t)(x * log2e + (x < 0.0f ? -0.5f : 0.5f));
    r = x - (float)k * ln2_hi;
    r = r - (float)k * ln2_lo;
    p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    bits = (k + 127) << 23; /* 2^k, k in [-126, 127] */
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

void hp_softmax_f32(float *x, int n)
{
    float max = x[0], sum = 0.0f;
    int i;
    for (i = 1; i < n; i++)
        if (x[i] > max) max = x[i];
    for (i = 0; i < n; i++) {
        x[i] = hp_exp_f32(x[i] - max);
        sum += x[i];
    }
    sum = 1.0f / sum;
    for (i = 0; i < n; i++) x[i] *= sum;
}
