/* float -> int8 for the network's input. */
#include <math.h>

#include "hp_kernels_s8.h"

void hp_quantize_f32_s8(const float *x, int n, float scale, int32_t zero_point, int8_t *q)
{
    for (int i = 0; i < n; i++) {
        float v = roundf(x[i] / scale) + (float)zero_point;
        if (v > 127.0f) v = 127.0f;
        if (!(v >= -128.0f)) v = -128.0f; /* also NaN */
        q[i] = (int8_t)v;
    }
}
