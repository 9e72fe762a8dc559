/* Dot products for the Cortex-M4/M7 DSP path of the int8 kernels (internal to the runtime).
 *
 * SMLAD multiplies two pairs of int16 and adds both products to an int32 in one instruction.
 * Four int8 weights loaded as one word are widened by SXTB16 to the pair (w0, w2), and after a
 * rotation by 8 bits to (w1, w3). The activations are widened once per layer (or per output
 * pixel) into an int16 buffer stored in the matching pair order: within every full group of
 * four, elements 1 and 2 swap places (x0, x2, x1, x3). A tail shorter than four stays in order.
 *
 * Tests compile the kernels on the host with a plain-C emulation of the intrinsics
 * (HP_ACLE_EMULATION) to check this path against the portable one. */
#ifndef HP_S8_DSP_H
#define HP_S8_DSP_H

#if defined(__ARM_FEATURE_DSP)

#include <stdint.h>
#include <string.h>
#if !defined(HP_ACLE_EMULATION)
#include <arm_acle.h>
#endif

/* Where element j of an n-element vector goes in the pair-ordered int16 buffer. */
static inline int hp_s8_pair_index(int j, int n)
{
    int m = j & 3;
    return (j < (n & ~3) && (m == 1 || m == 2)) ? (j ^ 3) : j;
}

/* acc + sum_i w[i] * x[i], w int8 in natural order, x int16 in pair order. */
static inline int32_t hp_dot_s8_s16(const int8_t *w, const int16_t *x, int n, int32_t acc)
{
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        uint32_t w4;
        int32_t x02, x13;
        memcpy(&w4, w + i, 4); /* unaligned word loads are fine on Cortex-M4/M7 */
        memcpy(&x02, x + i, 4);
        memcpy(&x13, x + i + 2, 4);
        acc = __smlad(__sxtb16((int32_t)w4), x02, acc);
        acc = __smlad(__sxtb16((int32_t)((w4 >> 8) | (w4 << 24))), x13, acc);
    }
    for (; i < n; i++) acc += w[i] * x[i];
    return acc;
}

#endif
#endif
