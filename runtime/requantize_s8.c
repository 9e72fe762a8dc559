/* int32 accumulators -> int16 activations q - zero point (hp_kernels_s8.h): SMMULR, then the
 * clamp to the output's int8 range (on the Cortex-M4/M7 GCC emits SMULL and an add for
 * hp_smmulr; the value is the same). */
#include "hp_kernels_s8.h"

void hp_requantize_s8(const int32_t *acc, int n, const int32_t *multiplier, int out_min, int out_max, int16_t *out)
{
    int i;
    for (i = 0; i < n; i++) {
        const int32_t v = hp_smmulr(acc[i], multiplier[i]);
        out[i] = (int16_t)(v < out_min ? out_min : v > out_max ? out_max : v);
    }
}
