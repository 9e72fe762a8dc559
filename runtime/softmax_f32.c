/* Softmax in place, numerically stable, and the exponential it uses (see hp_kernels_f32.h). */
#include <stdint.h>
#include <string.h>

#include "hp_kernels_f32.h"

/* e^x for x <= 88 (finite or -inf): e^x = 2^k e^r, k = round(x / ln 2), r = x - k ln 2 in [-ln2/2, ln2/2]
 * (ln 2 split in a high part exact in float and a low part, so k * ln2_hi has no rounding
 * error). k comes from adding 2^23 + 127: between 2^23 and 2^24 floats are the integers, so the
 * sum is 2^23 + round(x / ln 2) + 127, its bits shifted left by 23 are 2^k, and the same sum minus
 * the constant is k as a float: no conversion to or from int. e^r = 1 + r + r^2 Q(r), Q the degree 4 minimax
 * polynomial of (e^r - 1 - r) / r^2 for the relative error on [-ln2/2, ln2/2] (within 1 ulp in
 * float, as accurate as Cephes' expf with one term less). A few dozen instructions instead of
 * the C library's expf, its error handling and errno (~650 B of flash on a Cortex-M4F); inlined
 * in the softmax loop, its constants (hp_kernels_f32.h, shared with the lanes softmax) stay in
 * registers. */
