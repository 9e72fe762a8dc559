/* float -> the general int8 network's int16 input (hp_kernels_s8.h):
 *   q = clamp(trunc(x * (1 / scale)), -limit, limit), NaN -> 0
 * One float division, then one float multiplication per value: the same bits on host and
 * microcontroller (no contraction is possible). */
#include <string.h>

#include "hp_kernels_s8.h"

void hp_quantize_input_s16(const float *x, int n, float scale, int limit, int16_t *q)
{
    const float inverse = 1.0f / scale, top = (float)limit;
    int i;
    for (i = 0; i < n; i++) {
        const float v = x[i] * inverse;
        /* Comparing the float first keeps the cast in range (trunc(v) >= limit iff v >= limit). */
        const int16_t r = (int16_t)(!(v == v) ? 0 : v >= top ? limit : v <= -top ? -limit : (int)v);
        memcpy(q + i, &r, sizeof r); /* character access: q may alias x */
    }
}
