/* 3x3 convolution (stride 1, valid) followed by 2x2 max pooling (stride 2, floor), int8.
 *
 * Requantization (>> 16) and the clamp are non-decreasing, so max(requantize(acc_i)) ==
 * requantize(max(acc_i)): taking the max of the four int32 accumulators first gives exactly the
 * conv output pooled, with a quarter of the requantizations, no conv output buffer, and the conv
 * outputs that pooling drops never computed.
 *
 * One 32-bit word of input or kernel is the channel pair of one pixel or tap, so on the DSP path
 * each SMLAD is one tap. */
#include "hp_kernels_s8.h"

/* Cortex-M4/M7 with GCC (or Clang) optimizing: 8-pixel-wide inputs (ST's sensors) with an even
 * number of filters, at most HP_CONV_ASM_MAX_FILTERS, go through the asm below; everything else
 * through the portable C, which then only serves those rarer shapes (so it is kept small). */
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__OPTIMIZE__)
#define HP_CONV_ASM 1
#define HP_CONV_ASM_MAX_FILTERS 16 /* the asm copies the kernel to the stack: 40 bytes a filter */
#define HP_CONV_PORTABLE_ATTR __attribute__((cold, noinline))
#else
#define HP_CONV_PORTABLE_ATTR
#endif

/* The accumulator of the window at `corner` (portable). */
static int32_t window(const int16_t *k, const int16_t *corner, int row, int32_t bias)
{
    int32_t acc = bias;
    for (int ky = 0; ky < 3; ky++, k += 6, corner += row)
        for (int j = 0; j < 6; j++) acc += k[j] * corner[j];
    return acc;
}

static int32_t max2(int32_t a, int32_t b) { return a > b ? a : b; }

HP_CONV_PORTABLE_ATTR static void conv_portable(const int16_t *input, int height, int width, const int16_t *kernel,
                                                const int32_t *bias, int filters, int16_t *output)
{
    const int out_h = (height - 2) / 2, out_w = (width - 2) / 2, row = 2 * width;
    for (int py = 0; py < out_h; py++)
        for (int px = 0; px < out_w; px++)
            for (int f = 0; f < filters; f++, output++) {
                /* top-left input of the 2x2 conv pixels (2py + dy, 2px + dx) */
                const int16_t *corner = input + 2 * py * row + 4 * px, *k = kernel + 18 * f;
                const int32_t top = max2(window(k, corner, row, bias[f]), window(k, corner + 2, row, bias[f]));
                const int32_t bottom =
                    max2(window(k, corner + row, row, bias[f]), window(k, corner + row + 2, row, bias[f]));
                *output = hp_usat8(max2(top, bottom) >> 16); /* arithmetic shift: floor */
            }
}

#if defined(HP_CONV_ASM)
/* The DSP path, width 8 (the input offsets are immediates).
 *
 * A block is two filters (f0, f1) at one pooling position: the 2x2 windows' eight accumulators
 * a<window><filter>, windows 0 1 on the top row and 2 3 below. Per tap, one LDRD of the two
 * filters' words, eight SMLAD against the input words of the four windows. The taps go column by
 * column, top to bottom: the bottom windows' input row of one tap is the top windows' row of the
 * next, so a column of three taps loads four input rows, not six (per block 21 loads for 72 SMLAD).
 * The accumulators start at the bias: the first tap's SMLAD add to a3x, loaded with the bias.
 *
 * Then the top halves (floor(acc / 2^16), the requantized value) of a window's two filters are
 * packed in one register by PKHTB, the max of two such pairs is SSUB16 + SEL (SEL picks each
 * halfword by the sign of SSUB16's difference), USAT16 #8 clamps both to [0, 255], and one STR
 * writes the two outputs (filters are fastest in the output).
 *
 * The kernel is copied to the stack first, each filter pair as one 80-byte block of 20 words:
 * bias f0 f1, then taps 5..8 and 0..4, each as (f0, f1) word pairs, one LDRD apart. Pair 0's
 * block is the highest; below the last one, 80 bytes of state (offsets from sp):
 *   0 input, 4 output pointer, 8 end of the current row of positions (the input pointer after
 *   its last position), 12 pair 0's block, 16 end of the last row, 20 bytes to free.
 * wp steps down one block per pair (the bias load's post-decrement), so it reaches sp after the
 * last pair: the end of the pairs is `cmp wp, sp`. Registers: a00-a31 r1-r8, pair of weights
 * r9 r10, pair of inputs r11 r12, input corner r0, weights lr. */
