/* Fully connected layer, int8 in/out, int32 accumulators. */
#include "hp_kernels_s8.h"
#include "hp_s8_dsp.h"

void hp_dense_s8(const int8_t *input, int inputs, const int8_t *kernel, const int32_t *bias,
                 int outputs, const hp_quant_params_s8 *params, int16_t *buffer, int8_t *output)
{
#if defined(__ARM_FEATURE_DSP)
    /* widen the input once (with the input offset); every output reuses it */
    hp_widen_s8_pairs(input, inputs, params->input_offset, buffer);
    for (int o = 0; o < outputs; o += 2) {
        /* two rows per pass, each input pair loaded once for both (an odd last row pairs with itself) */
        const int o1 = o + 1 < outputs ? o + 1 : o;
        int32_t acc[2] = {bias[o], bias[o1]};
        hp_dot2_s8_s16(kernel + o * inputs, kernel + o1 * inputs, buffer, inputs, acc);
        for (int k = 0; k < 2 && o + k < outputs; k++) output[o + k] = hp_output_s8(acc[k], params, o + k);
    }
#else
    (void)buffer;
    for (int o = 0; o < outputs; o++) {
        const int8_t *w = kernel + o * inputs;
        int32_t acc = bias[o];
        for (int i = 0; i < inputs; i++) acc += (input[i] + params->input_offset) * w[i];
        output[o] = hp_output_s8(acc, params, o);
    }
#endif
}
