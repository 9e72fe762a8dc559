/* 3x3 convolution (stride 1, valid) followed by 2x2 max pooling (stride 2, floor), int8.
 *
 * Requantization (multiplier > 0), the output offset and the clamp are all non-decreasing, so
 * max(requantize(acc_i)) == requantize(max(acc_i)): taking the max of the four int32
 * accumulators first gives exactly the conv output pooled, with a quarter of the
 * requantizations, no conv output buffer, and the conv outputs that pooling drops never computed.
 *
 * One 32-bit word of input or kernel is one channel pair of one tap, so on the DSP path each
 * SMLAD is one tap of one channel pair. Per filter and kernel row, the three kernel words are
 * loaded once for the four pixels of a pooling window, and each input word once for the two
 * pixels of a window row that read it. */
#include "hp_kernels_s8.h"
#include "hp_s8_dsp.h"

#if defined(__ARM_FEATURE_DSP)
/* One kernel row of one channel pair (C = 1 or 2: a tap is one word) for the four pixels of a
 * window: the row's three kernel words, the four input words of the window's top and bottom
 * rows, twelve SMLAD. */
static inline void kernel_row_one_pair(const int16_t *k, const int16_t *top, const int16_t *bottom, int32_t *acc00,
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
#endif

/* The max of the four accumulators of the window at `corner` (any channel count, portable). */
static inline int32_t window_any(const int16_t *corner, int row, int pixel, const int16_t *k, int32_t bias)
{
    int32_t acc00 = bias, acc01 = bias, acc10 = bias, acc11 = bias;
    for (int ky = 0; ky < 3; ky++, k += 3 * pixel) {
        const int16_t *top = corner + ky * row, *bottom = top + row;
        for (int j = 0; j < 3 * pixel; j++) {
            acc00 += k[j] * top[j];
            acc01 += k[j] * top[pixel + j];
            acc10 += k[j] * bottom[j];
            acc11 += k[j] * bottom[pixel + j];
        }
    }
    const int32_t top_max = acc00 > acc01 ? acc00 : acc01, bottom_max = acc10 > acc11 ? acc10 : acc11;
    return top_max > bottom_max ? top_max : bottom_max;
}

/* The windows of one filter: out[(py * out_w + px) * stride]. */
static inline void one_filter(const int16_t *input, int out_h, int out_w, int width, const int pairs,
                              const int16_t *k, int32_t bias, const hp_quant_params_s8 *params, int f,
                              int16_t *out, int stride)
{
    const int pixel = 2 * pairs, row = width * pixel;
    for (int py = 0; py < out_h; py++) {
        /* top-left input of the 2x2 conv pixels (2py + dy, 2px + dx) */
        const int16_t *corner = input + 2 * py * row;
        for (int px = 0; px < out_w; px++, corner += 2 * pixel, out += stride) {
            int32_t best;
#if defined(__ARM_FEATURE_DSP)
            if (pairs == 1) {
                int32_t acc00 = bias, acc01 = bias, acc10 = bias, acc11 = bias;
                kernel_row_one_pair(k, corner, corner + row, &acc00, &acc01, &acc10, &acc11);
                kernel_row_one_pair(k + 6, corner + row, corner + 2 * row, &acc00, &acc01, &acc10, &acc11);
                kernel_row_one_pair(k + 12, corner + 2 * row, corner + 3 * row, &acc00, &acc01, &acc10, &acc11);
                const int32_t top_max = acc00 > acc01 ? acc00 : acc01, bottom_max = acc10 > acc11 ? acc10 : acc11;
                best = top_max > bottom_max ? top_max : bottom_max;
            } else {
                best = window_any(corner, row, pixel, k, bias);
            }
#else
            best = window_any(corner, row, pixel, k, bias);
#endif
            *out = hp_output_s8(best, params, f);
        }
    }
}

HP_NOINLINE static void filters_one_pair(const int16_t *input, int out_h, int out_w, int width, const int16_t *kernel,
                                         const int32_t *bias, int filters, const hp_quant_params_s8 *params,
                                         int16_t *output)
{
    for (int f = 0; f < filters; f++)
        one_filter(input, out_h, out_w, width, 1, kernel + f * 18, bias[f], params, f, output + f, filters);
}

HP_NOINLINE static void filters_any(const int16_t *input, int out_h, int out_w, int width, int pairs,
                                    const int16_t *kernel, const int32_t *bias, int filters,
                                    const hp_quant_params_s8 *params, int16_t *output)
{
    for (int f = 0; f < filters; f++)
        one_filter(input, out_h, out_w, width, pairs, kernel + f * 18 * pairs, bias[f], params, f, output + f,
                   filters);
}

void hp_conv2d_3x3_maxpool2x2_s8(const int16_t *input, int height, int width, int pairs, const int16_t *kernel,
                                 const int32_t *bias, int filters, const hp_quant_params_s8 *params, int16_t *output)
{
    /* filter by filter, so its weights, bias and requantization stay at hand for every window */
    const int out_h = (height - 2) / 2, out_w = (width - 2) / 2;
    if (pairs == 1)
        filters_one_pair(input, out_h, out_w, width, kernel, bias, filters, params, output);
    else
        filters_any(input, out_h, out_w, width, pairs, kernel, bias, filters, params, output);
}