#define CONV_STATE_BYTES 80

#define CONV_STR_(x) #x
#define CONV_STR(x) CONV_STR_(x)

/* Four multiply-adds of the pair of weights (r9 r10) with a pair of inputs (r11 r12): into
 * a00 a01 a10 a11 (the top windows) or a20 a21 a30 a31 (the bottom ones), each added to the
 * accumulator named after it (the first tap: to the bias, in r7 r8). */
#define CONV_SMLAD4(d0, d1, d2, d3, s0, s1, s2, s3)                                               \
    "smlad " d0 ", r9, r11, " s0 "\n\t"                                                            \
    "smlad " d1 ", r10, r11, " s1 "\n\t"                                                           \
    "smlad " d2 ", r9, r12, " s2 "\n\t"                                                            \
    "smlad " d3 ", r10, r12, " s3 "\n\t"
#define CONV_TOP CONV_SMLAD4("r1", "r2", "r3", "r4", "r1", "r2", "r3", "r4")
#define CONV_BOTTOM CONV_SMLAD4("r5", "r6", "r7", "r8", "r5", "r6", "r7", "r8")
#define CONV_INPUT_ROW(row, kx) "ldrd r11, r12, [r0, #" CONV_STR((32 * (row) + 4 * (kx))) "]\n\t"
/* The weights of tap t (0..8, row-major) are at lr + CONV_TAP_t once lr has stepped past the
 * block (taps 0-4 at block offsets 40 + 8t, taps 5-8 at 8 + 8(t - 5)). */
#define CONV_TAP_0 120
#define CONV_TAP_1 128
#define CONV_TAP_2 136
#define CONV_TAP_3 144
#define CONV_TAP_4 152
#define CONV_TAP_5 88
#define CONV_TAP_6 96
#define CONV_TAP_7 104
#define CONV_TAP_8 112
#define CONV_WEIGHTS(offset) "ldrd r9, r10, [lr, #" CONV_STR(offset) "]\n\t"
/* Tap (ky, kx) after the first: the top windows' inputs (row ky) are in r11 r12 already. */
#define CONV_TAP_ADD(ky, kx, offset) CONV_WEIGHTS(offset) CONV_TOP CONV_INPUT_ROW((ky) + 1, kx) CONV_BOTTOM
#define CONV_COLUMN(kx, t0, t1, t2)                                                               \
    CONV_INPUT_ROW(0, kx) CONV_TAP_ADD(0, kx, t0) CONV_TAP_ADD(1, kx, t1) CONV_TAP_ADD(2, kx, t2)

/* input [rows][8][2], kernel [filters][9][2], output [out_h][3][filters]; filters even, 2 to
 * HP_CONV_ASM_MAX_FILTERS; out_h >= 1. AAPCS: r0-r3, then filters and out_h on the stack. */
