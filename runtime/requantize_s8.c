/* int32 accumulators -> int16 activations q - zero point (hp_kernels_s8.h): SMMULR, then the
 * clamp to the output's int8 range. */
#include "hp_kernels_s8.h"

/* hp_smmulr; on the Cortex-M4/M7 the one instruction (the C takes a 64-bit multiply and adds). */
static int32_t smmulr(int32_t x, int32_t multiplier)
{
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__thumb2__)
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(x), "r"(multiplier));
    return r;
#else
    return hp_smmulr(x, multiplier);
#endif
}

void hp_requantize_s8(const int32_t *acc, int n, const int32_t *multiplier, int out_min, int out_max, int16_t *out)
{
    int i;
    for (i = 0; i < n; i++) {
        const int32_t v = smmulr(acc[i], multiplier[i]);
        out[i] = (int16_t)(v < out_min ? out_min : v > out_max ? out_max : v);
    }
}
