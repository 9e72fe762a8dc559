/* 3x3 convolution (stride 1, valid) followed by 2x2 max pooling (stride 2, floor), int8.
 *
 * Requantization (multiplier > 0), the output offset and the clamp are all non-decreasing, so
 * max(requantize(acc_i)) == requantize(max(acc_i)): taking the max of the four int32
 * accumulators first gives exactly the conv output pooled, with a quarter of the
 * requantizations, no conv output buffer, and the conv outputs that pooling drops never computed.
 *
 * One 32-bit word of input or kernel is the channel pair of one pixel or tap, so on the DSP path
 * each SMLAD is one tap. Per filter and kernel row, the three kernel words are loaded once for
 * the four pixels of a pooling window, and each input word once for the two pixels of a window
 * row that read it. */
#include <stddef.h>

#include "hp_kernels_s8.h"
#include "hp_s8_dsp.h"

/* Cortex-M4/M7 with GCC (or Clang) optimizing: the window loop in asm; otherwise C. */
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__OPTIMIZE__) && !defined(HP_ACLE_EMULATION)
#define HP_CONV_ASM 1
#endif

#if defined(HP_CONV_ASM)
/* (the asm below) */
#elif defined(__ARM_FEATURE_DSP)
/* One kernel row for the four pixels of a window: the row's three kernel words, the four input
 * words of the window's top and bottom rows, twelve SMLAD. */
static inline void kernel_row(const int16_t *k, const int16_t *top, const int16_t *bottom, int32_t *acc00,
                              int32_t *acc01, int32_t *acc10, int32_t *acc11)
{
    const int32_t w0 = hp_word(k), w1 = hp_word(k + 2), w2 = hp_word(k + 4);
    int32_t x0 = hp_word(top), x1 = hp_word(top + 2), x2 = hp_word(top + 4), x3 = hp_word(top + 6);
    *acc00 = __smlad(w2, x2, __smlad(w1, x1, __smlad(w0, x0, *acc00)));
    *acc01 = __smlad(w2, x3, __smlad(w1, x2, __smlad(w0, x1, *acc01)));
    x0 = hp_word(bottom);
    x1 = hp_word(bottom + 2);
    x2 = hp_word(bottom + 4);
    x3 = hp_word(bottom + 6);
    *acc10 = __smlad(w2, x2, __smlad(w1, x1, __smlad(w0, x0, *acc10)));
    *acc11 = __smlad(w2, x3, __smlad(w1, x2, __smlad(w0, x1, *acc11)));
}
#else

/* The four accumulators of the window at `corner` (portable). */
static inline void window(const int16_t *k, const int16_t *corner, int row, int32_t *acc00, int32_t *acc01,
                          int32_t *acc10, int32_t *acc11)
{
    for (int ky = 0; ky < 3; ky++, k += 6, corner += row)
        for (int j = 0; j < 6; j++) {
            *acc00 += k[j] * corner[j];
            *acc01 += k[j] * corner[2 + j];
            *acc10 += k[j] * corner[row + j];
            *acc11 += k[j] * corner[row + 2 + j];
        }
}
#endif

#if defined(HP_CONV_ASM)
/* One filter over every window, by hand: GCC spills at this register pressure (~129
 * instructions per window and filter against ~60 here). Per window: the four accumulators in
 * r8-r11, per kernel row one LDM of its three words (r0-r2) and two LDM of four input words
 * (r3-r6), twelve multiply-adds (the first row's first ones SMUAD: the accumulators start at 0,
 * the bias is added to their max, which is the same); then the max, and with one LDM of the
 * first ten fields the bias, requantization (multiplier below 1/4: SMMUL, ADD, ASR), clamp, store
 * and the step to the next window. What the loop reads besides registers is in this struct
 * (offsets in the asm; the struct is in r7, the one register the asm leaves to it). */
typedef struct {
    int32_t multiplier;   /*  0 */
    int32_t round;        /*  4: 2^(n - 1) */
    int32_t n;            /*  8: -shift - 1 */
    int32_t bias;         /* 12 */
    int32_t low;          /* 16: activation_min - offset (the output is q - offset) */
    int32_t high;         /* 20: activation_max - offset */
    int16_t *out;         /* 24: next output */
    int out_stride;       /* 28: bytes between a filter's outputs */
    const int16_t *row_end; /* 32: the corner after the row's last window */
    int back_bytes;       /* 36: 3 rows - 2 pixels: from the window's last row to the next corner */
    const int16_t *kernel;/* 40: the filter's 18 int16 (9 words) */
    int row_bytes;        /* 44: one input row */
    int rows_left;        /* 48 */
    int out_w;            /* 52 */
    const int16_t *row_start; /* 56 */
} conv_filter_state;
typedef char conv_filter_state_offsets[offsetof(conv_filter_state, row_start) == 56 ? 1 : -1];

#define MUL_FIRST(acc, w, x) "smuad " acc ", " w ", " x "\n\t"
#define MUL_ADD(acc, w, x) "smlad " acc ", " w ", " x ", " acc "\n\t"

/* One kernel row of a window: its three words (r0-r2) times the top pixels' (r8 r9) and, one
 * input row down, the bottom pixels' (r10 r11) inputs; r12 ends one row down. FIRST: MUL_FIRST
 * for the window's first row, else MUL_ADD. */
