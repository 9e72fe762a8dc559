/* 3x3 convolution + bias, ReLU, 2x2 max pooling, fused (see hp_kernels_f32.h). */
#include <stddef.h>
#include <stdint.h>

#include "hp_kernels_f32.h"
#include "hp_vfma8.h"

#if defined(__ARM_ARCH_7EM__) && defined(__ARM_FP) && defined(__GNUC__)
/* Cortex-M4F/M7: GCC loads each weight with its own vldr and keeps few accumulators in
 * registers. Here 2 pixels x 8 filters stay in s0-s15 for a whole 3x3 window, one vldm brings
 * the 8 weights of a tap into s16-s23 and each weight feeds two vfma (fused, as fmaf): 22
 * instructions per 16 multiply-adds. The filters after the last whole block of 8 go one at a
 * time through the same code with one weight per tap. The loops over windows and filters are in
 * the asm too: as C they took more flash than the arithmetic. */

/* The shape as conv_layer reads it (offsets in the asm), and its loop state. Steps in bytes. */
typedef struct {
    int taps;              /*  0: multiply-adds per kernel row: kx and c, contiguous */
    int row_skip;          /*  4: from the end of a kernel row's inputs to the next row's */
    int row_bytes;         /*  8: one input row */
    int channel_bytes;     /* 12: from a pixel's inputs to its right neighbour's */
    int filter_bytes;      /* 16: from one tap's weights to the next's */
    const float *kernel;   /* 20 */
    const float *bias;     /* 24 */
    int filters;           /* 28 */
    int out_width;         /* 32: pool windows per row */
    int out_height;        /* 36: rows of pool windows */
    int32_t *acc;          /* 40: [pixel][filter] of a window, float bits */
    const float *row_base; /* 44: first input of the current row of windows */
    const float *block_w;  /* 48: kernel + first filter of the current block */
    int filters_left;      /* 52: in the current window */
    int windows_left;      /* 56: in the current row */
    int rows_left;         /* 60 */
} conv_state;
/* The asm's offsets: the build fails here if the layout were ever different. */
typedef char conv_state_offsets[offsetof(conv_state, rows_left) == 60 ? 1 : -1];

/* Every pool window, filters in blocks of 8 (1 after the last whole block): the four conv
 * outputs of the window (pixels at x0, x0 + channels and the two one row below) into
 * acc[pixel][filter], the top two in one pass of the kernel and the bottom two in a second; then
 * out[filter] = ReLU of their maximum, taken on the float bits as signed integers: positive
 * floats order like their bits and are above every negative one, whose maximum ReLU makes 0. */
