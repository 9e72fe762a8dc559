/* Chains the int8 kernels into the network of hp_model_s8.h.
 *
 * Scratch layout (each region rounded up to 4 bytes):
 *   a: quantized input [H*W*C], then dense output [U]
 *   b: pooled conv output [PH*PW*F], then int32 logits [O]
 *   w: int16 work buffer of the kernels [max(5*9*C, PH*PW*F, U)] */
#include "hp_model_s8.h"

#include "hp_kernels_f32.h"
#include "hp_kernels_s8.h"

static size_t max3(size_t a, size_t b, size_t c) { return a > b ? (a > c ? a : c) : (b > c ? b : c); }
static size_t round4(size_t n) { return (n + 3) & ~(size_t)3; }

typedef struct { size_t a, b, w; } regions;

static int bad_dimensions(const hp_model_s8 *m)
{
    return m->height < 4 || m->width < 4 || m->channels < 1 || m->conv_filters < 1 || m->dense_units < 1 ||
           m->outputs < 1;
}

static regions scratch_regions(const hp_model_s8 *m)
{
    size_t flat = (size_t)((m->height - 2) / 2) * (size_t)((m->width - 2) / 2) * (size_t)m->conv_filters;
    size_t in = (size_t)m->height * m->width * m->channels, logits = 4 * (size_t)m->outputs;
    regions r;
    r.a = round4(in > (size_t)m->dense_units ? in : (size_t)m->dense_units);
    r.b = round4(flat > logits ? flat : logits);
    r.w = round4(2 * max3(45 * (size_t)m->channels, flat, (size_t)m->dense_units));
    return r;
}

size_t hp_model_s8_scratch_bytes(const hp_model_s8 *model)
{
    if (bad_dimensions(model)) return 0;
    regions r = scratch_regions(model);
    return r.a + r.b + r.w;
}

/* The integer network from an input already in the a region or elsewhere. */
static void run_layers(const hp_model_s8 *m, const int8_t *input, int32_t *logits, unsigned char *scratch)
{
    regions r = scratch_regions(m);
    int8_t *a = (int8_t *)scratch, *b = (int8_t *)(scratch + r.a);
    int16_t *work = (int16_t *)(void *)(scratch + r.a + r.b);
    const int ph = (m->height - 2) / 2, pw = (m->width - 2) / 2, flat = ph * pw * m->conv_filters;

    hp_quant_params_s8 p;
    p.activation_max = 127;

    p.input_offset = -m->input_zero_point;
    p.output_offset = m->conv_zero_point;
    p.activation_min = m->conv_zero_point; /* ReLU */
    p.multiplier = m->conv_multiplier;
    p.shift = m->conv_shift;
    hp_conv2d_3x3_maxpool2x2_s8(input, m->height, m->width, m->channels, m->conv_kernel, m->conv_bias,
                                m->conv_filters, &p, work, b);

    p.input_offset = -m->conv_zero_point;
    p.output_offset = m->dense1_zero_point;
    p.activation_min = m->dense1_zero_point; /* ReLU */
    p.multiplier = m->dense1_multiplier;
    p.shift = m->dense1_shift;
    hp_dense_s8(b, flat, m->dense1_kernel, m->dense1_bias, m->dense_units, &p, work, a);

    hp_dense_s8_s32(a, m->dense_units, m->dense2_kernel, m->dense2_bias, m->outputs, -m->dense1_zero_point, work,
                    logits);
}

int hp_model_s8_run_logits(const hp_model_s8 *model, const int8_t *input, int32_t *logits, void *scratch)
{
    if (bad_dimensions(model)) return -1;
    run_layers(model, input, logits, (unsigned char *)scratch);
    return 0;
}

int hp_model_s8_run(const hp_model_s8 *model, const float *input, float *scores, void *scratch)
{
    if (bad_dimensions(model)) return -1;
    unsigned char *bytes = (unsigned char *)scratch;
    int8_t *a = (int8_t *)bytes;
    int32_t *logits = (int32_t *)(void *)(bytes + scratch_regions(model).a); /* in b, after the dense reads it */
    hp_quantize_f32_s8(input, model->height * model->width * model->channels, model->input_scale,
                       model->input_zero_point, a);
    run_layers(model, a, logits, bytes);
    for (int o = 0; o < model->outputs; o++) scores[o] = (float)logits[o] * model->output_scales[o];
    if (model->outputs == 1)
        hp_sigmoid_f32(scores, 1);
    else
        hp_softmax_f32(scores, model->outputs);
    return 0;
}
