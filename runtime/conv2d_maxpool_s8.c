/* The four windows of a 2x2 max pooling against all filters, pooled on the accumulators and
 * requantized (hp_conv2d_s8_maxpool, hp_kernels_s8.h): per pair of filters one pass over the top
 * pair's patch and one over the bottom pair's, then the max of the four windows, SMMULR and the
 * clamp, two outputs a word. Keeping the four windows' maxima in registers spares storing and
 * reloading accumulators and a separate requantization. */
#include "conv2d_s8_asm.h"
#include "hp_kernels_s8.h"

/* Arm (Thumb-2) code only: a host that defines __ARM_FEATURE_DSP cannot assemble the asm. */
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__OPTIMIZE__) && defined(__thumb2__)
/* Cortex-M4/M7. A step is hp_conv2d_s8_pair's (LDM of four input words, LDM of the two filters'
 * four weight words, eight SMLAD; 40 bytes), twelve a loop round, one loop for each patch (the
 * first round enters at the step that leaves a whole number of rounds). A pass takes all 14
 * registers, so the rest is a frame on the stack:
 *   [sp] top, top end, bottom, bottom end, bias, multiplier, output, kernel end, the two loops'
 *   entries, out_min in both halves, out_max in both halves, then the bottom pass's kernel and
 *   biases and the top pair's maxima
 * The clamp is on the pair of outputs: SSAT to int16, PKHBT, then SSUB16 + SEL against out_min
 * and against out_max. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
__attribute__((naked)) void hp_conv2d_s8_maxpool(const int16_t *top, const int16_t *bottom, int groups,
                                                 const int16_t *kernel, const int32_t *bias,
                                                 const int32_t *multiplier, int filters, int out_min, int out_max,
                                                 int16_t *output)
{
    __asm__(
        ".p2align 2\n\t" /* a word-aligned section: the ADRs below are resolved before linking */
        "push {r4-r11, lr}\n\t"
        "mov r12, r3\n\t" /* kernel */
        "add r3, r1, r2, lsl #4\n\t" /* the bottom patch's end: 16 bytes a group */
        "ldrd r7, r10, [sp, #44]\n\t" /* filters, out_min */
        "lsrs r7, r7, #1\n\t" /* pairs of filters */
        "mul r7, r7, r2\n\t"
        "add r7, r12, r7, lsl #4\n\t" /* the kernel's end */
        "adds r8, r2, #11\n\t"
        "movs r9, #12\n\t"
        "udiv r8, r8, r9\n\t" /* rounds: ceil(groups / 12) */
        "mul r8, r8, r9\n\t"
        "subs r8, r8, r2\n\t" /* steps skipped: 12 rounds - groups */
        "movs r9, #40\n\t"
        "mul r8, r8, r9\n\t" /* 40 bytes each */
        "add r4, r0, r2, lsl #4\n\t" /* the top patch's end */
        "mov r2, r1\n\t"
        "mov r1, r4\n\t"
        "ldrd r4, r5, [sp, #36]\n\t" /* bias, multiplier */
        "ldrd r11, r6, [sp, #52]\n\t" /* out_max, output */
        "pkhbt r10, r10, r10, lsl #16\n\t"
        "pkhbt r11, r11, r11, lsl #16\n\t"
        "adr r9, 5f + 1\n\t" /* + 1: Thumb state for LDR pc */
        "add r9, r9, r8\n\t"
        "adr lr, 4f + 1\n\t"
        "add r8, r8, lr\n\t"
        "sub sp, sp, #20\n\t"
        "push {r0-r11}\n\t"
        "mov r2, r12\n"
        "3:\n\t" /* a pair of filters: the top pair's accumulators from the biases */
        "ldr r0, [sp, #16]\n\t"
        "ldrd r3, r4, [r0], #8\n\t"
        "str r0, [sp, #16]\n\t"
        "strd r3, r4, [sp, #52]\n\t"
        "mov r5, r3\n\t"
        "mov r6, r4\n\t"
        "str r2, [sp, #48]\n\t"
        "ldr r0, [sp]\n\t"
        "ldr pc, [sp, #32]\n"
        "4:\n\t" HP_S8_ROUND
        "ldr r1, [sp, #4]\n\t"
        "cmp r0, r1\n\t"
        "bne 4b\n\t"
        HP_S8_MAX("r3", "r5") HP_S8_MAX("r4", "r6")
        "strd r3, r4, [sp, #60]\n\t" /* the top pair's maxima; the bottom pair from the biases */
        "ldrd r3, r4, [sp, #52]\n\t"
        "mov r5, r3\n\t"
        "mov r6, r4\n\t"
        "ldr r2, [sp, #48]\n\t"
        "ldr r0, [sp, #8]\n\t"
        "ldr pc, [sp, #36]\n"
        "5:\n\t" HP_S8_ROUND
        "ldr r1, [sp, #12]\n\t"
        "cmp r0, r1\n\t"
        "bne 5b\n\t"
        HP_S8_MAX("r3", "r5") HP_S8_MAX("r4", "r6")
        "ldrd r5, r6, [sp, #60]\n\t"
        HP_S8_MAX("r3", "r5") HP_S8_MAX("r4", "r6")
        "ldr r0, [sp, #20]\n\t"
        "ldrd r7, r8, [r0], #8\n\t"
        "str r0, [sp, #20]\n\t"
        "smmulr r3, r3, r7\n\t"
        "smmulr r4, r4, r8\n\t"
        "ssat r3, #16, r3\n\t"
        "ssat r4, #16, r4\n\t"
        "pkhbt r3, r3, r4, lsl #16\n\t"
        "ldrd r7, r8, [sp, #40]\n\t" /* out_min, out_max in both halves */
        "ssub16 r9, r3, r7\n\t" /* GE where the output >= out_min */
        "sel r3, r3, r7\n\t"
        "ssub16 r9, r8, r3\n\t" /* GE where the output <= out_max */
        "sel r3, r3, r8\n\t"
        "ldr r0, [sp, #24]\n\t"
        "str r3, [r0], #4\n\t"
        "str r0, [sp, #24]\n\t"
        "ldr r1, [sp, #28]\n\t"
        "cmp r2, r1\n\t"
        "bne 3b\n\t"
        "add sp, sp, #68\n\t"
        "pop {r4-r11, pc}");
}
#pragma GCC diagnostic pop