static void conv_layer(const float *x0, conv_state *s, float *out)
{
    const float *x1, *w, *bias;
    int32_t *p = s->acc;
    int pass, rows, n, w_skip, t;
    __asm__ volatile(
        "ldr %[t], [%[s], #36]\n\t"
        "str %[t], [%[s], #60]\n"
        "7:\n\t" /* row of windows */
        "str %[x0], [%[s], #44]\n\t"
        "ldr %[t], [%[s], #32]\n\t"
        "str %[t], [%[s], #56]\n"
        "6:\n\t" /* window */
        "ldr %[w], [%[s], #20]\n\t"
        "ldr %[bias], [%[s], #24]\n\t"
        "ldr %[t], [%[s], #28]\n\t"
        "str %[t], [%[s], #52]\n\t"
        "ldr %[t], [%[s], #12]\n\t"
        "add %[x1], %[x0], %[t]\n"
        "4:\n\t" /* block: 8 filters while 8 are left, else 1 */
        "str %[w], [%[s], #48]\n\t"
        "ldr %[w_skip], [%[s], #16]\n\t"
        "ldr %[t], [%[s], #52]\n\t"
        "cmp %[t], #8\n\t"
        "ite ge\n\t"
        "subge %[w_skip], %[w_skip], #32\n\t"
        "sublt %[w_skip], %[w_skip], #4\n\t"
        "movs %[pass], #2\n"
        "0:\n\t" /* two pixels side by side */
        "movs %[rows], #3\n\t"
        "ldr %[t], [%[s], #52]\n\t"
        "cmp %[t], #8\n\t"
        "blt 10f\n\t"
        "vldm %[bias], {s0-s7}\n\t"
        "vldm %[bias], {s8-s15}\n"
        "1:\n\t" /* kernel row, 8 filters */
        "ldr %[n], [%[s]]\n"
        "2:\n\t" /* tap */
        "vldmia %[x0]!, {s24}\n\t"
        "vldmia %[x1]!, {s25}\n\t"
        "vldmia %[w]!, {s16-s23}\n\t"
        HP_VFMA8_INTO_S0_S7("s24")
        HP_VFMA8_INTO_S8_S15("s25")
        "add %[w], %[w], %[w_skip]\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 2b\n\t"
        "ldr %[t], [%[s], #4]\n\t"
        "add %[x0], %[x0], %[t]\n\t"
        "add %[x1], %[x1], %[t]\n\t"
        "subs %[rows], %[rows], #1\n\t"
        "bne 1b\n\t"
        "b 13f\n"
        "10:\n\t" /* one filter */
        "vldr s0, [%[bias]]\n\t"
        "vmov.f32 s8, s0\n"
        "11:\n\t" /* kernel row */
        "ldr %[n], [%[s]]\n"
        "12:\n\t" /* tap */
        "vldmia %[x0]!, {s24}\n\t"
        "vldmia %[x1]!, {s25}\n\t"
        "vldmia %[w]!, {s16}\n\t"
        "vfma.f32 s0, s24, s16\n\t"
        "vfma.f32 s8, s25, s16\n\t"
        "add %[w], %[w], %[w_skip]\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 12b\n\t"
        "ldr %[t], [%[s], #4]\n\t"
        "add %[x0], %[x0], %[t]\n\t"
        "add %[x1], %[x1], %[t]\n\t"
        "subs %[rows], %[rows], #1\n\t"
        "bne 11b\n"
        "13:\n\t"
        "vstmia %[p]!, {s0-s15}\n\t"
        "ldr %[t], [%[s], #8]\n\t" /* 3 rows down, back to 1 row below the first pass */
        "sub %[x0], %[x0], %[t], lsl #1\n\t"
        "sub %[x1], %[x1], %[t], lsl #1\n\t"
        "ldr %[w], [%[s], #48]\n\t"
        "subs %[pass], %[pass], #1\n\t"
        "bne 0b\n\t"
        "sub %[x0], %[x0], %[t], lsl #1\n\t" /* back to the window's first pixel */
        "sub %[x1], %[x1], %[t], lsl #1\n\t"
        "ldr %[t], [%[s], #52]\n\t"
        "movs %[n], #1\n\t"
        "cmp %[t], #8\n\t"
        "it ge\n\t"
        "movge %[n], #8\n\t"
        "subs %[t], %[t], %[n]\n\t"
        "str %[t], [%[s], #52]\n\t"
        "add %[w], %[w], %[n], lsl #2\n\t"
        "add %[bias], %[bias], %[n], lsl #2\n\t"
        "ldr %[p], [%[s], #40]\n"
        "3:\n\t" /* filter: ReLU of the maximum of the 4 pixels */
        "ldr %[t], [%[p], #32]\n\t"
        "ldr %[rows], [%[p]], #4\n\t"
        "cmp %[rows], %[t]\n\t"
        "it lt\n\t"
        "movlt %[rows], %[t]\n\t"
        "ldr %[t], [%[p], #60]\n\t"
        "cmp %[rows], %[t]\n\t"
        "it lt\n\t"
        "movlt %[rows], %[t]\n\t"
        "ldr %[t], [%[p], #92]\n\t"
        "cmp %[rows], %[t]\n\t"
        "it lt\n\t"
        "movlt %[rows], %[t]\n\t"
        "bic %[rows], %[rows], %[rows], asr #31\n\t"
        "str %[rows], [%[out]], #4\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 3b\n\t"
        "ldr %[p], [%[s], #40]\n\t"
        "ldr %[t], [%[s], #52]\n\t"
        "cmp %[t], #0\n\t"
        "bne 4b\n\t"
        "ldr %[t], [%[s], #12]\n\t" /* next window: two pixels right */
        "add %[x0], %[x0], %[t], lsl #1\n\t"
        "ldr %[t], [%[s], #56]\n\t"
        "subs %[t], %[t], #1\n\t"
        "str %[t], [%[s], #56]\n\t"
        "bne 6b\n\t"
        "ldr %[x0], [%[s], #44]\n\t" /* next row of windows: two rows down */
        "ldr %[t], [%[s], #8]\n\t"
        "add %[x0], %[x0], %[t], lsl #1\n\t"
        "ldr %[t], [%[s], #60]\n\t"
        "subs %[t], %[t], #1\n\t"
        "str %[t], [%[s], #60]\n\t"
        "bne 7b"
        : [x0] "+&r"(x0), [x1] "=&r"(x1), [w] "=&r"(w), [bias] "=&r"(bias), [p] "+&r"(p),
          [out] "+&r"(out), [pass] "=&r"(pass), [rows] "=&l"(rows), [n] "=&l"(n),
          [w_skip] "=&r"(w_skip), [t] "=&l"(t)
        : [s] "l"(s)
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13",
          "s14", "s15", "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24", "s25", "cc",
          "memory");
}

void hp_conv2d_3x3_relu_maxpool2x2_f32(const float *input, int height, int width, int channels,
                                       const float *kernel, const float *bias, int filters,
                                       float *output)
{
    int32_t acc[32];
    conv_state s;
    s.taps = 3 * channels;
    s.row_bytes = 4 * width * channels;
    s.row_skip = s.row_bytes - 4 * s.taps;
    s.channel_bytes = 4 * channels;
    s.filter_bytes = 4 * filters;
    s.kernel = kernel;
    s.bias = bias;
    s.filters = filters;
    s.out_width = (width - 2) >> 1; /* sizes are positive: a shift, no signed division code */
    s.out_height = (height - 2) >> 1;
    s.acc = acc;
    conv_layer(input, &s, output);
}
#else
static float max2(float a, float b) { return a > b ? a : b; }

