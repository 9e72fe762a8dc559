/* Chains the int8 kernels into the network of hp_model_s8.h.
 *
 * Scratch layout (int16 activations are q - zero point, see hp_kernels_s8.h), one region after
 * the other: the quantized input [H][W][2] int16, the pooled conv output [round4(PH*PW*F)] int16,
 * the dense output [round4(U)] int16, the int32 logits [round4(O)]. */
#include "hp_model_s8.h"

#include "hp_kernels_f32.h"
#include "hp_kernels_s8.h"

static int bad_dimensions(const hp_model_s8 *m)
{
    return m->height < 4 || m->width < 4 || m->channels < 1 || m->channels > 2 || m->conv_filters < 1 ||
           m->dense_units < 1 || m->outputs < 1;
}

static int pooled_values(const hp_model_s8 *m) { return ((m->height - 2) / 2) * ((m->width - 2) / 2) * m->conv_filters; }

size_t hp_model_s8_scratch_bytes(const hp_model_s8 *model)
{
    if (bad_dimensions(model)) return 0;
    return 4 * (size_t)model->height * (size_t)model->width + 2 * (size_t)hp_round4(pooled_values(model)) +
           2 * (size_t)hp_round4(model->dense_units) + 4 * (size_t)hp_round4(model->outputs);
}

/* Quantize and the integer network; returns the logits, in the scratch. */
static const int32_t *run_layers(const hp_model_s8 *m, const float *input, int16_t *in)
{
    const int pooled = pooled_values(m), pooled4 = hp_round4(pooled), units4 = hp_round4(m->dense_units);
    int16_t *conv = in + 2 * m->height * m->width, *dense = conv + pooled4;
    int32_t *logits = (int32_t *)(void *)(dense + units4);

    hp_quantize_f32_s16(input, m->height * m->width, m->channels, m->input_scale, in);
    hp_conv2d_3x3_maxpool2x2_s8(in, m->height, m->width, m->conv_weights, m->conv_filters, conv);
    for (int i = pooled; i < pooled4; i++) conv[i] = 0; /* the dense layer's padded input */
    hp_dense_s8(conv, pooled4, m->dense1_kernel, m->dense1_bias, m->dense_units, m->dense1_multiplier, dense);
    hp_dense_s8_s32(dense, units4, m->dense2_kernel, m->dense2_bias, m->outputs, logits);
    return logits;
}

int hp_model_s8_run_logits(const hp_model_s8 *model, const float *input, int32_t *logits, void *scratch)
{
    if (bad_dimensions(model)) return -1;
    const int32_t *out = run_layers(model, input, (int16_t *)scratch);
    for (int o = 0; o < model->outputs; o++) logits[o] = out[o];
    return 0;
}

int hp_model_s8_run(const hp_model_s8 *model, const float *input, float *scores, void *scratch)
{
    if (bad_dimensions(model)) return -1;
    const int32_t *logits = run_layers(model, input, (int16_t *)scratch);
    const float *scale = model->output_scales;
    int o = 0;
    for (; o + 1 < model->outputs; o += 2) { /* two a round: fewer loop instructions */
        scores[o] = (float)logits[o] * scale[o];
        scores[o + 1] = (float)logits[o + 1] * scale[o + 1];
    }
    if (o < model->outputs) scores[o] = (float)logits[o] * scale[o];
    if (model->outputs == 1)
        hp_sigmoid_f32(scores, 1);
    else
        hp_softmax_f32(scores, model->outputs);
    return 0;
}
