/* float -> int8 for the network's input, stored as int16 q - zero_point. */
#include <math.h>
#include <string.h>

#include "hp_kernels_s8.h"
#if defined(__ARM_FEATURE_SAT) && !defined(HP_ACLE_EMULATION)
#include <arm_acle.h>
#endif

static int32_t quantize_one(float x, float scale, int32_t zero_point)
{
    float v = x / scale;
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
        int32_t negative = -(int32_t)(bits >> 31);                            /* 0 or -1 */
        r += (away ^ negative) - negative;
    }
    r += zero_point;
#if defined(__ARM_FEATURE_SAT) && !defined(HP_ACLE_EMULATION)
    r = __ssat(r, 8); /* the same clamp in one instruction */
#else
    r = r < -128 ? -128 : r > 127 ? 127 : r;
#endif
    return r - zero_point;
}

/* Reads and writes go through memcpy (character access), so the compiler keeps every read of
 * x before the write that may overwrite it when q is x. */
void hp_quantize_f32_s16(const float *x, int pixels, int channels, float scale, int32_t zero_point, int16_t *q)
{
    if ((channels & 1) == 0) {
        for (int i = 0; i < pixels * channels; i++) {
            float f;
            memcpy(&f, x + i, sizeof f);
            const int16_t v = (int16_t)quantize_one(f, scale, zero_point);
            memcpy(q + i, &v, sizeof v);
        }
        return;
    }
    for (int p = 0; p < pixels; p++) {
        int16_t *out = q + p * (channels + 1);
        for (int c = 0; c < channels; c++) {
            float f;
            memcpy(&f, x + p * channels + c, sizeof f);
            const int16_t v = (int16_t)quantize_one(f, scale, zero_point);
            memcpy(out + c, &v, sizeof v);
        }
        const int16_t zero = 0;
        memcpy(out + channels, &zero, sizeof zero);
    }
}