static inline float exp_reduced(float x)
{
    const float t = x * HP_EXP_LOG2E + HP_EXP_SHIFT, k = t - HP_EXP_SHIFT;
    float r, p, scale;
    int32_t bits;
    memcpy(&bits, &t, sizeof bits);
    if (bits <= HP_EXP_2P23_BITS) return 0.0f;
    r = x - k * HP_EXP_LN2_HI;
    r = r - k * HP_EXP_LN2_LO;
    p = HP_EXP_Q4;
    p = p * r + HP_EXP_Q3;
    p = p * r + HP_EXP_Q2;
    p = p * r + HP_EXP_Q1;
    p = p * r + HP_EXP_Q0;
    p = p * r * r + r + 1.0f;
    bits = (int32_t)((uint32_t)bits << 23); /* (k + 127) << 23: the shift's other bits move out */
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

#if defined(__GNUC__) && defined(__OPTIMIZE__) && defined(__ARM_FP) && (__ARM_FP & 4) && \
    defined(__ARM_FEATURE_DSP)
/* hp_softmax_f32 for n >= 1, the C below step for step: the maximum two values at a time (VLDM;
 * with n even the first pair holds x[0] again, which changes nothing), then e^(x[i] - max) in 28
 * instructions a value with exp_reduced's 10 constants in s16-s25 (one VLDM; VMLS and VMLA round
 * the product and then the sum, as the C does with two operations, so the results are the same),
 * then the division by the sum two values at a time (VLDM, 2 VMUL, VSTM). */
static void softmax_vfp(float *x, int n)
{
    static const float constants[10] = {HP_EXP_LOG2E, HP_EXP_SHIFT, HP_EXP_LN2_HI, HP_EXP_LN2_LO,
                                        HP_EXP_Q4,    HP_EXP_Q3,    HP_EXP_Q2,     HP_EXP_Q1,
                                        HP_EXP_Q0,    1.0f};
    const float *end = x + n;
    float sum = 0.0f, max;
    uint32_t bits;
    __asm__ volatile("vldr %[max], [%[x]]\n\t"
                     "and %[bits], %[n], #1\n\t"
                     "add %[bits], %[x], %[bits], lsl #2\n\t" /* x[1] when n is odd */
                     "cmp %[bits], %[end]\n\t"
                     "beq 1f\n\t"
                     "0:\n\t"
                     "vldmia %[bits]!, {s0-s1}\n\t"
                     "vcmp.f32 s0, %[max]\n\t"
                     "vmrs APSR_nzcv, fpscr\n\t"
                     "it gt\n\t"
                     "vmovgt.f32 %[max], s0\n\t"
                     "vcmp.f32 s1, %[max]\n\t"
                     "vmrs APSR_nzcv, fpscr\n\t"
                     "it gt\n\t"
                     "vmovgt.f32 %[max], s1\n\t"
                     "cmp %[bits], %[end]\n\t"
                     "bne 0b\n\t"
                     "1:\n\t"
                     "vldmia %[c], {s16-s25}\n\t"
                     "2:\n\t"
                     "vldr s0, [%[x]]\n\t"
                     "vsub.f32 s0, s0, %[max]\n\t" /* d <= 0 */
                     "vmul.f32 s1, s0, s16\n\t"
                     "vadd.f32 s1, s1, s17\n\t" /* t */
                     "vmov %[bits], s1\n\t"
                     "cmp %[bits], #0x4B000000\n\t" /* HP_EXP_2P23_BITS */
                     "ble 8f\n\t"
                     "vsub.f32 s2, s1, s17\n\t" /* k */
                     "vmls.f32 s0, s2, s18\n\t" /* r = d - k ln2_hi - k ln2_lo */
                     "vmls.f32 s0, s2, s19\n\t"
                     "vmul.f32 s2, s0, s20\n\t" /* p = Q(r) */
                     "vadd.f32 s2, s2, s21\n\t"
                     "vmul.f32 s2, s2, s0\n\t"
                     "vadd.f32 s2, s2, s22\n\t"
                     "vmul.f32 s2, s2, s0\n\t"
                     "vadd.f32 s2, s2, s23\n\t"
                     "vmul.f32 s2, s2, s0\n\t"
                     "vadd.f32 s2, s2, s24\n\t"
                     "vmul.f32 s2, s2, s0\n\t"
                     "vmla.f32 s0, s2, s0\n\t" /* p r r + r */
                     "vadd.f32 s0, s0, s25\n\t" /* + 1 */
                     "lsl %[bits], %[bits], #23\n\t"
                     "vmov s1, %[bits]\n\t" /* 2^k */
                     "vmul.f32 s0, s0, s1\n\t"
                     "vadd.f32 %[sum], %[sum], s0\n\t"
                     "3:\n\t"
                     "vstmia %[x]!, {s0}\n\t"
                     "cmp %[x], %[end]\n\t"
                     "bne 2b\n\t"
                     "b 4f\n\t"
                     "8:\n\t" /* k < -126: 0 */
                     "mov %[bits], #0\n\t"
                     "vmov s0, %[bits]\n\t"
                     "b 3b\n\t"
                     "4:\n\t"
                     "vdiv.f32 s1, s25, %[sum]\n\t" /* 1 / sum */
                     "sub %[x], %[x], %[n], lsl #2\n\t"
                     "lsrs %[bits], %[n], #1\n\t" /* pairs; carry: n odd */
                     "bcc 5f\n\t"
                     "vldr s0, [%[x]]\n\t"
                     "vmul.f32 s0, s0, s1\n\t"
                     "vstmia %[x]!, {s0}\n\t"
                     "5:\n\t"
                     "beq 7f\n\t"
                     "6:\n\t"
                     "vldmia %[x], {s2-s3}\n\t"
                     "vmul.f32 s2, s2, s1\n\t"
                     "vmul.f32 s3, s3, s1\n\t"
                     "vstmia %[x]!, {s2-s3}\n\t"
                     "subs %[bits], %[bits], #1\n\t"
                     "bne 6b\n\t"
                     "7:"
                     : [x] "+r"(x), [sum] "+t"(sum), [max] "=&t"(max), [bits] "=&r"(bits)
                     : [end] "r"(end), [n] "r"(n), [c] "r"(constants)
                     : "s0", "s1", "s2", "s3", "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24",
                       "s25", "cc", "memory");
}
#endif

float hp_exp_f32(float x)
{
    if (!(x > -87.0f)) return 0.0f; /* below FLT_MIN (also NaN: callers pass finite values) */
    if (x > 88.0f) x = 88.0f;       /* keep 2^k finite */
    return exp_reduced(x);
}

void hp_softmax_f32(float *x, int n)
{
#if defined(__GNUC__) && defined(__OPTIMIZE__) && defined(__ARM_FP) && (__ARM_FP & 4) && \
    defined(__ARM_FEATURE_DSP)
    softmax_vfp(x, n);
#else
    float max = x[0], sum = 0.0f;
    int i;
    for (i = 1; i < n; i++)
        if (x[i] > max) max = x[i];
    for (i = 0; i < n; i++) {
        x[i] = exp_reduced(x[i] - max); /* of a number <= 0 */
        sum += x[i];
    }
    sum = 1.0f / sum;
    for (i = 0; i < n; i++) x[i] *= sum;
#endif
}