#define CONV_ARG __attribute__((unused)) /* read by the asm, from r0-r3 and the stack */
__attribute__((naked, noinline)) static void conv_width8_dsp(const int16_t *input CONV_ARG,
                                                            const int16_t *kernel CONV_ARG,
                                                            const int32_t *bias CONV_ARG, int16_t *output CONV_ARG,
                                                            int filters CONV_ARG, int out_h CONV_ARG)
{
    __asm__(
        "push {r4-r11, lr}\n\t"
        "ldrd r4, r5, [sp, #36]\n\t"        /* filters, out_h */
        "add r6, r4, r4, lsl #2\n\t"
        "lsls r6, r6, #3\n\t"               /* 40 * filters: the blocks */
        "add r12, r6, #" CONV_STR(CONV_STATE_BYTES) "\n\t"
        "mov r8, sp\n\t"                    /* the blocks are stored down from here */
        "sub sp, sp, r12\n\t"
        "add r10, sp, r6\n\t"               /* pair 0's block */
        "add r9, r0, #24\n\t"               /* the first row of positions ends 3 positions on */
        "add r11, r9, r5, lsl #6\n\t"       /* and the last one's next, 2 rows of 8 pixels a row */
        "stm sp, {r0, r3, r9, r10, r11, r12}\n\t"
        "add lr, r1, #36\n"                 /* r1 filter f0, lr filter f1 */
        "1:\n\t"                            /* copy the kernel: one pair's block */
        "ldm r1!, {r0, r4, r6, r9, r11}\n\t"          /* f0 taps 0-4 */
        "ldm lr!, {r3, r5, r7, r10, r12}\n\t"         /* f1 taps 0-4 */
        "stmdb r8!, {r0, r3, r4, r5, r6, r7, r9, r10, r11, r12}\n\t"
        "ldrd r0, r3, [r2], #8\n\t"                   /* bias f0 f1 */
        "ldm r1!, {r4, r6, r9, r11}\n\t"              /* f0 taps 5-8 */
        "ldm lr!, {r5, r7, r10, r12}\n\t"             /* f1 taps 5-8 */
        "stmdb r8!, {r0, r3, r4, r5, r6, r7, r9, r10, r11, r12}\n\t"
        "mov r1, lr\n\t"
        "add lr, lr, #36\n\t"
        "add r0, sp, #" CONV_STR(CONV_STATE_BYTES) "\n\t"
        "cmp r8, r0\n\t"
        "bne 1b\n\t"
        "ldr r0, [sp]\n\t"                  /* the first position's input corner */
        "ldr lr, [sp, #12]\n"
        "2:\n\t"                            /* block: pair at lr, position at r0 */
        "ldrd r7, r8, [lr], #-80\n\t"       /* bias; lr to the next block */
        CONV_INPUT_ROW(0, 0)
        CONV_WEIGHTS(CONV_TAP_0)
        CONV_SMLAD4("r1", "r2", "r3", "r4", "r7", "r8", "r7", "r8")
        CONV_INPUT_ROW(1, 0)
        CONV_SMLAD4("r5", "r6", "r7", "r8", "r7", "r8", "r7", "r8")
        CONV_TAP_ADD(1, 0, CONV_TAP_3) CONV_TAP_ADD(2, 0, CONV_TAP_6)
        CONV_COLUMN(1, CONV_TAP_1, CONV_TAP_4, CONV_TAP_7)
        CONV_COLUMN(2, CONV_TAP_2, CONV_TAP_5, CONV_TAP_8)
        /* pool, requantize, clamp, store */
        "pkhtb r11, r2, r1, asr #16\n\t"
        "pkhtb r12, r4, r3, asr #16\n\t"
        "pkhtb r9, r6, r5, asr #16\n\t"
        "pkhtb r10, r8, r7, asr #16\n\t"
        "ssub16 r1, r11, r12\n\t"
        "sel r11, r11, r12\n\t"
        "ssub16 r1, r9, r10\n\t"
        "sel r9, r9, r10\n\t"
        "ssub16 r1, r11, r9\n\t"
        "sel r11, r11, r9\n\t"
        "usat16 r11, #8, r11\n\t"
        "ldr r1, [sp, #4]\n\t"
        "str r11, [r1], #4\n\t"
        "str r1, [sp, #4]\n\t"
        "cmp sp, lr\n\t"
        "bne 2b\n\t"
        /* next position: 2 pixels right, or the next row of positions 2 input rows down */
        "adds r0, #8\n\t"
        "ldrd r1, lr, [sp, #8]\n\t"         /* end of the row, pair 0's block */
        "cmp r0, r1\n\t"
        "bne 2b\n\t"
        "ldr r2, [sp, #16]\n\t"
        "adds r0, #40\n\t"
        "adds r1, #64\n\t"
        "str r1, [sp, #8]\n\t"
        "cmp r1, r2\n\t"
        "bne 2b\n\t"
        "ldr r1, [sp, #20]\n\t"
        "add sp, sp, r1\n\t"
        "pop {r4-r11, pc}");
}
#endif

void hp_conv2d_3x3_maxpool2x2_s8(const int16_t *input, int height, int width, const int16_t *kernel,
                                 const int32_t *bias, int filters, int16_t *output)
{
#if defined(HP_CONV_ASM)
    if (width == 8 && height >= 4 && filters >= 2 && filters <= HP_CONV_ASM_MAX_FILTERS && filters % 2 == 0) {
        conv_width8_dsp(input, kernel, bias, output, filters, (height - 2) / 2);
        return;
    }
#endif
    conv_portable(input, height, width, kernel, bias, filters, output);
}
