/* 3x3 convolution (stride 1, valid) followed by 2x2 max pooling (stride 2, floor), int8.
 *
 * Requantization (>> 16) and the clamp are non-decreasing, so max(requantize(acc_i)) ==
 * requantize(max(acc_i)): taking the max of the four int32 accumulators first gives exactly the
 * conv output pooled, with a quarter of the requantizations, no conv output buffer, and the conv
 * outputs that pooling drops never computed.
 *
 * One 32-bit word of input or kernel is the channel pair of one pixel or tap, so on the DSP path
 * each SMLAD is one tap. */
#include "hp_config.h"
#include "hp_kernels_s8.h"

/* Cortex-M4/M7 with GCC (or Clang) optimizing: 8-pixel-wide inputs (ST's sensors) with an even
 * number of filters go through the asm below; everything else through the portable C, which
 * then only serves those rarer shapes (so it is kept small). */
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__OPTIMIZE__)
#define HP_CONV_ASM 1
#define HP_CONV_PORTABLE_ATTR __attribute__((cold, noinline))
#else
#define HP_CONV_PORTABLE_ATTR
#endif

/* A package whose model always fits the asm (hp_config.h) leaves the portable path out. */
#if !defined(HP_CONV_ASM) || !defined(HP_CONFIG_S8_ASM_SHAPES)
/* The accumulator of the window at `corner` (portable): `filter` is its tap words (distance low,
 * signal high) and its bias at `at[0..9]`. */
static int32_t window(const int32_t *filter, const int *at, const int16_t *corner, int row)
{
    int32_t acc = filter[at[9]];
    for (int t = 0; t < 9; t++) {
        const int32_t w = filter[at[t]];
        const int16_t *x = corner + (t / 3) * row + 2 * (t % 3);
        acc += (int16_t)(uint16_t)((uint32_t)w & 0xffffu) * x[0] + (int16_t)(w >> 16) * x[1];
    }
    return acc;
}

HP_CONV_PORTABLE_ATTR static void conv_portable(const int16_t *input, int height, int width, const int32_t *weights,
                                                int filters, int16_t *output)
{
    const int out_h = (height - 2) / 2, out_w = (width - 2) / 2, row = 2 * width;
    int at[10]; /* where filter 0 of a block has its taps and bias */
    for (int t = 0; t < 10; t++) at[t] = hp_conv_weight_index(0, t, 2);
    for (int py = 0; py < out_h; py++)
        for (int px = 0; px < out_w; px++)
            for (int f = 0; f < filters; f++, output++) {
                const int32_t *filter = weights + hp_conv_weight_index(f, 0, filters) - at[0];
                const int16_t *corner = input + 2 * py * row + 4 * px; /* conv pixels (2py + dy, 2px + dx) */
                int32_t best = window(filter, at, corner, row), acc;
                if ((acc = window(filter, at, corner + 2, row)) > best) best = acc;
                if ((acc = window(filter, at, corner + row, row)) > best) best = acc;
                if ((acc = window(filter, at, corner + row + 2, row)) > best) best = acc;
                *output = hp_usat8(best >> 16); /* arithmetic shift: floor */
            }
}

#endif

#if defined(HP_CONV_ASM)
/* The DSP path, width 8 (the input offsets are immediates).
 *
 * A block is two filters (f0, f1) at one pooling position: the 2x2 windows' eight accumulators
 * a<window><filter>, windows 0 1 on the top row and 2 3 below. Per tap, one LDRD of the two
 * filters' words, eight SMLAD against the input words of the four windows. The taps go column by
 * column (2, 0, 1), top to bottom: the bottom windows' input row of one tap is the top windows'
 * row of the next, so a column of three taps loads four input rows, not six (per block 21 loads
 * for 72 SMLAD). The accumulators start at the bias: the first tap's SMLAD add to a30 a31, which
 * one LDM loads with the first tap's weights.
 *
 * Then the top halves (floor(acc / 2^16), the requantized value) of a window's two filters are
 * packed in one register by PKHTB, the max of two such pairs is SSUB16 + SEL (SEL picks each
 * halfword by the sign of SSUB16's difference), USAT16 #8 clamps both to [0, 255], and one STR
 * writes the two outputs (filters are fastest in the output; an output that is not 4-byte
 * aligned is fine on Cortex-M4/M7 unless unaligned accesses are made to trap).
 *
 * The weights come in the order this reads them (hp_kernels_s8.h): per filter pair a block of
 * 20 words, tap pairs (f0, f1) for LDRD, the biases among them, block 0 at the highest address.
 * 24 bytes of state on the stack (offsets from sp):
 *   0 input, 4 output pointer, 8 the weights pointer after the last pair (weights - 24),
 *   12 end of the current row of positions (the input pointer after its last position),
 *   16 pair 0's block + 56, 20 end of the last row.
 * The weights pointer lr, block + 56 at the start, steps down one block per pair (LDM's +16,
 * tap 3's -96). Registers: a00 a01 a10 a11 in r1-r4, a20 a21 a30 a31 in r7-r10, the pair of
 * weights r5 r6, the pair of inputs r11 r12, the position's input corner r0. */
