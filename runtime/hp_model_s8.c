/* Chains the int8 kernels into the network of hp_model_s8.h.
 *
 * Scratch layout (int16 activations are q - zero point, see hp_kernels_s8.h):
 *   first region   the quantized input [H][W][2] int16; once the conv has read it, the dense
 *                  output [round4(U)] int16 followed by the int32 logits [round4(O)]
 *   second region  the pooled conv output [round4(PH*PW*F)] int16 */
#include "hp_model_s8.h"

#include "hp_kernels_f32.h"
#include "hp_kernels_s8.h"

static int bad_dimensions(const hp_model_s8 *m)
{
    return m->height < 4 || m->width < 4 || m->channels < 1 || m->channels > 2 || m->conv_filters < 1 ||
           m->dense_units < 1 || m->outputs < 1;
}

/* Bytes of the first region (a multiple of 4); *pooled4: the pooled values rounded up to 4. */
static size_t first_region(const hp_model_s8 *m, int *pooled4)
{
    const size_t in = 4 * (size_t)m->height * (size_t)m->width;
    const size_t out = 2 * (size_t)hp_round4(m->dense_units) + 4 * (size_t)hp_round4(m->outputs);
    *pooled4 = hp_round4(((m->height - 2) / 2) * ((m->width - 2) / 2) * m->conv_filters);
    return in > out ? in : out;
}

size_t hp_model_s8_scratch_bytes(const hp_model_s8 *model)
{
    int pooled4;
    if (bad_dimensions(model)) return 0;
    return first_region(model, &pooled4) + 2 * (size_t)pooled4;
}

/* Quantize and the integer network; returns the logits, in the first region. */
static const int32_t *run_layers(const hp_model_s8 *m, const float *input, unsigned char *scratch)
{
    int pooled4;
    int16_t *a = (int16_t *)(void *)scratch, *b = (int16_t *)(void *)(scratch + first_region(m, &pooled4));
    int32_t *logits = (int32_t *)(void *)(a + hp_round4(m->dense_units));

    hp_quantize_f32_s16(input, m->height * m->width, m->channels, m->input_scale, a);
    for (int k = 4; k > 0; k--) b[pooled4 - k] = 0; /* the padding the conv does not write */
    hp_conv2d_3x3_maxpool2x2_s8(a, m->height, m->width, m->conv_weights, m->conv_filters, b);
    hp_dense_s8(b, pooled4, m->dense1_kernel, m->dense1_bias, m->dense_units, m->dense1_multiplier, a);
    hp_dense_s8_s32(a, hp_round4(m->dense_units), m->dense2_kernel, m->dense2_bias, m->outputs, logits);
    return logits;
}

int hp_model_s8_run_logits(const hp_model_s8 *model, const float *input, int32_t *logits, void *scratch)
{
    if (bad_dimensions(model)) return -1;
    const int32_t *out = run_layers(model, input, (unsigned char *)scratch);
    for (int o = 0; o < model->outputs; o++) logits[o] = out[o];
    return 0;
}

int hp_model_s8_run(const hp_model_s8 *model, const float *input, float *scores, void *scratch)
{
    if (bad_dimensions(model)) return -1;
    const int32_t *logits = run_layers(model, input, (unsigned char *)scratch);
    for (int o = 0; o < model->outputs; o++) scores[o] = (float)logits[o] * model->output_scales[o];
    if (model->outputs == 1)
        hp_sigmoid_f32(scores, 1);
    else
        hp_softmax_f32(scores, model->outputs);
    return 0;
}
