/* 3x3 convolution + bias, ReLU, 2x2 max pooling over HP_LANES frames (see hp_model_f32_batch.h).
 * Each frame's arithmetic is that of conv2d_3x3_relu_maxpool2x2_f32.c. */
#include "hp_lane_vec.h"
#include "hp_model_f32_batch.h"

#define LANES HP_LANES
/* Filters of a pool window computed together on one vector of lanes: 4 pixels x FILTER_BLOCK
 * filters fill the accumulator registers (4 filters with AVX-512 and NEON, 2 with AVX and SSE),
 * each weight broadcast once for the 4 pixels. */
#define PIXELS 4
#define FILTER_BLOCK (HP_LANE_ACCUMULATORS / PIXELS)

#if defined(__GNUC__) && !defined(__clang__)
#define UNROLLED _Pragma("GCC unroll 16")
#else
#define UNROLLED
#endif

/* Filters [first, first + FILTER_BLOCK) of the pool window whose top-left input is `in`, for the
 * HP_LANE_VEC lanes at `in`, into out [FILTER_BLOCK][LANES]. Strides are in floats of the lanes
 * layout; a kernel row's taps (kx, channel) are contiguous, LANES floats apart. */
static void window_block(const float *restrict in, int row_stride, int pixel_stride, int row_taps,
                         const float *restrict kernel, const float *restrict bias, int filters,
                         int first, float *restrict out)
{
    hp_lane_vec acc[PIXELS][FILTER_BLOCK], m;
    int ky, t, p, j;
    UNROLLED for (p = 0; p < PIXELS; p++)
        UNROLLED for (j = 0; j < FILTER_BLOCK; j++) acc[p][j] = hp_lane_splat(bias[first + j]);
    for (ky = 0; ky < 3; ky++) {
        const float *x = in + ky * row_stride;
        const float *w = kernel + ky * row_taps * filters + first;
        for (t = 0; t < row_taps; t++, w += filters)
            UNROLLED for (p = 0; p < PIXELS; p++) {
                const hp_lane_vec xp =
                    hp_lane_load(x + (p / 2) * row_stride + (p % 2) * pixel_stride + t * LANES);
                UNROLLED for (j = 0; j < FILTER_BLOCK; j++)
                    acc[p][j] = hp_lane_madd(xp, w[j], acc[p][j]);
            }
    }
    /* As the per-frame kernel: the max over the window's pixels, then with 0 (its ReLU). */
    UNROLLED for (j = 0; j < FILTER_BLOCK; j++) {
        m = acc[0][j];
        UNROLLED for (p = 1; p < PIXELS; p++) m = hp_lane_max(m, acc[p][j]);
        hp_lane_store(out + j * LANES, hp_lane_max(hp_lane_splat(0.0f), m));
    }
}

/* Filter f of a pool window, for the filters after the last full block. */
static void window_filter(const float *restrict in, int row_stride, int pixel_stride, int row_taps,
                          const float *restrict kernel, const float *restrict bias, int filters,
                          int f, float *restrict out)
{
    hp_lane_vec acc[PIXELS], m;
    int ky, t, p;
    UNROLLED for (p = 0; p < PIXELS; p++) acc[p] = hp_lane_splat(bias[f]);
    for (ky = 0; ky < 3; ky++)
        for (t = 0; t < row_taps; t++) {
            const float *x = in + ky * row_stride + t * LANES;
            const float w = kernel[(ky * row_taps + t) * filters + f];
            UNROLLED for (p = 0; p < PIXELS; p++)
                acc[p] = hp_lane_madd(hp_lane_load(x + (p / 2) * row_stride + (p % 2) * pixel_stride),
                                      w, acc[p]);
        }
    m = acc[0];
    UNROLLED for (p = 1; p < PIXELS; p++) m = hp_lane_max(m, acc[p]);
    hp_lane_store(out, hp_lane_max(hp_lane_splat(0.0f), m));
}

static void conv_relu_pool(const float *input, int height, int width, int channels,
                           const float *kernel, const float *bias, int filters, float *output)
{
    const int pixel_stride = channels * LANES, row_stride = width * pixel_stride;
    const int out_height = (height - 2) / 2, out_width = (width - 2) / 2;
    const int full = filters - filters % FILTER_BLOCK;
    int py, px, f, lane;
    for (py = 0; py < out_height; py++)
        for (px = 0; px < out_width; px++) {
            const float *in = input + 2 * py * row_stride + 2 * px * pixel_stride;
            float *out = output + (py * out_width + px) * filters * LANES;
            for (lane = 0; lane < LANES; lane += HP_LANE_VEC) {
                for (f = 0; f < full; f += FILTER_BLOCK)
                    window_block(in + lane, row_stride, pixel_stride, 3 * channels, kernel, bias,
                                 filters, f, out + f * LANES + lane);
                for (; f < filters; f++)
                    window_filter(in + lane, row_stride, pixel_stride, 3 * channels, kernel, bias,
                                  filters, f, out + f * LANES + lane);
            }
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