/* One filter of one pool window: the filters after the last full block, and the reference order
 * of every output (bias, then taps ky, kx, c, one multiply-add each). */
static float conv_pool_filter(const float *in, int row_stride, int channels, const float *kernel,
                              const float *bias, int filters, int f)
{
    const int row_taps = 3 * channels;
    float best = 0.0f; /* ReLU: the result is at least 0 */
    int p, ky;
    for (p = 0; p < 4; p++) {
        const float *x = in + (p / 2) * row_stride + (p % 2) * channels;
        float acc = bias[f];
        for (ky = 0; ky < 3; ky++)
            acc = hp_dot_f32(acc, x + ky * row_stride, kernel + ky * row_taps * filters + f, filters,
                             row_taps);
        best = max2(best, acc);
    }
    return best;
}

/* Host (and cores without an FPU): filters and conv rows of a pool window computed together, 8
 * filters (one AVX register) for the whole window, four independent accumulator chains. */
#define FILTER_BLOCK 8
/* Both rows in one pass. Kept as a parameter of a one-pass loop below: with GCC 12 that form
 * runs the whole model 280 ns per frame on the host against 370 ns with a direct call. */
#define ROWS_TOGETHER 2
#define PIXELS (2 * ROWS_TOGETHER)

/* Loops over pixels and filters must become straight-line code, or the accumulators live in
 * memory; -O2 and -Os do not unroll them by themselves. */
#if defined(__GNUC__) && !defined(__clang__)
#define UNROLLED _Pragma("GCC unroll 8")
#else
#define UNROLLED
#endif

/* Conv outputs of ROWS_TOGETHER rows x 2 columns, filters [first, first + FILTER_BLOCK), maxed
 * into best. in points at the top-left input of the first pixel. Each weight is loaded once for
 * all the pixels. */
static void conv_rows_max(const float *restrict in, int row_stride, int channels,
                          const float *restrict kernel, const float *restrict bias, int filters,
                          int first, float *restrict best)
{
    const int row_taps = 3 * channels; /* kx and c of one kernel row, contiguous in input and kernel */
    float acc[PIXELS][FILTER_BLOCK];
    int ky, t, p, j;
    UNROLLED for (p = 0; p < PIXELS; p++)
        UNROLLED for (j = 0; j < FILTER_BLOCK; j++) acc[p][j] = bias[first + j];
    for (ky = 0; ky < 3; ky++) {
        const float *x = in + ky * row_stride;
        const float *w = kernel + ky * row_taps * filters + first;
        for (t = 0; t < row_taps; t++, w += filters) {
            UNROLLED for (p = 0; p < PIXELS; p++) {
                const float xp = x[(p / 2) * row_stride + (p % 2) * channels + t];
                UNROLLED for (j = 0; j < FILTER_BLOCK; j++) acc[p][j] = HP_MADD_F32(xp, w[j], acc[p][j]);
            }
        }
    }
    UNROLLED for (j = 0; j < FILTER_BLOCK; j++) {
        float m = acc[0][j];
        UNROLLED for (p = 1; p < PIXELS; p++) m = max2(m, acc[p][j]);
        best[j] = max2(best[j], m);
    }
}

static void conv_relu_pool(const float *input, int height, int width, int channels,
                           const float *kernel, const float *bias, int filters, float *output)
{
    const int row_stride = width * channels;
    const int out_height = (height - 2) / 2, out_width = (width - 2) / 2;
    const int full = filters - filters % FILTER_BLOCK;
    int py, px, f, dy, j;
    for (py = 0; py < out_height; py++) {
        for (px = 0; px < out_width; px++) {
            const float *in = input + 2 * py * row_stride + 2 * px * channels;
            float *out = output + (py * out_width + px) * filters;
            for (f = 0; f < full; f += FILTER_BLOCK) {
                /* ReLU as the max's starting value: max(0, pool) on a quarter of the values. */
                float best[FILTER_BLOCK];
                UNROLLED for (j = 0; j < FILTER_BLOCK; j++) best[j] = 0.0f;
                for (dy = 0; dy < 2; dy += ROWS_TOGETHER)
                    conv_rows_max(in + dy * row_stride, row_stride, channels, kernel, bias, filters, f,
                                  best);
                UNROLLED for (j = 0; j < FILTER_BLOCK; j++) out[f + j] = best[j];
            }
            for (; f < filters; f++)
                out[f] = conv_pool_filter(in, row_stride, channels, kernel, bias, filters, f);
        }
    }
}

void hp_conv2d_3x3_relu_maxpool2x2_f32(const float *input, int height, int width, int channels,
                                       const float *kernel, const float *bias, int filters,
                                       float *output)
{
    /* ST's model (8x8x2 input, 8 filters): constant arguments let the compiler unroll the tap
     * loop and fold the address arithmetic. */
    if (height == 8 && width == 8 && channels == 2 && filters == 8)
        conv_relu_pool(input, 8, 8, 2, kernel, bias, 8, output);
    else
        conv_relu_pool(input, height, width, channels, kernel, bias, filters, output);
}
#endif
