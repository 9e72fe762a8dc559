/* float -> int8 for the network's input. */
#include <math.h>
#include <string.h>

#include "hp_kernels_s8.h"
#if defined(__ARM_FEATURE_SAT) && !defined(HP_ACLE_EMULATION)
#include <arm_acle.h>
#endif

void hp_quantize_f32_s8(const float *x, int n, float scale, int32_t zero_point, int8_t *q)
{
    for (int i = 0; i < n; i++) {
        float v = x[i] / scale;
        int32_t r;
        if (!(fabsf(v) <= 512.0f)) {
            r = v > 0.0f ? 512 : -512; /* clamps below whatever the zero point; NaN -> -512 */
        } else {
            /* round half away from zero, as roundf: v - trunc(v) is exact for |v| < 2^23, and
             * |fraction| >= 0.5 is a comparison of its bits without the sign bit */
            r = (int32_t)v;
            float fraction = v - (float)r;
            uint32_t bits;
            memcpy(&bits, &fraction, 4);
            int32_t away = (int32_t)(((bits & 0x7fffffffu) + 0x41000000u) >> 31); /* >= 0.5f (0x3f000000) */
            int32_t negative = -(int32_t)(bits >> 31);          /* 0 or -1 */
            r += (away ^ negative) - negative;
        }
        r += zero_point;
#if defined(__ARM_FEATURE_SAT) && !defined(HP_ACLE_EMULATION)
        q[i] = (int8_t)__ssat(r, 8); /* the same clamp in one instruction */
#else
        q[i] = (int8_t)(r < -128 ? -128 : r > 127 ? 127 : r);
#endif
    }
}
