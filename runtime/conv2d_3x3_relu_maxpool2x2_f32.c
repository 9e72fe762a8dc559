/* 3x3 convolution + bias, ReLU, 2x2 max pooling, fused (see hp_kernels_f32.h). */
#include <stdint.h>
#include <string.h>

#include "hp_kernels_f32.h"

static float max2(float a, float b) { return a > b ? a : b; }

/* One filter of one pool window: the filters after the last full block, and the reference order
 * of every output (bias, then taps ky, kx, c, one multiply-add each). */
static float conv_pool_filter(const float *in, int row_stride, int channels, const float *kernel,
                              const float *bias, int filters, int f)
{
    const int row_taps = 3 * channels;
    float best = 0.0f; /* ReLU: the result is at least 0 */
    int p, ky, t;
    for (p = 0; p < 4; p++) {
        const float *x0 = in + (p / 2) * row_stride + (p % 2) * channels;
        float acc = bias[f];
        for (ky = 0; ky < 3; ky++)
            for (t = 0; t < row_taps; t++)
                acc = HP_MADD_F32(x0[ky * row_stride + t], kernel[(ky * row_taps + t) * filters + f], acc);
        best = max2(best, acc);
    }
    return best;
}

#if defined(__ARM_ARCH_7EM__) && defined(__ARM_FP) && defined(__GNUC__)
/* Cortex-M4F/M7: GCC loads each weight with its own vldr and keeps few accumulators in
 * registers. Here 2 pixels x 8 filters stay in s0-s15 for the whole 3x3 window, one vldm brings
 * the 8 weights of a tap into s16-s23 and each weight feeds two vfma (fused, as fmaf): 21
 * instructions per 16 multiply-adds, in a loop of 100 bytes. */

/* Conv outputs of the pixels at x and x + channels, filters w[0..7] of each tap (w = kernel +
 * first filter), into out[0..7] and out[8..15] as float bits. */
static void conv_2x8(const float *x, int row_stride, int channels, const float *w, int filters,
                     const float *bias, int32_t *out)
{
    const float *x1 = x + channels;
    const int taps = 3 * channels; /* kx and c of a kernel row: contiguous in input and kernel */
    const int w_skip = 4 * (filters - 8), x_skip = 4 * (row_stride - taps); /* bytes */
    int rows, n;
    __asm__ volatile(
        "vldm %[bias], {s0-s7}\n\t"
        "vldm %[bias], {s8-s15}\n\t"
        "movs %[rows], #3\n"
        "1:\n\t"
        "mov %[n], %[taps]\n"
        "2:\n\t"
        "vldmia %[x0]!, {s24}\n\t"
        "vldmia %[x1]!, {s25}\n\t"
        "vldmia %[w]!, {s16-s23}\n\t"
        "vfma.f32 s0, s24, s16\n\t"
        "vfma.f32 s1, s24, s17\n\t"
        "vfma.f32 s2, s24, s18\n\t"
        "vfma.f32 s3, s24, s19\n\t"
        "vfma.f32 s4, s24, s20\n\t"
        "vfma.f32 s5, s24, s21\n\t"
        "vfma.f32 s6, s24, s22\n\t"
        "vfma.f32 s7, s24, s23\n\t"
        "vfma.f32 s8, s25, s16\n\t"
        "vfma.f32 s9, s25, s17\n\t"
        "vfma.f32 s10, s25, s18\n\t"
        "vfma.f32 s11, s25, s19\n\t"
        "vfma.f32 s12, s25, s20\n\t"
        "vfma.f32 s13, s25, s21\n\t"
        "vfma.f32 s14, s25, s22\n\t"
        "vfma.f32 s15, s25, s23\n\t"
        "add %[w], %[w], %[w_skip]\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 2b\n\t"
        "add %[x0], %[x0], %[x_skip]\n\t"
        "add %[x1], %[x1], %[x_skip]\n\t"
        "subs %[rows], %[rows], #1\n\t"
        "bne 1b\n\t"
        "vstm %[out], {s0-s15}"
        : [x0] "+&r"(x), [x1] "+&r"(x1), [w] "+&r"(w), [rows] "=&r"(rows), [n] "=&r"(n)
        : [bias] "r"(bias), [taps] "r"(taps), [w_skip] "r"(w_skip), [x_skip] "r"(x_skip), [out] "r"(out)
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13",
          "s14", "s15", "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24", "s25", "cc",
          "memory");
}

static void conv_relu_pool(const float *input, int height, int width, int channels,
                           const float *kernel, const float *bias, int filters, float *output)
{
    const int row_stride = width * channels;
    const int out_height = (height - 2) / 2, out_width = (width - 2) / 2;
    const int full = filters - filters % 8;
    int32_t acc[32]; /* [pixel][filter] of a pool window, float bits */
    int py, px, f, j;
    for (py = 0; py < out_height; py++) {
        for (px = 0; px < out_width; px++) {
            const float *in = input + 2 * py * row_stride + 2 * px * channels;
            float *out = output + (py * out_width + px) * filters;
            for (f = 0; f < full; f += 8) {
                conv_2x8(in, row_stride, channels, kernel + f, filters, bias + f, acc);
                conv_2x8(in + row_stride, row_stride, channels, kernel + f, filters, bias + f, acc + 16);
                /* ReLU of the max as signed integers: positive floats order like their bits and
                 * are above every negative one, whose maximum ReLU makes 0 anyway. */
                for (j = 0; j < 8; j++) {
                    int32_t m = acc[j];
                    if (acc[8 + j] > m) m = acc[8 + j];
                    if (acc[16 + j] > m) m = acc[16 + j];
                    if (acc[24 + j] > m) m = acc[24 + j];
                    if (m < 0) m = 0;
                    memcpy(&out[f + j], &m, sizeof m);
                }
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
    conv_relu_pool(input, height, width, channels, kernel, bias, filters, output);
}
#else
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
