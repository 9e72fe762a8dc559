/* 3x3 convolution + bias, ReLU, 2x2 max pooling over HP_LANES frames (see hp_model_f32_batch.h).
 * Each frame's arithmetic is that of conv2d_3x3_relu_maxpool2x2_f32.c. */
#include "hp_kernels_f32.h"
#include "hp_model_f32_batch.h"

#define LANES HP_LANES
/* Filters of a pool window computed together: 4 pixels x 4 filters = 16 vector accumulators
 * (half of AVX-512's registers), each weight broadcast once for the 4 pixels. */
#define FILTER_BLOCK 4
#define PIXELS 4

/* Loops over pixels and filters become straight-line code, each loop over lanes one vector
 * operation: kept a loop (not unrolled into scalars before the vectorizer sees it), the
 * accumulators then stay in vector registers across the taps. */
#if defined(__GNUC__) && !defined(__clang__)
#define UNROLLED _Pragma("GCC unroll 16")
#define LANE_LOOP _Pragma("GCC unroll 1")
#else
#define UNROLLED
#define LANE_LOOP
#endif

static float max2(float a, float b) { return a > b ? a : b; }

/* Filters [first, first + FILTER_BLOCK) of the pool window whose top-left input is `in`, into
 * out [FILTER_BLOCK][LANES]. Strides are in floats of the lanes layout; a kernel row's taps
 * (kx, channel) are contiguous, LANES floats apart. */
static void window_block(const float *restrict in, int row_stride, int pixel_stride, int row_taps,
                         const float *restrict kernel, const float *restrict bias, int filters,
                         int first, float *restrict out)
{
    float acc[PIXELS][FILTER_BLOCK][LANES];
    int ky, t, p, j, l;
    UNROLLED for (p = 0; p < PIXELS; p++)
        UNROLLED for (j = 0; j < FILTER_BLOCK; j++)
            LANE_LOOP for (l = 0; l < LANES; l++) acc[p][j][l] = bias[first + j];
    for (ky = 0; ky < 3; ky++) {
        const float *x = in + ky * row_stride;
        const float *w = kernel + ky * row_taps * filters + first;
        for (t = 0; t < row_taps; t++, w += filters)
            UNROLLED for (p = 0; p < PIXELS; p++) {
                const float *xp = x + (p / 2) * row_stride + (p % 2) * pixel_stride + t * LANES;
                UNROLLED for (j = 0; j < FILTER_BLOCK; j++)
                    LANE_LOOP for (l = 0; l < LANES; l++)
                        acc[p][j][l] = HP_MADD_F32(xp[l], w[j], acc[p][j][l]);
            }
    }
    /* As the per-frame kernel: the max over the window's pixels, then with 0 (its ReLU). */
    UNROLLED for (j = 0; j < FILTER_BLOCK; j++)
        LANE_LOOP for (l = 0; l < LANES; l++) {
            float m = acc[0][j][l];
            UNROLLED for (p = 1; p < PIXELS; p++) m = max2(m, acc[p][j][l]);
            out[j * LANES + l] = max2(0.0f, m);
        }
}

/* Filter f of a pool window, for the filters after the last full block. */
static void window_filter(const float *restrict in, int row_stride, int pixel_stride, int row_taps,
                          const float *restrict kernel, const float *restrict bias, int filters,
                          int f, float *restrict out)
{
    float acc[PIXELS][LANES];
    int ky, t, p, l;
    UNROLLED for (p = 0; p < PIXELS; p++)
        LANE_LOOP for (l = 0; l < LANES; l++) acc[p][l] = bias[f];
    for (ky = 0; ky < 3; ky++)
        for (t = 0; t < row_taps; t++) {
            const float *x = in + ky * row_stride + t * LANES;
            const float w = kernel[(ky * row_taps + t) * filters + f];
            UNROLLED for (p = 0; p < PIXELS; p++) {
                const float *xp = x + (p / 2) * row_stride + (p % 2) * pixel_stride;
                LANE_LOOP for (l = 0; l < LANES; l++) acc[p][l] = HP_MADD_F32(xp[l], w, acc[p][l]);
            }
        }
    LANE_LOOP for (l = 0; l < LANES; l++) {
        float m = acc[0][l];
        UNROLLED for (p = 1; p < PIXELS; p++) m = max2(m, acc[p][l]);
        out[l] = max2(0.0f, m);
    }
}

static void conv_relu_pool(const float *input, int height, int width, int channels,
                           const float *kernel, const float *bias, int filters, float *output)
{
    const int pixel_stride = channels * LANES, row_stride = width * pixel_stride;
    const int out_height = (height - 2) / 2, out_width = (width - 2) / 2;
    const int full = filters - filters % FILTER_BLOCK;
    int py, px, f;
    for (py = 0; py < out_height; py++)
        for (px = 0; px < out_width; px++) {
            const float *in = input + 2 * py * row_stride + 2 * px * pixel_stride;
            float *out = output + (py * out_width + px) * filters * LANES;
            for (f = 0; f < full; f += FILTER_BLOCK)
                window_block(in, row_stride, pixel_stride, 3 * channels, kernel, bias, filters, f,
                             out + f * LANES);
            for (; f < filters; f++)
                window_filter(in, row_stride, pixel_stride, 3 * channels, kernel, bias, filters, f,
                              out + f * LANES);
        }
}

void hp_conv2d_3x3_relu_maxpool2x2_f32_lanes(const float *input, int height, int width,
                                             int channels, const float *kernel,
                                             const float *bias, int filters, float *output)
{
    /* ST's model (8x8x2 input, 8 filters): constants fold the address arithmetic. */
    if (height == 8 && width == 8 && channels == 2 && filters == 8)
        conv_relu_pool(input, 8, 8, 2, kernel, bias, 8, output);
    else
        conv_relu_pool(input, height, width, channels, kernel, bias, filters, output);
}
