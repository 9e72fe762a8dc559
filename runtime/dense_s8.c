/* Fully connected layers, int8 weights, int16 activations (q - zero point), int32 accumulators:
 * hp_dense_s8 (requantized to int8) and hp_dense_s8_s32 (int32 out, the last layer). Both run
 * four rows at a time from their biases: each pair of inputs is loaded once for the four rows,
 * whose weights for four inputs are 16 consecutive bytes (the dense layout of hp_kernels_s8.h).
 * Biases, multipliers and outputs are padded to a multiple of 4 rows (hp_kernels_s8.h), so
 * every block is whole. The Cortex-M4/M7 path reads input, kernel, bias, multiplier and output a
 * word at a time: all must be 4-byte aligned; inputs4 is a multiple of 4, at least 4. */
#include "hp_kernels_s8.h"

/* Arm (Thumb-2) code only: a host that defines __ARM_FEATURE_DSP cannot assemble the asm. */
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__OPTIMIZE__) && defined(__thumb2__)
/* Cortex-M4/M7 (GCC or Clang optimizing), by hand, one body for both layers. A 4-input step
 * is one LDM of the two input words, one LDM of the four rows' weight words, then per row
 * SXTB16 of the word (weights 0, 1) into lr, SMLAD, SXTB16 of the word rotated by 8 (weights
 * 2, 3) in place, SMLAD: 18 instructions per 16 multiply-adds, eight steps per loop round
 * (18.25 a step with SUBS and BNE; ST's first layer is 18 steps a block: three rounds). The loop takes 14 registers (accumulators r3-r6, weights r7-r10,
 * inputs r11 r12, rounds left r1, input r0, kernel r2), so the rest is in a frame on the stack:
 *   [sp] multiplier, output, bias, blocks left, input, rounds, loop entry
 * (the first round skips (-steps) mod 8 steps: the entry is 72 bytes, 18 32-bit instructions,
 * on per step skipped). A block starts with one LDM of its biases and ends with one LDM of the
 * frame, then four SMMULR, four USAT #8, two PKHBT and one STRD of the four int16, or
 * (multiplier 0: hp_dense_s8_s32) one STM of the four int32.
 * Entered by a branch with r0-r3 as the layer was called (input, inputs4, kernel, bias), r4-r11
 * and lr pushed, r7 multiplier or 0, r8 output, r12 outputs. */
__attribute__((naked, used)) static void dense_blocks(void)
{
    __asm__(
#define STEP \
        "ldm r0!, {r11, r12}\n\t" \
        "ldm r2!, {r7-r10}\n\t" \
        ROW("r3", "r7") ROW("r4", "r8") ROW("r5", "r9") ROW("r6", "r10")
#define ROW(acc, w) \
        "sxtb16 lr, " w "\n\t" \
        "smlad " acc ", lr, r11, " acc "\n\t" \
        "sxtb16 " w ", " w ", ror #8\n\t" \
        "smlad " acc ", " w ", r12, " acc "\n\t"
        ".p2align 2\n\t" /* a word-aligned section: the ADRs below are resolved before linking */
        "adds r10, r12, #3\n\t"
        "lsrs r10, r10, #2\n\t" /* blocks: outputs rounded up to 4 (arrays padded) */
        "beq 9f\n\t"
        "mov r9, r3\n\t"
        "mov r11, r0\n\t"
        "adds r12, r1, #28\n\t"
        "lsrs r12, r12, #5\n\t" /* loop rounds: ceil(steps / 8) */
        "rsb r4, r1, r12, lsl #5\n\t" /* 4 x steps skipped: 4 x rounds x 8 - inputs4 */
        "movs r5, #18\n\t" /* 72 bytes a step */
        "adr lr, 1f + 1\n\t" /* + 1: Thumb state for LDR pc */
        "mla lr, r4, r5, lr\n\t"
        "push {r7-r12, lr}\n"
        "3:\n\t" /* a block */
        "ldm r9!, {r3-r6}\n\t"
        "stm sp, {r7-r10}\n\t"
        "ldrd r0, r1, [sp, #16]\n\t"
        "ldr pc, [sp, #24]\n"
        "1:\n\t" STEP STEP STEP STEP STEP STEP STEP STEP
        "subs r1, r1, #1\n\t"
        "bne 1b\n\t"
        "ldm sp, {r7-r10}\n\t"
        "cbz r7, 4f\n\t"
        "ldm r7!, {r0, r1, r11, r12}\n\t"
        "smmulr r3, r3, r0\n\t"
        "smmulr r4, r4, r1\n\t"
        "smmulr r5, r5, r11\n\t"
        "smmulr r6, r6, r12\n\t"
        "usat r3, #8, r3\n\t"
        "usat r4, #8, r4\n\t"
        "usat r5, #8, r5\n\t"
        "usat r6, #8, r6\n\t"
        "pkhbt r3, r3, r4, lsl #16\n\t"
        "pkhbt r5, r5, r6, lsl #16\n\t"
        "strd r3, r5, [r8], #8\n"
        "5:\n\t"
        "subs r10, r10, #1\n\t"
        "bne 3b\n\t"
        "add sp, sp, #28\n"
        "9:\n\t"
        "pop {r4-r11, pc}\n"
        "4:\n\t"
        "stm r8!, {r3-r6}\n\t"
        "b 5b");
#undef ROW
#undef STEP
}

