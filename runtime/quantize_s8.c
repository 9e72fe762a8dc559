/* float -> the network's int16 input (see hp_kernels_s8.h):
 *   q = clamp(trunc(x * (1 / scale)), -32768, 32767), NaN -> 0
 * On the Cortex-M4F/M7 that is one VCVT to 16-bit fixed point (round toward zero, saturating,
 * NaN -> 0); the portable C below computes the same integer from the same float
 * product, so both give the same bits. The reciprocal is one IEEE 754 float division on either;
 * a multiply costs 1 cycle on the Cortex-M4F where a division costs 14. */
#include <stdint.h>
#include <string.h>

#include "hp_config.h"
#include "hp_kernels_s8.h"

#if defined(__GNUC__) && defined(__OPTIMIZE__) && defined(__ARM_FP) && (__ARM_FP & 4) && \
    defined(__ARM_FEATURE_DSP)
#define HP_QUANTIZE_VFP 1

/* hp_quantize_f32_s16 for two channels, blocks >= 1 blocks of 8 pixels, q word aligned: 1 / scale
 * (VDIV, the C's division), then 48 instructions a block: VLDM of 16 values, 16 VMUL, 16 VCVT,
 * the 16 results (each an int16 sign extended to 32 bits) pushed on the stack with one VSTMDB,
 * then twice: LDM of 8 (popping them), 4 PKHBT (two int16 a word), STM; SUBS, BNE. Every x of a
 * block is read before q is written, and q stays behind x: in place works. Naked, so no frame or
 * argument copies; AAPCS: x, blocks, q and the bits of scale in r0-r3 (an integer, in r3
 * whichever float ABI the caller uses). */
#define QUANTIZE_ARG __attribute__((unused)) /* read by the asm, from r0-r3 */
__attribute__((naked, noinline)) static void quantize_blocks_vfp(const float *x QUANTIZE_ARG,
                                                               int blocks QUANTIZE_ARG, int16_t *q QUANTIZE_ARG,
                                                               uint32_t scale_bits QUANTIZE_ARG)
{
    __asm__("push {r4-r10}\n\t"
            "vpush {s16}\n\t"
            "vmov s16, r3\n\t"
            "vmov.f32 s0, #1.0\n\t"
            "vdiv.f32 s16, s0, s16\n\t" /* 1 / scale */
            "1:\n\t"
            "vldmia r0!, {s0-s15}\n\t"
            ".irp s, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15\n\t"
            "vmul.f32 \\s, \\s, s16\n\t"
            ".endr\n\t"
            ".irp s, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15\n\t"
            "vcvt.s16.f32 \\s, \\s, #0\n\t" /* round toward zero, saturate to int16, NaN -> 0 */
            ".endr\n\t"
            "vpush {s0-s15}\n\t"
            ".irp half, 0, 1\n\t"
            "pop {r3-r10}\n\t"
            "pkhbt r3, r3, r4, lsl #16\n\t"
            "pkhbt r5, r5, r6, lsl #16\n\t"
            "pkhbt r7, r7, r8, lsl #16\n\t"
            "pkhbt r9, r9, r10, lsl #16\n\t"
            "stmia r2!, {r3, r5, r7, r9}\n\t"
            ".endr\n\t"
            "subs r1, r1, #1\n\t"
            "bne 1b\n\t"
            "vpop {s16}\n\t"
            "pop {r4-r10}\n\t"
            "bx lr");
}
#endif

#if !defined(HP_QUANTIZE_VFP) || !defined(HP_CONFIG_S8_ASM_SHAPES)
/* One value, as the block loop computes it. */
static int16_t quantize_one(float v)
{
#if defined(HP_QUANTIZE_VFP)
    int32_t i;
    __asm__("vcvt.s16.f32 %0, %0, #0" : "+t"(v));
    memcpy(&i, &v, sizeof i);
    return (int16_t)i;
#else
    /* VCVT's saturation and NaN -> 0: trunc(v) >= 32767 exactly when v >= 32767, <= -32768
     * exactly when v <= -32768 (so -32768.9 -> -32768 either way). */
    return (int16_t)(!(v == v) ? 0 : v >= 32767.0f ? 32767 : v <= -32768.0f ? -32768 : (int)v);
#endif
}

#endif

/* Writes go through memcpy (character access, which may alias the float input), so the compiler
 * keeps every read of x before the writes that follow it when q is x. */
void hp_quantize_f32_s16(const float *x, int pixels, int channels, float scale, int16_t *q)
{
#if defined(HP_QUANTIZE_VFP) && defined(HP_CONFIG_S8_ASM_SHAPES)
    /* the package's model always fits the block loop (hp_config.h) */
    uint32_t scale_bits;
    (void)channels;
    memcpy(&scale_bits, &scale, sizeof scale_bits);
    quantize_blocks_vfp(x, pixels / 8, q, scale_bits);
#else
    const int count = pixels * channels, step = channels == 2 ? 1 : 2; /* one channel: q[2i] */
    const int16_t zero = 0;
    float inverse;
    int i;
#if defined(HP_QUANTIZE_VFP)
    if (channels == 2 && pixels % 8 == 0 && pixels > 0 && ((uintptr_t)q & 3) == 0) { /* LDM/STM: words */
        uint32_t scale_bits;
        memcpy(&scale_bits, &scale, sizeof scale_bits);
        quantize_blocks_vfp(x, pixels / 8, q, scale_bits);
        return;
    }
#endif
    inverse = 1.0f / scale;
    for (i = 0; i < count; i++) {
        const int16_t r = quantize_one(x[i] * inverse);
        memcpy(q + step * i, &r, sizeof r);
    }
    if (channels == 1) /* every second value is 0 */
        for (i = 0; i < pixels; i++) memcpy(q + 2 * i + 1, &zero, sizeof zero);
#endif
}
