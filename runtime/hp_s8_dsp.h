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

/* dst = src + offset as int16 in pair order, n elements: four bytes at a time, SXTAB16 widens
 * and offsets bytes 0 and 2 (and after a rotation 1 and 3) in one instruction. */
static inline void hp_widen_s8_pairs(const int8_t *src, int n, int32_t offset, int16_t *dst)
{
    const int32_t offsets = (int32_t)(((uint32_t)(uint16_t)offset << 16) | (uint16_t)offset);
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        uint32_t x4;
        memcpy(&x4, src + i, 4);
        int32_t x02 = __sxtab16(offsets, (int32_t)x4);
        int32_t x13 = __sxtab16(offsets, (int32_t)((x4 >> 8) | (x4 << 24)));
        memcpy(dst + i, &x02, 4);
        memcpy(dst + i + 2, &x13, 4);
    }
    for (; i < n; i++) dst[i] = (int16_t)(src[i] + offset);
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


/* Two dot products over the same x at once (two rows of a dense kernel): each x pair is loaded
 * once for both rows. acc[0] += w0 . x, acc[1] += w1 . x; w int8 in natural order, x int16 in
 * pair order. */
static inline void hp_dot2_s8_s16(const int8_t *w0, const int8_t *w1, const int16_t *x, int n, int32_t acc[2])
{
    int32_t acc0 = acc[0], acc1 = acc[1];
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        uint32_t a4, b4;
        int32_t x02, x13;
        memcpy(&x02, x + i, 4);
        memcpy(&x13, x + i + 2, 4);
        memcpy(&a4, w0 + i, 4);
        memcpy(&b4, w1 + i, 4);
        acc0 = __smlad(__sxtb16((int32_t)a4), x02, acc0);
        acc1 = __smlad(__sxtb16((int32_t)b4), x02, acc1);
        acc0 = __smlad(__sxtb16((int32_t)((a4 >> 8) | (a4 << 24))), x13, acc0);
        acc1 = __smlad(__sxtb16((int32_t)((b4 >> 8) | (b4 << 24))), x13, acc1);
    }
    for (; i < n; i++) {
        acc0 += w0[i] * x[i];
        acc1 += w1[i] * x[i];
    }
    acc[0] = acc0;
    acc[1] = acc1;
}

#endif
#endif