/* The stack arguments: outputs at [sp], then multiplier and output (output alone for s32). The
 * parameters are the asm's (r0-r3, then the stack). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
__attribute__((naked)) void hp_dense_s8(const int16_t *input, int inputs4, const int8_t *kernel, const int32_t *bias,
                                        int outputs, const int32_t *multiplier, int16_t *output)
{
    __asm__("push {r4-r11, lr}\n\t"
            "ldr r12, [sp, #36]\n\t"
            "ldrd r7, r8, [sp, #40]\n\t"
            "b dense_blocks");
}

__attribute__((naked)) void hp_dense_s8_s32(const int16_t *input, int inputs4, const int8_t *kernel,
                                            const int32_t *bias, int outputs, int32_t *output)
{
    __asm__("push {r4-r11, lr}\n\t"
            "movs r7, #0\n\t"
            "ldrd r12, r8, [sp, #36]\n\t"
            "b dense_blocks");
}
#pragma GCC diagnostic pop

#else
/* acc[0..3] = bias[0..3] + the four rows of `block` . x, over inputs4 values. */
static void dot4(const int8_t *block, const int16_t *x, int inputs4, const int32_t *bias, int32_t *acc)
{
    int32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
    for (const int16_t *end = x + inputs4; x < end; x += 4, block += 16) {
        const int8_t *w = block; /* each row's four weights stored as w0 w2 w1 w3 */
        a0 += w[0] * x[0] + w[2] * x[1] + w[1] * x[2] + w[3] * x[3];
        w += 4;
        a1 += w[0] * x[0] + w[2] * x[1] + w[1] * x[2] + w[3] * x[3];
        w += 4;
        a2 += w[0] * x[0] + w[2] * x[1] + w[1] * x[2] + w[3] * x[3];
        w += 4;
        a3 += w[0] * x[0] + w[2] * x[1] + w[1] * x[2] + w[3] * x[3];
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

void hp_dense_s8(const int16_t *input, int inputs4, const int8_t *kernel, const int32_t *bias, int outputs,
                 const int32_t *multiplier, int16_t *output)
{
    for (int o = 0; o < outputs; o += 4, kernel += 4 * inputs4) {
        int32_t acc[4];
        dot4(kernel, input, inputs4, bias + o, acc);
        for (int k = 0; k < 4; k++) output[o + k] = hp_usat8(hp_smmulr(acc[k], multiplier[o + k]));
    }
}

void hp_dense_s8_s32(const int16_t *input, int inputs4, const int8_t *kernel, const int32_t *bias, int outputs,
                     int32_t *output)
{
    for (int o = 0; o < outputs; o += 4, kernel += 4 * inputs4) dot4(kernel, input, inputs4, bias + o, output + o);
}
#endif
