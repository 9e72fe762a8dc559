/* 3x3 convolution (stride 1, valid) followed by 2x2 max pooling (stride 2, floor), int8.
 *
 * Requantization (multiplier > 0), the output offset and the clamp are all non-decreasing, so
 * max(requantize(acc_i)) == requantize(max(acc_i)): taking the max of the four int32
 * accumulators first gives exactly hp_conv2d_3x3_s8 then hp_maxpool2x2_s8, with a quarter of the
 * requantizations, no conv output buffer, and the conv outputs that pooling drops never computed. */
#include "hp_kernels_s8.h"
#include "hp_s8_dsp.h"

void hp_conv2d_3x3_maxpool2x2_s8(const int8_t *input, int height, int width, int channels,
                                 const int8_t *kernel, const int32_t *bias, int filters,
                                 const hp_quant_params_s8 *params, int16_t *buffer, int8_t *output)
{
    const int out_h = (height - 2) / 2, out_w = (width - 2) / 2, row = 3 * channels, taps = 9 * channels;
    for (int py = 0; py < out_h; py++) {
        for (int px = 0; px < out_w; px++) {
            /* top-left input of the 2x2 conv pixels (2py + dy, 2px + dx) */
            const int8_t *corner = input + (2 * py * width + 2 * px) * channels;
            int8_t *out = output + (py * out_w + px) * filters;
#if defined(__ARM_FEATURE_DSP)
            /* gather each 3x3 patch (int8, after the four int16 patches) and widen it once, with
             * the input offset; every filter reuses them */
            int8_t *gathered = (int8_t *)(buffer + 4 * taps);
            for (int p = 0; p < 4; p++) {
                const int8_t *patch = corner + ((p >> 1) * width + (p & 1)) * channels;
                for (int ky = 0; ky < 3; ky++)
                    for (int k = 0; k < row; k++) gathered[ky * row + k] = patch[ky * width * channels + k];
                hp_widen_s8_pairs(gathered, taps, params->input_offset, buffer + p * taps);
            }
            for (int f = 0; f < filters; f++) {
                const int8_t *w = kernel + f * taps;
                int32_t best = hp_dot_s8_s16(w, buffer, taps, bias[f]);
                for (int p = 1; p < 4; p++) {
                    int32_t acc = hp_dot_s8_s16(w, buffer + p * taps, taps, bias[f]);
                    if (acc > best) best = acc;
                }
                out[f] = hp_output_s8(best, params, f);
            }
#else
            (void)buffer;
            for (int f = 0; f < filters; f++) {
                const int8_t *w = kernel + f * taps;
                int32_t best = INT32_MIN;
                for (int p = 0; p < 4; p++) {
                    const int8_t *patch = corner + ((p >> 1) * width + (p & 1)) * channels;
                    int32_t acc = bias[f];
                    for (int ky = 0; ky < 3; ky++)
                        for (int k = 0; k < row; k++)
                            acc += (patch[ky * width * channels + k] + params->input_offset) * w[ky * row + k];
                    if (acc > best) best = acc;
                }
                out[f] = hp_output_s8(best, params, f);
            }
#endif
        }
    }
}
