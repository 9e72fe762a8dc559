/* 3x3 convolution, stride 1, valid padding, bias, optional ReLU (see hp_kernels_f32.h). */
#include "hp_kernels_f32.h"

/* Filters computed together: 8 accumulators fill one AVX register on the host and stay in
 * FPU registers on a Cortex-M4F. */
#define FILTER_BLOCK 8

/* One output pixel, filters [first, first + FILTER_BLOCK). in points at the pixel's top-left
 * input, row_stride = width * channels. The three kx taps of a (ky, c) pair are summed before
 * they reach the accumulators: one dependent add per three multiply-adds. */
static void conv_pixel_block(const float *restrict in, int row_stride, int channels,
                             const float *restrict kernel, const float *restrict bias,
                             int filters, int first, float *restrict out)
{
    const int kx_stride = channels * filters; /* kernel floats from one kx to the next */
    float acc[FILTER_BLOCK];
    int ky, c, j;
    for (j = 0; j < FILTER_BLOCK; j++) acc[j] = bias[first + j];
    for (ky = 0; ky < 3; ky++) {
        const float *x = in + ky * row_stride;
        const float *w = kernel + ky * 3 * kx_stride + first;
        for (c = 0; c < channels; c++, w += filters) {
            const float x0 = x[c], x1 = x[channels + c], x2 = x[2 * channels + c];
            const float *w0 = w, *w1 = w + kx_stride, *w2 = w + 2 * kx_stride;
            for (j = 0; j < FILTER_BLOCK; j++) acc[j] += x0 * w0[j] + x1 * w1[j] + x2 * w2[j];
        }
    }
    for (j = 0; j < FILTER_BLOCK; j++) out[first + j] = acc[j];
}

/* The last filters when their count is not a multiple of FILTER_BLOCK. */
static void conv_pixel_tail(const float *restrict in, int row_stride, int channels,
                            const float *restrict kernel, const float *restrict bias,
                            int filters, int first, float *restrict out)
{
    const int row_taps = 3 * channels;
    int ky, t, f;
    for (f = first; f < filters; f++) {
        float acc = bias[f];
        for (ky = 0; ky < 3; ky++) {
            const float *x = in + ky * row_stride;
            const float *w = kernel + ky * row_taps * filters + f;
            for (t = 0; t < row_taps; t++) acc += x[t] * w[t * filters];
        }
        out[f] = acc;
    }
}

static void conv_pixels(const float *input, int out_height, int out_width, int channels,
                        const float *kernel, const float *bias, int filters, float *output)
{
    const int row_stride = (out_width + 2) * channels;
    const int full = filters - filters % FILTER_BLOCK;
    int oy, ox, f;
    for (oy = 0; oy < out_height; oy++) {
        for (ox = 0; ox < out_width; ox++) {
            const float *in = input + oy * row_stride + ox * channels;
            float *out = output + (oy * out_width + ox) * filters;
            for (f = 0; f < full; f += FILTER_BLOCK)
                conv_pixel_block(in, row_stride, channels, kernel, bias, filters, f, out);
            if (full < filters)
                conv_pixel_tail(in, row_stride, channels, kernel, bias, filters, full, out);
        }
    }
}

void hp_conv2d_3x3_f32(const float *input, int height, int width, int channels,
                       const float *kernel, const float *bias, int filters, int relu,
                       float *output)
{
    /* ST's model (2 channels, 8 filters): constant arguments let the compiler drop the loop
     * bookkeeping of the channel and filter loops. */
    if (channels == 2 && filters == FILTER_BLOCK)
        conv_pixels(input, height - 2, width - 2, 2, kernel, bias, FILTER_BLOCK, output);
    else
        conv_pixels(input, height - 2, width - 2, channels, kernel, bias, filters, output);
    /* ReLU as a separate pass: a select in the accumulation epilogue keeps it from vectorizing. */
    if (relu) hp_relu_f32(output, (height - 2) * (width - 2) * filters);
}
