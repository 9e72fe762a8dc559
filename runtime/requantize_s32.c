/* Real multiplier -> fixed-point multiplier + shift (TFLite's QuantizeMultiplier). The
 * requantization itself, hp_requantize_s32, is inline in hp_kernels_s8.h. */
#include <math.h>

#include "hp_kernels_s8.h"

void hp_quantize_multiplier(double real_multiplier, int32_t *multiplier, int32_t *shift)
{
    if (!(real_multiplier > 0.0)) { /* zero, negative or NaN: no contribution */
        *multiplier = 0;
        *shift = 0;
        return;
    }
    int exponent;
    double fraction = frexp(real_multiplier, &exponent); /* in [0.5, 1) */
    int64_t fixed = (int64_t)round(fraction * 2147483648.0);
    if (fixed == ((int64_t)1 << 31)) { /* rounded up to 1.0 */
        fixed /= 2;
        exponent++;
    }
    if (exponent < -31) { /* too small to matter */
        fixed = 0;
        exponent = 0;
    }
    if (exponent > 30) {
        fixed = ((int64_t)1 << 31) - 1;
        exponent = 30;
    }
    *multiplier = (int32_t)fixed;
    *shift = exponent;
}