#define KERNEL_ROW(FIRST) \
    "ldm lr!, {r0, r1, r2}\n\t" \
    "ldm r12, {r3, r4, r5, r6}\n\t" \
    FIRST("r8", "r0", "r3") \
    MUL_ADD("r8", "r1", "r4") \
    MUL_ADD("r8", "r2", "r5") \
    FIRST("r9", "r0", "r4") \
    MUL_ADD("r9", "r1", "r5") \
    MUL_ADD("r9", "r2", "r6") \
    "ldr r3, [%[s], #44]\n\t" \
    "add r12, r12, r3\n\t" \
    "ldm r12, {r3, r4, r5, r6}\n\t" \
    FIRST("r10", "r0", "r3") \
    MUL_ADD("r10", "r1", "r4") \
    MUL_ADD("r10", "r2", "r5") \
    FIRST("r11", "r0", "r4") \
    MUL_ADD("r11", "r1", "r5") \
    MUL_ADD("r11", "r2", "r6")

static void filter_windows(conv_filter_state *s)
{
    __asm__ volatile(
        "1:\n\t" /* row of windows: r12 its first corner */
        "ldr r12, [%[s], #56]\n\t"
        "ldr r0, [%[s], #52]\n\t"
        "add r0, r12, r0, lsl #3\n\t"
        "str r0, [%[s], #32]\n"
        "2:\n\t" /* window at r12 */
        "ldr lr, [%[s], #40]\n\t"
        KERNEL_ROW(MUL_FIRST) KERNEL_ROW(MUL_ADD) KERNEL_ROW(MUL_ADD)
        /* the max of the four */
        "cmp r8, r9\n\t"
        "it lt\n\t"
        "movlt r8, r9\n\t"
        "cmp r10, r11\n\t"
        "it lt\n\t"
        "movlt r10, r11\n\t"
        "cmp r8, r10\n\t"
        "it lt\n\t"
        "movlt r8, r10\n\t"
        /* multiplier, round, n, bias, low, high, out, out_stride, row_end, back_bytes */
        "ldm %[s], {r0, r1, r2, r3, r4, r5, r6, r9, r10, r11}\n\t"
        "add r8, r8, r3\n\t"
        /* requantize, clamp (the bounds minus the offset: the output is q - offset) */
        "smmul r8, r8, r0\n\t"
        "add r8, r8, r1\n\t"
        "asr r8, r8, r2\n\t"
        "cmp r8, r4\n\t"
        "it lt\n\t"
        "movlt r8, r4\n\t"
        "cmp r8, r5\n\t"
        "it gt\n\t"
        "movgt r8, r5\n\t"
        "strh r8, [r6]\n\t"
        "add r6, r6, r9\n\t"
        "str r6, [%[s], #24]\n\t"
        /* next window: two pixels right of this one's corner, r12 being 3 rows below it */
        "sub r12, r12, r11\n\t"
        "cmp r12, r10\n\t"
        "bne 2b\n\t"
        /* next row of windows: two rows down */
        "ldr r0, [%[s], #56]\n\t"
        "ldr r1, [%[s], #44]\n\t"
        "add r0, r0, r1, lsl #1\n\t"
        "str r0, [%[s], #56]\n\t"
        "ldr r0, [%[s], #48]\n\t"
        "subs r0, r0, #1\n\t"
        "str r0, [%[s], #48]\n\t"
        "bne 1b"
        :
        : [s] "r"(s)
        : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r8", "r9", "r10", "r11", "r12", "lr", "cc", "memory");
}
#endif

void hp_conv2d_3x3_maxpool2x2_s8(const int16_t *input, int height, int width, const int16_t *kernel,
                                 const int32_t *bias, int filters, const hp_quant_params_s8 *params, int16_t *output)
{
    const int out_h = (height - 2) / 2, out_w = (width - 2) / 2;
#if defined(HP_CONV_ASM)
    conv_filter_state s;
    if (out_h < 1 || out_w < 1) return;
    s.low = params->activation_min - params->output_offset;
    s.high = params->activation_max - params->output_offset;
    s.row_bytes = 4 * width;
    s.out_stride = 2 * filters;
    s.out_w = out_w;
    s.back_bytes = 3 * s.row_bytes - 8;
    for (int f = 0; f < filters; f++) {
        s.multiplier = params->multiplier[f];
        s.n = -params->shift[f] - 1; /* shift <= -2: n >= 1 */
        s.round = (int32_t)(1u << (s.n - 1));
        s.kernel = kernel + 18 * f;
        s.bias = bias[f];
        s.out = output + f;
        s.rows_left = out_h;
        s.row_start = input;
        filter_windows(&s);
    }
#else
    const int row = 2 * width;
    /* filter by filter, so its weights, bias and requantization stay at hand for every window */
    for (int f = 0; f < filters; f++, kernel += 18) {
        int16_t *out = output + f;
        for (int py = 0; py < out_h; py++) {
            /* top-left input of the 2x2 conv pixels (2py + dy, 2px + dx) */
            const int16_t *corner = input + 2 * py * row;
            for (int px = 0; px < out_w; px++, corner += 4, out += filters) {
                int32_t acc00 = bias[f], acc01 = acc00, acc10 = acc00, acc11 = acc00;
#if defined(__ARM_FEATURE_DSP)
                kernel_row(kernel, corner, corner + row, &acc00, &acc01, &acc10, &acc11);
                kernel_row(kernel + 6, corner + row, corner + 2 * row, &acc00, &acc01, &acc10, &acc11);
                kernel_row(kernel + 12, corner + 2 * row, corner + 3 * row, &acc00, &acc01, &acc10, &acc11);
#else
                window(kernel, corner, row, &acc00, &acc01, &acc10, &acc11);
#endif
                const int32_t top = acc00 > acc01 ? acc00 : acc01, bottom = acc10 > acc11 ? acc10 : acc11;
                *out = hp_output_s8(top > bottom ? top : bottom, params, f);
            }
        }
    }
#endif
}
