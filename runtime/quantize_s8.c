/* float -> int8 for the network's input, stored as int16 q - zero_point:
 *   q = clamp(round(x * (1 / scale)) + zero_point, -128, 127)
 * rounded to nearest, ties to even. That is what VCVTR does under the FPSCR's default rounding
 * mode on the Cortex-M4F/M7, and lrintf under C's default one on the host: the same bits on
 * both. The reciprocal is one IEEE 754 float division on either, so x * (1 / scale) is too; a
 * multiply costs 1 cycle on the Cortex-M4F where a division costs 14. */
#include <math.h>
#include <string.h>

#include "hp_kernels_s8.h"

#if defined(__GNUC__) && defined(__ARM_FP) && (__ARM_FP & 4) && defined(__ARM_FEATURE_DSP) && \
    defined(__ARM_FEATURE_SAT) && !defined(HP_ACLE_EMULATION)
#define HP_QUANTIZE_VFP 1
#include <arm_acle.h>
#endif

#if defined(HP_QUANTIZE_VFP)
#include <stdint.h>

/* blocks x 4 values of x (word aligned) -> q (word aligned) as q - zero_point, 26 instructions a
 * block: VLDM, 4 VMUL, 4 VCVTR, 2 VMOV, 4 QADD, 4 SSAT, 2 PKHBT (two int16 a word), 2 SSUB16
 * (the zero point off both), STRD, SUBS, BNE. Every x of a block is read before q is written. */
static void quantize_blocks_vfp(const float *x, int blocks, float inverse, int32_t zero_point, int16_t *q)
{
    const int32_t zero_points = (int32_t)((uint32_t)(uint16_t)zero_point * 0x10001u);
    int32_t a, b, c, d;
    __asm__ volatile("1:\n\t"
                     "vldmia %[x]!, {s0-s3}\n\t"
                     "vmul.f32 s0, s0, %[inverse]\n\t"
                     "vmul.f32 s1, s1, %[inverse]\n\t"
                     "vmul.f32 s2, s2, %[inverse]\n\t"
                     "vmul.f32 s3, s3, %[inverse]\n\t"
                     "vcvtr.s32.f32 s0, s0\n\t"
                     "vcvtr.s32.f32 s1, s1\n\t"
                     "vcvtr.s32.f32 s2, s2\n\t"
                     "vcvtr.s32.f32 s3, s3\n\t"
                     "vmov %[a], %[b], s0, s1\n\t"
                     "vmov %[c], %[d], s2, s3\n\t"
                     "qadd %[a], %[a], %[zp]\n\t"
                     "qadd %[b], %[b], %[zp]\n\t"
                     "qadd %[c], %[c], %[zp]\n\t"
                     "qadd %[d], %[d], %[zp]\n\t"
                     "ssat %[a], #8, %[a]\n\t"
                     "ssat %[b], #8, %[b]\n\t"
                     "ssat %[c], #8, %[c]\n\t"
                     "ssat %[d], #8, %[d]\n\t"
                     "pkhbt %[a], %[a], %[b], lsl #16\n\t"
                     "pkhbt %[c], %[c], %[d], lsl #16\n\t"
                     "ssub16 %[a], %[a], %[zps]\n\t"
                     "ssub16 %[c], %[c], %[zps]\n\t"
                     "strd %[a], %[c], [%[q]], #8\n\t"
                     "subs %[n], %[n], #1\n\t"
                     "bne 1b"
                     : [x] "+r"(x), [q] "+r"(q), [n] "+r"(blocks), [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c),
                       [d] "=&r"(d)
                     : [inverse] "t"(inverse), [zp] "r"(zero_point), [zps] "r"(zero_points)
                     : "s0", "s1", "s2", "s3", "cc", "memory");
}

static inline int32_t quantize_one(float v, int32_t zero_point)
{
    float r;
    int32_t i;
    __asm__("vcvtr.s32.f32 %0, %1" : "=t"(r) : "t"(v)); /* saturates to int32, NaN -> 0 */
    memcpy(&i, &r, sizeof i);
    return __ssat(__qadd(i, zero_point), 8);
}
#else
static int32_t quantize_one(float v, int32_t zero_point)
{
    int32_t r;
    if (!(v == v)) /* as VCVTR: NaN -> 0, saturation; the clamp below makes 512 as good as int32's */
        r = 0;
    else if (v >= 512.0f)
        r = 512;
    else if (v <= -512.0f)
        r = -512;
    else
        r = (int32_t)lrintf(v);
    r += zero_point;
    return r < -128 ? -128 : r > 127 ? 127 : r;
}
#endif

/* Writes go through memcpy (character access, which may alias the float input), so the compiler
 * keeps every read of x before the writes that follow it when q is x. */
void hp_quantize_f32_s16(const float *x, int pixels, int channels, float scale, int32_t zero_point, int16_t *q)
{
    const float inverse = 1.0f / scale;
    const int count = pixels * channels, step = channels == 2 ? 1 : 2; /* one channel: q[2i] */
    const int16_t zero = 0;
    int i = 0;
#if defined(HP_QUANTIZE_VFP)
    const int blocks = count / 4;
    if (channels == 2 && blocks > 0 && ((uintptr_t)x & 3) == 0 && ((uintptr_t)q & 3) == 0) { /* VLDM, STRD */
        quantize_blocks_vfp(x, blocks, inverse, zero_point, q);
        i = 4 * blocks;
    }
#endif
    for (; i < count; i++) {
        const int16_t v = (int16_t)(quantize_one(x[i] * inverse, zero_point) - zero_point);
        memcpy(q + step * i, &v, sizeof v);
    }
    if (channels == 1) /* every second value is 0 */
        for (i = 0; i < pixels; i++) memcpy(q + 2 * i + 1, &zero, sizeof zero);
}
