/* Fully connected layer, int8 in, int32 out: the accumulators themselves (bias included), for
 * the last layer, whose outputs are dequantized per channel rather than requantized to int8. */
#include "hp_kernels_s8.h"
#include "hp_s8_dsp.h"

void hp_dense_s8_s32(const int8_t *input, int inputs, const int8_t *kernel, const int32_t *bias, int outputs,
                     int32_t input_offset, int16_t *buffer, int32_t *output)
{
#if defined(__ARM_FEATURE_DSP)
    hp_widen_s8_pairs(input, inputs, input_offset, buffer);
    for (int o = 0; o < outputs; o++) output[o] = hp_dot_s8_s16(kernel + o * inputs, buffer, inputs, bias[o]);
#else
    (void)buffer;
    for (int o = 0; o < outputs; o++) {
        const int8_t *w = kernel + o * inputs;
        int32_t acc = bias[o];
        for (int i = 0; i < inputs; i++) acc += (input[i] + input_offset) * w[i];
        output[o] = acc;
    }
#endif
}
