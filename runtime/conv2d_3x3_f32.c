/* 3x3 convolution, stride 1, valid padding, bias, optional ReLU (see hp_kernels_f32.h). */
#include "hp_kernels_f32.h"

/* Filters computed together: 8 accumulators fill one AVX register on the host and stay in
 * FPU registers on a Cortex-M4F. */
#define FILTER_BLOCK 8

/* One output pixel, filters [first, first + FILTER_BLOCK). in points at the pixel's top-left
 * input; row_stride = width * channels. Taps run in memory order of the kernel
 * ([ky][kx][c]), and within one ky row the input is contiguous as well. */
static void conv_pixel_block(const float *restrict in, int row_stride, int channels,
                             const float *restrict kernel, const float *restrict bias,
                             int filters, int first, float *restrict out)
{
    const int row_taps = 3 * channels;
    float acc[FILTER_BLOCK];
    int ky, t, j;
    for (j = 0; j < FILTER_BLOCK; j++) acc[j] = bias[first + j];
    for (ky = 0; ky < 3; ky++) {
        const float *x = in + ky * row_stride;
        const float *w = kernel + ky * row_taps * filters + first;
        for (t = 0; t < row_taps; t++, w += filters) {
            const float xt = x[t];
            for (j = 0; j < FILTER_BLOCK; j++) acc[j] += xt * w[j];
        }
    }
    for (j = 0; j < FILTER_BLOCK; j++) out[first + j] = acc[j];
}

/* The same for the last filters when their count is not a multiple of FILTER_BLOCK. */
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

void hp_conv2d_3x3_f32(const float *input, int height, int width, int channels,
                       const float *kernel, const float *bias, int filters, int relu,
                       float *output)
{
    const int out_height = height - 2, out_width = width - 2;
    const int row_stride = width * channels;
    const int full = filters - filters % FILTER_BLOCK;
    const int count = out_height * out_width * filters;
    int oy, ox, f, i;
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
    /* A separate pass: a select in the accumulation epilogue would keep the compiler from
     * vectorizing it (and cost a branch per value). */
    if (relu)
        for (i = 0; i < count; i++) output[i] = output[i] > 0.0f ? output[i] : 0.0f;
}