#define CONV_STR_(x) #x
#define CONV_STR(x) CONV_STR_(x)

/* Four multiply-adds of the pair of weights (r5 r6) with a pair of inputs (r11 r12): into
 * a00 a01 a10 a11 (the top windows) or a20 a21 a30 a31 (the bottom ones), each added to the
 * accumulator named after it (the first tap: to the bias, in r9 r10). */
#define CONV_SMLAD4(d0, d1, d2, d3, s0, s1, s2, s3)                                               \
    "smlad " d0 ", r5, r11, " s0 "\n\t"                                                            \
    "smlad " d1 ", r6, r11, " s1 "\n\t"                                                            \
    "smlad " d2 ", r5, r12, " s2 "\n\t"                                                            \
    "smlad " d3 ", r6, r12, " s3 "\n\t"
#define CONV_TOP CONV_SMLAD4("r1", "r2", "r3", "r4", "r1", "r2", "r3", "r4")
#define CONV_BOTTOM CONV_SMLAD4("r7", "r8", "r9", "r10", "r7", "r8", "r9", "r10")
#define CONV_INPUT_ROW(row, kx) "ldrd r11, r12, [r0, #" CONV_STR((32 * (row) + 4 * (kx))) "]\n\t"
/* Tap (ky, kx) but the first, its weights at `address`: the top windows' inputs (row ky) are in
 * r11 r12 already. */
#define CONV_TAP(ky, kx, address) "ldrd r5, r6, " address "\n\t" CONV_TOP CONV_INPUT_ROW((ky) + 1, kx) CONV_BOTTOM

/* On the DSP path the function itself is this asm: inputs 8 pixels wide, an even number of
 * filters and height >= 4 here, any other shape to conv_portable (a tail call: the arguments
 * are untouched until the checks pass), unless the package's model always fits (hp_config.h). */
#if defined(HP_CONFIG_S8_ASM_SHAPES)
#define CONV_SHAPE_CHECK ""
#define CONV_FALLBACK ""
#else
#define CONV_SHAPE_CHECK                                                                           \
    "cmp r2, #8\n\t"                                                                               \
    "bne 9f\n\t"                                                                                   \
    "cmp r1, #4\n\t"                                                                               \
    "blt 9f\n\t"                                                                                   \
    "ldr r12, [sp]\n\t" /* filters: even, at least 2 */                                           \
    "cmp r12, #2\n\t"                                                                              \
    "blt 9f\n\t"                                                                                   \
    "tst r12, #1\n\t"                                                                              \
    "bne 9f\n\t"
