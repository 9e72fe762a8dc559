/* Chains the int8 kernels into the network of hp_model_s8.h.
 *
 * Scratch layout (int16 activations are q - zero point, see hp_kernels_s8.h):
 *   a: quantized input [H][W][2] int16, then the dense output [round4(U)]
 *      int16 followed by the int32 logits [O]
 *   b: pooled conv output [round4(PH*PW*F)] int16 */
#include "hp_model_s8.h"

#include "hp_kernels_f32.h"
#include "hp_kernels_s8.h"

typedef struct { size_t a, b; } regions;

static int bad_dimensions(const hp_model_s8 *m)
{
    return m->height < 4 || m->width < 4 || m->channels < 1 || m->channels > 2 || m->conv_filters < 1 ||
           m->dense_units < 1 || m->outputs < 1;
}

static regions scratch_regions(const hp_model_s8 *m)
{
    const size_t flat = (size_t)((m->height - 2) / 2) * (size_t)((m->width - 2) / 2) * (size_t)m->conv_filters;
    const size_t in = 4 * (size_t)m->height * m->width;
    const size_t out = 2 * (size_t)hp_round4(m->dense_units) + 4 * (size_t)m->outputs;
    regions r;
    r.a = in > out ? in : out; /* both multiples of 4 */
    r.b = 2 * (size_t)hp_round4((int)flat);
    return r;
}

size_t hp_model_s8_scratch_bytes(const hp_model_s8 *model)
{
    if (bad_dimensions(model)) return 0;
    regions r = scratch_regions(model);
    return r.a + r.b;
}

/* Quantize and the integer network; the logits go to the a region, returned. */
static const int32_t *run_layers(const hp_model_s8 *m, const float *input, unsigned char *scratch)
{
    const regions r = scratch_regions(m);
    int16_t *a = (int16_t *)(void *)scratch, *b = (int16_t *)(void *)(scratch + r.a);
    const int ph = (m->height - 2) / 2, pw = (m->width - 2) / 2, flat = ph * pw * m->conv_filters;
    const int units4 = hp_round4(m->dense_units);
    int32_t *logits = (int32_t *)(void *)(a + units4);

    hp_quantize_f32_s16(input, m->height * m->width, m->channels, m->input_scale, a);
    hp_conv2d_3x3_maxpool2x2_s8(a, m->height, m->width, m->conv_kernel, m->conv_bias, m->conv_filters, b);
    for (int i = flat; i < hp_round4(flat); i++) b[i] = 0;
    hp_dense_s8(b, hp_round4(flat), m->dense1_kernel, m->dense1_bias, m->dense_units, m->dense1_multiplier, a);
    hp_dense_s8_s32(a, units4, m->dense2_kernel, m->dense2_bias, m->outputs, logits);
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
