/* int32 accumulators -> int16 activations q - zero point (hp_kernels_s8.h): SMMULR, then the
 * clamp to the output's int8 range. */
#include <string.h>

#include "hp_kernels_s8.h"

#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__thumb2__)
/* hp_smmulr: on the Cortex-M4/M7 the one instruction (the C takes a 64-bit multiply and adds). */
static int32_t smmulr(int32_t x, int32_t multiplier)
{
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(x), "r"(multiplier));
    return r;
}

/* After a ReLU (the clamp [0, 255]), two values a round: two SMMULR, two USAT #8,
 * one PKHBT and one word store. */
static int requantize_relu_pairs(const int32_t *acc, int n, const int32_t *multiplier, int16_t *out)
{
    int i;
    for (i = 0; i + 2 <= n; i += 2) {
        int32_t a = smmulr(acc[i], multiplier[i]), b = smmulr(acc[i + 1], multiplier[i + 1]);
        uint32_t w;
        __asm__("usat %0, #8, %0" : "+r"(a));
        __asm__("usat %0, #8, %0" : "+r"(b));
        __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(w) : "r"(a), "r"(b));
        memcpy(out + i, &w, 4);
    }
    return i;
}
#else
static int32_t smmulr(int32_t x, int32_t multiplier) { return hp_smmulr(x, multiplier); }

static int requantize_relu_pairs(const int32_t *acc, int n, const int32_t *multiplier, int16_t *out)
{
    (void)acc, (void)n, (void)multiplier, (void)out;
    return 0;
}
#endif

void hp_requantize_s8(const int32_t *acc, int n, const int32_t *multiplier, int out_min, int out_max, int16_t *out)
{
    int i = 0;
    if (out_min == 0 && out_max == 255 && ((uintptr_t)out & 3) == 0) i = requantize_relu_pairs(acc, n, multiplier, out);
    for (; i < n; i++) {
        const int32_t v = smmulr(acc[i], multiplier[i]);
        out[i] = (int16_t)(v < out_min ? out_min : v > out_max ? out_max : v);
    }
}
