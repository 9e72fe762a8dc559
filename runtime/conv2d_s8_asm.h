/* The Cortex-M4/M7 asm both int8 convolution kernels share (conv2d_s8.c, conv2d_maxpool_s8.c),
 * as string pieces for GCC basic asm:
 * HP_S8_STEP: one LDM of four patch words (r0: two int16 pairs of each of two windows), one LDM of
 *   two filters' four int16 weight words (r2), eight SMLAD: r3/r4 the first window's sums of the
 *   two filters, r5/r6 the second window's; 10 instructions for 16 multiply-adds.
 * HP_S8_ROUND: twelve steps, a round of the kernels' loops.
 * HP_S8_MAX(a, b): a = max(a, b), signed. */
#ifndef HP_CONV2D_S8_ASM_H
#define HP_CONV2D_S8_ASM_H

#define HP_S8_STEP \
        "ldmia.w r0!, {r7-r10}\n\t" \
        "ldmia.w r2!, {r1, r11, r12, lr}\n\t" \
        "smlad r3, r1, r7, r3\n\t" \
        "smlad r3, r11, r8, r3\n\t" \
        "smlad r5, r1, r9, r5\n\t" \
        "smlad r5, r11, r10, r5\n\t" \
        "smlad r4, r12, r7, r4\n\t" \
        "smlad r4, lr, r8, r4\n\t" \
        "smlad r6, r12, r9, r6\n\t" \
        "smlad r6, lr, r10, r6\n\t"
#define HP_S8_ROUND \
    HP_S8_STEP HP_S8_STEP HP_S8_STEP HP_S8_STEP HP_S8_STEP HP_S8_STEP \
    HP_S8_STEP HP_S8_STEP HP_S8_STEP HP_S8_STEP HP_S8_STEP HP_S8_STEP
#define HP_S8_MAX(a, b) "cmp " a ", " b "\n\t" "it lt\n\t" "movlt " a ", " b "\n\t"

#endif
