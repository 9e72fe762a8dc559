/* Fully connected layers, int8 weights, int16 activations (q - zero point), int32 accumulators:
 * hp_dense_s8 (requantized to int8) and hp_dense_s8_s32 (int32 out, the last layer). Both run
 * four rows at a time: each pair of inputs is loaded once for the four, and the four rows'
 * weights for four inputs are 16 consecutive bytes (the dense layout of hp_kernels_s8.h). */
#include "hp_kernels_s8.h"
#include "hp_s8_dsp.h"

#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__OPTIMIZE__) && !defined(HP_ACLE_EMULATION)
#define HP_DENSE_ASM 1
#endif

/* acc[0..3] = init[0..3] + the four rows of `block` . x, over inputs4 values (init may be acc). */
#if defined(HP_DENSE_ASM)
/* Cortex-M4/M7, by hand: per four inputs one LDM of the two input words, two LDM of the four
 * rows' weight words (4-byte aligned), eight SXTB16 (four with the rotation GCC does not fold)
 * and eight SMLAD: 21 instructions per 16 multiply-adds. Not inlined: the asm takes 12 registers. */
__attribute__((noinline)) static void dot4(const int8_t *block, const int16_t *x, int inputs4, const int32_t *init,
                                           int32_t *acc)
{
    int32_t a0 = init[0], a1 = init[1], a2 = init[2], a3 = init[3];
    int n = inputs4 >> 2;
    if (n > 0)
        __asm__ volatile("1:\n\t"
                         "ldm %[x]!, {r0, r1}\n\t"
                         "ldm %[w]!, {r2, r3}\n\t" /* rows 0, 1 */
                         "sxtb16 r4, r2\n\t"
                         "smlad %[a0], r4, r0, %[a0]\n\t"
                         "sxtb16 r4, r2, ror #8\n\t"
                         "smlad %[a0], r4, r1, %[a0]\n\t"
                         "sxtb16 r4, r3\n\t"
                         "smlad %[a1], r4, r0, %[a1]\n\t"
                         "sxtb16 r4, r3, ror #8\n\t"
                         "smlad %[a1], r4, r1, %[a1]\n\t"
                         "ldm %[w]!, {r2, r3}\n\t" /* rows 2, 3 */
                         "sxtb16 r4, r2\n\t"
                         "smlad %[a2], r4, r0, %[a2]\n\t"
                         "sxtb16 r4, r2, ror #8\n\t"
                         "smlad %[a2], r4, r1, %[a2]\n\t"
                         "sxtb16 r4, r3\n\t"
                         "smlad %[a3], r4, r0, %[a3]\n\t"
                         "sxtb16 r4, r3, ror #8\n\t"
                         "smlad %[a3], r4, r1, %[a3]\n\t"
                         "subs %[n], %[n], #1\n\t"
                         "bne 1b"
                         : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w] "+r"(block),
                           [n] "+r"(n)
                         :
                         : "r0", "r1", "r2", "r3", "r4", "cc", "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#else
static void dot4(const int8_t *block, const int16_t *x, int inputs4, const int32_t *init, int32_t *acc)
{
    int32_t a0 = init[0], a1 = init[1], a2 = init[2], a3 = init[3];
    for (const int16_t *end = x + inputs4; x < end; x += 4, block += 16) {
#if defined(__ARM_FEATURE_DSP)
        const int32_t x01 = hp_word(x), x23 = hp_word(x + 2);
        const int32_t w0 = hp_word(block), w1 = hp_word(block + 4), w2 = hp_word(block + 8), w3 = hp_word(block + 12);
        a0 = __smlad(hp_sxtb16_ror8(w0), x23, __smlad(__sxtb16(w0), x01, a0));
        a1 = __smlad(hp_sxtb16_ror8(w1), x23, __smlad(__sxtb16(w1), x01, a1));
        a2 = __smlad(hp_sxtb16_ror8(w2), x23, __smlad(__sxtb16(w2), x01, a2));
        a3 = __smlad(hp_sxtb16_ror8(w3), x23, __smlad(__sxtb16(w3), x01, a3));
#else
        const int8_t *w = block;
        a0 += w[0] * x[0] + w[2] * x[1] + w[1] * x[2] + w[3] * x[3];
        w += 4;
        a1 += w[0] * x[0] + w[2] * x[1] + w[1] * x[2] + w[3] * x[3];
        w += 4;
        a2 += w[0] * x[0] + w[2] * x[1] + w[1] * x[2] + w[3] * x[3];
        w += 4;
        a3 += w[0] * x[0] + w[2] * x[1] + w[1] * x[2] + w[3] * x[3];
#endif
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#endif

/* The four biases of the block at row o: bias + o itself, or for a last block of fewer rows
 * a copy in acc padded with 0. */
static const int32_t *block_bias(const int32_t *bias, int o, int outputs, int32_t *acc)
{
    if (o + 4 <= outputs) return bias + o;
    for (int k = 0; k < 4; k++) acc[k] = o + k < outputs ? bias[o + k] : 0;
    return acc;
}

void hp_dense_s8(const int16_t *input, int inputs4, const int8_t *kernel, const int32_t *bias, int outputs,
                 const int32_t *multiplier, int16_t *output)
{
    for (int o = 0; o < outputs; o += 4, kernel += 4 * inputs4) {
        int32_t acc[4];
        dot4(kernel, input, inputs4, block_bias(bias, o, outputs, acc), acc);
        for (int k = 0; k < 4; k++) output[o + k] = o + k < outputs ? hp_usat8(hp_smmulr(acc[k], multiplier[o + k])) : 0;
    }
}

void hp_dense_s8_s32(const int16_t *input, int inputs4, const int8_t *kernel, const int32_t *bias, int outputs,
                     int32_t *output)
{
    for (int o = 0; o < outputs; o += 4, kernel += 4 * inputs4) {
        int32_t acc[4];
        const int32_t *init = block_bias(bias, o, outputs, acc);
        dot4(kernel, input, inputs4, init, o + 4 <= outputs ? output + o : acc);
        for (int k = 0; o + 4 > outputs && o + k < outputs; k++) output[o + k] = acc[k];
    }
}