#define CONV_FALLBACK "9:\n\tb.w %c0"
#endif
#define CONV_ARG __attribute__((unused)) /* read by the asm: r0-r3, then filters, output on the stack */
__attribute__((naked)) void hp_conv2d_3x3_maxpool2x2_s8(const int16_t *input CONV_ARG, int height CONV_ARG,
                                                        int width CONV_ARG, const int32_t *weights CONV_ARG,
                                                        int filters CONV_ARG, int16_t *output CONV_ARG)
{
    __asm__(
        CONV_SHAPE_CHECK
        "push {r4-r11, lr}\n\t"
        "ldrd r4, r5, [sp, #36]\n\t"        /* filters, output */
        "subs r1, #2\n\t"
        "lsrs r1, #1\n\t"                   /* rows of positions */
        "add r6, r4, r4, lsl #2\n\t"
        "add lr, r3, r6, lsl #3\n\t"       /* weights + 40 * filters */
        "sub lr, lr, #24\n\t"              /* pair 0's block + 56 */
        "sub r6, r3, #24\n\t"              /* the weights pointer after the last pair */
        "add r9, r0, #24\n\t"               /* the first row of positions ends 3 positions on */
        "add r11, r9, r1, lsl #6\n\t"       /* and the last one's next, 2 rows of 8 pixels a row */
        "sub sp, sp, #24\n\t"
        "stm sp, {r0, r5, r6, r9, lr}\n\t"
        "str r11, [sp, #20]\n"
        "2:\n\t"                            /* block: pair at lr - 56, position at r0 */
        "ldm lr!, {r5, r6, r9, r10}\n\t"    /* tap 2, bias f0 f1; lr = block + 72 */
        CONV_INPUT_ROW(0, 2)
        CONV_SMLAD4("r1", "r2", "r3", "r4", "r9", "r10", "r9", "r10")
        CONV_INPUT_ROW(1, 2)
        CONV_SMLAD4("r7", "r8", "r9", "r10", "r9", "r10", "r9", "r10")
        CONV_TAP(1, 2, "[lr, #-64]")        /* tap 5 at block + 8 */
        CONV_TAP(2, 2, "[lr, #-40]")        /* tap 8 at block + 32 */
        CONV_INPUT_ROW(0, 0)
        CONV_TAP(0, 0, "[lr, #-32]")        /* tap 0 at block + 40 */
        CONV_TAP(1, 0, "[lr], #-96")        /* tap 3 at block + 72; lr = the next block + 56 */
        CONV_TAP(2, 0, "[lr, #40]")         /* tap 6 at block + 16 */
        CONV_INPUT_ROW(0, 1)
        CONV_TAP(0, 1, "[lr, #72]")         /* tap 1 at block + 48 */
        CONV_TAP(1, 1, "[lr, #24]")         /* tap 4 at block + 0 */
        CONV_TAP(2, 1, "[lr, #48]")         /* tap 7 at block + 24 */
        /* pool, requantize, clamp, store */
        "pkhtb r11, r2, r1, asr #16\n\t"
        "pkhtb r12, r4, r3, asr #16\n\t"
        "pkhtb r5, r8, r7, asr #16\n\t"
        "pkhtb r6, r10, r9, asr #16\n\t"
        "ssub16 r1, r11, r12\n\t"
        "sel r11, r11, r12\n\t"
        "ssub16 r1, r5, r6\n\t"
        "sel r5, r5, r6\n\t"
        "ssub16 r1, r11, r5\n\t"
        "sel r11, r11, r5\n\t"
        "usat16 r11, #8, r11\n\t"
        "ldrd r1, r2, [sp, #4]\n\t"        /* output pointer, end of the pairs */
        "str r11, [r1], #4\n\t"
        "str r1, [sp, #4]\n\t"
        "cmp r2, lr\n\t"
        "bne 2b\n\t"
        /* next position: 2 pixels right, or the next row of positions 2 input rows down */
        "adds r0, #8\n\t"
        "ldrd r1, lr, [sp, #12]\n\t"        /* end of the row, pair 0's block + 56 */
        "cmp r0, r1\n\t"
        "bne 2b\n\t"
        "ldr r2, [sp, #20]\n\t"
        "adds r0, #40\n\t"
        "adds r1, #64\n\t"
        "str r1, [sp, #12]\n\t"
        "cmp r1, r2\n\t"
        "bne 2b\n\t"
        "add sp, sp, #24\n\t"
        "pop {r4-r11, pc}\n"
        CONV_FALLBACK
#if !defined(HP_CONFIG_S8_ASM_SHAPES)
        :
        : "i"(conv_portable)
#endif
    );
}
#else
void hp_conv2d_3x3_maxpool2x2_s8(const int16_t *input, int height, int width, const int32_t *weights, int filters,
                                 int16_t *output)
{
    conv_portable(input, height, width, weights, filters, output);
}
#endif
