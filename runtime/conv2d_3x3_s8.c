/* 3x3 convolution, stride 1, valid padding, int8 in/out, int32 accumulators. */
#include "hp_kernels_s8.h"
#include "hp_s8_dsp.h"

void hp_conv2d_3x3_s8(const int8_t *input, int height, int width, int channels,
                      const int8_t *kernel, const int32_t *bias, int filters,
                      const hp_quant_params_s8 *params, int16_t *buffer, int8_t *output)
{
    const int out_h = height - 2, out_w = width - 2, row = 3 * channels, taps = 9 * channels;
    for (int oy = 0; oy < out_h; oy++) {
        for (int ox = 0; ox < out_w; ox++) {
            const int8_t *patch = input + (oy * width + ox) * channels;
            int8_t *out = output + (oy * out_w + ox) * filters;
#if defined(__ARM_FEATURE_DSP)
            /* widen the 3x3 patch once (with the input offset); every filter reuses it */
            for (int ky = 0, j = 0; ky < 3; ky++)
                for (int k = 0; k < row; k++, j++)
                    buffer[hp_s8_pair_index(j, taps)] = (int16_t)(patch[ky * width * channels + k] + params->input_offset);
            for (int f = 0; f < filters; f++)
                out[f] = hp_output_s8(hp_dot_s8_s16(kernel + f * taps, buffer, taps, bias[f]), params, f);
#else
            (void)buffer;
            for (int f = 0; f < filters; f++) {
                const int8_t *w = kernel + f * taps;
                int32_t acc = bias[f];
                for (int ky = 0; ky < 3; ky++)
                    for (int k = 0; k < row; k++)
                        acc += (patch[ky * width * channels + k] + params->input_offset) * w[ky * row + k];
                out[f] = hp_output_s8(acc, params, f);
            }
#endif
        }
    }
}
