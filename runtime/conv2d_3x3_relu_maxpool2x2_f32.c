/* 3x3 convolution + bias, ReLU, 2x2 max pooling, fused (see hp_kernels_f32.h). */
#include "hp_kernels_f32.h"

/* Filters and conv rows of a pool window computed together. The host: 8 filters (one AVX
 * register) for the whole window (4 pixels: four independent accumulator chains). A Cortex-M4F's
 * 32 S registers hold 16 accumulators plus operands: 4 pixels x 4 filters takes fewer loads per
 * multiply-add than 2 pixels x 8 filters. */
#if defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'
#define FILTER_BLOCK 4
#else
#define FILTER_BLOCK 8
#endif
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
/* On a Cortex-M4F, ST's model's constant shape reaches the tap loop (both helpers inlined into
 * the call with constants) and its 6 taps of a kernel row become straight-line code: no loop
 * instructions per 16 multiply-adds (19,319 -> 16,964 instructions per inference at -O2, for
 * 1.7 KB more flash). The host keeps its calls, and so does -Os, where flash comes first. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M' && \
    !defined(__OPTIMIZE_SIZE__)
#define ALWAYS_INLINE __attribute__((always_inline)) inline
#define TAPS_UNROLLED _Pragma("GCC unroll 6")
#else
#define ALWAYS_INLINE
#define TAPS_UNROLLED
#endif

static float max2(float a, float b) { return a > b ? a : b; }

/* Conv outputs of ROWS_TOGETHER rows x 2 columns, filters [first, first + FILTER_BLOCK), maxed
 * into best. in points at the top-left input of the first pixel. Each weight is loaded once for
 * all the pixels. */
ALWAYS_INLINE static void conv_rows_max(const float *restrict in, int row_stride, int channels,
                                        const float *restrict kernel, const float *restrict bias,
                                        int filters, int first, float *restrict best)
{
    const int row_taps = 3 * channels; /* kx and c of one kernel row, contiguous in input and kernel */
    float acc[PIXELS][FILTER_BLOCK];
    int ky, t, p, j;
    UNROLLED for (p = 0; p < PIXELS; p++)
        UNROLLED for (j = 0; j < FILTER_BLOCK; j++) acc[p][j] = bias[first + j];
    for (ky = 0; ky < 3; ky++) {
        const float *x = in + ky * row_stride;
        const float *w = kernel + ky * row_taps * filters + first;
        TAPS_UNROLLED for (t = 0; t < row_taps; t++, w += filters) {
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

/* One filter of one pool window, for the filters after the last full block. */
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

ALWAYS_INLINE static void conv_relu_pool(const float *input, int height, int width, int channels,
                                         const float *kernel, const float *bias, int filters,
                                         float *output)
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