#else
/* bias[f] + filter f . window w (0, 1) of a pair's patch (hp_kernels_s8.h). */
static int32_t dot(const int16_t *patch, int w, int groups, const int16_t *kernel, int32_t bias, int f)
{
    const int16_t *k = kernel + (long)(f >> 1) * 8 * groups + 4 * (f & 1), *x = patch + 4 * w;
    int32_t a = bias;
    int g;
    for (g = 0; g < groups; g++, k += 8, x += 8) a += k[0] * x[0] + k[1] * x[1] + k[2] * x[2] + k[3] * x[3];
    return a;
}

void hp_conv2d_s8_maxpool(const int16_t *top, const int16_t *bottom, int groups, const int16_t *kernel,
                          const int32_t *bias, const int32_t *multiplier, int filters, int out_min, int out_max,
                          int16_t *output)
{
    int f, w;
    for (f = 0; f < filters; f++) {
        int32_t m = dot(top, 0, groups, kernel, bias[f], f), v;
        for (w = 1; w < 4; w++) {
            const int32_t a = dot(w < 2 ? top : bottom, w & 1, groups, kernel, bias[f], f);
            if (a > m) m = a;
        }
        v = hp_smmulr(m, multiplier[f]);
        output[f] = (int16_t)(v < out_min ? out_min : v > out_max ? out_max : v);
    }
}
#endif
