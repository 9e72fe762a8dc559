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

/* The accumulator of the window at `corner` (portable). */
static int32_t window(const int16_t *k, const int16_t *corner, int row, int32_t bias)
{
    int32_t acc = bias;
    for (int ky = 0; ky < 3; ky++, k += 6, corner += row)
        for (int j = 0; j < 6; j++) acc += k[j] * corner[j];
    return acc;
}

static int32_t max2(int32_t a, int32_t b) { return a > b ? a : b; }

void hp_conv2d_3x3_maxpool2x2_s8(const int16_t *input, int height, int width, const int16_t *kernel,
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
