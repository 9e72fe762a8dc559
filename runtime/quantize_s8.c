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
        /* round half away from zero, as roundf: with t = trunc(2v) (exact: doubling a float is),
         * round(v) = floor((t + 1) / 2) for t >= 0 and ceil((t - 1) / 2) = floor(t / 2) for t < 0,
         * so (t + 1 + (t >> 31)) >> 1 with an arithmetic shift */
        const int32_t t = (int32_t)(v + v);
        r = (t + 1 + (t >> 31)) >> 1;
    }
    r += zero_point;
#if defined(__ARM_FEATURE_SAT) && !defined(HP_ACLE_EMULATION)
    r = __ssat(r, 8); /* the same clamp in one instruction */
#else
    r = r < -128 ? -128 : r > 127 ? 127 : r;
#endif
    return r - zero_point;
}

/* Writes go through memcpy (character access, which may alias the float input), so the compiler
 * keeps every read of x before the writes that follow it when q is x. */
void hp_quantize_f32_s16(const float *x, int pixels, int channels, float scale, int32_t zero_point, int16_t *q)
{
    const int16_t zero = 0;
    if (channels == 2) {
        for (int i = 0; i < 2 * pixels; i++) {
            const int16_t v = (int16_t)quantize_one(x[i], scale, zero_point);
            memcpy(q + i, &v, sizeof v);
        }
        return;
    }
    for (int i = 0; i < pixels; i++) { /* one channel: every second value is 0 */
        const int16_t v = (int16_t)quantize_one(x[i], scale, zero_point);
        memcpy(q + 2 * i, &v, sizeof v);
    }
    for (int i = 0; i < pixels; i++) memcpy(q + 2 * i + 1, &zero, sizeof zero);
}
