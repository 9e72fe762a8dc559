/* float -> int8 for the network's input. */
#include "hp_kernels_s8.h"

void hp_quantize_f32_s8(const float *x, int n, float scale, int32_t zero_point, int8_t *q)
{
    for (int i = 0; i < n; i++) {
        float v = x[i] / scale;
        int32_t r;
        if (v > 512.0f) {
            r = 512; /* clamps to 127 below, whatever the zero point */
        } else if (!(v >= -512.0f)) {
            r = -512; /* also NaN */
        } else {
            /* round half away from zero, as roundf: v - trunc(v) is exact for |v| < 2^23 */
            r = (int32_t)v;
            float fraction = v - (float)r;
            r += (fraction >= 0.5f) - (fraction <= -0.5f);
        }
        r += zero_point;
        q[i] = (int8_t)(r < -128 ? -128 : r > 127 ? 127 : r);
    }
}
