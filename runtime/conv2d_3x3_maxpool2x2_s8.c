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
#include "hp_kernels_s8.h"
#include "hp_s8_dsp.h"

#if defined(__ARM_FEATURE_DSP)
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

void hp_conv2d_3x3_maxpool2x2_s8(const int16_t *input, int height, int width, const int16_t *kernel,
                                 const int32_t *bias, int filters, const hp_quant_params_s8 *params, int16_t *output)
{
    const int out_h = (height - 2) / 2, out_w = (width - 2) / 2, row = 2 * width;
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
}
