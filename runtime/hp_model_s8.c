/* Chains the int8 kernels into the network of hp_model_s8.h.
 *
 * Scratch layout (int16 activations are q - zero point, see hp_kernels_s8.h), one region after
 * the other: the quantized input [H][W][2] int16, the pooled conv output [round4(PH*PW*F)] int16,
 * the dense output [round4(U)] int16, the int32 logits [round4(O)]. */
#include "hp_model_s8.h"

#include "hp_config.h"
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
    if (pooled < pooled4) /* the dense layer's padded input (the test keeps -Os from calling memset) */
        for (int i = pooled; i < pooled4; i++) conv[i] = 0;
    hp_dense_s8(conv, pooled4, m->dense1_kernel, m->dense1_bias, m->dense_units, m->dense1_multiplier, dense);
    hp_dense_s8_s32(dense, units4, m->dense2_kernel, m->dense2_bias, m->outputs, logits);
    return logits;
}

/* scores[o] = logits[o] * scale[o] (the int32 to float conversion rounds to nearest, as C's). */
static void dequantize(const int32_t *logits, const float *scale, int n, float *scores)
{
#if defined(__GNUC__) && defined(__OPTIMIZE__) && defined(__ARM_FP) && (__ARM_FP & 4) && defined(__thumb2__)
    /* Cortex-M4F/M7: four a round, VLDM of the logits and of the scales, four VCVT, four VMUL, VSTM
     * (13 instructions; the C loop takes 7 a value); the pointers move on to the rest */
    int rounds = n >> 2;
    if (rounds > 0)
        __asm__ volatile("1:\n\t"
                         "vldmia %[x]!, {s0-s3}\n\t"
                         "vldmia %[s]!, {s4-s7}\n\t"
                         "vcvt.f32.s32 s0, s0\n\t"
                         "vcvt.f32.s32 s1, s1\n\t"
                         "vcvt.f32.s32 s2, s2\n\t"
                         "vcvt.f32.s32 s3, s3\n\t"
                         "vmul.f32 s0, s0, s4\n\t"
                         "vmul.f32 s1, s1, s5\n\t"
                         "vmul.f32 s2, s2, s6\n\t"
                         "vmul.f32 s3, s3, s7\n\t"
                         "vstmia %[y]!, {s0-s3}\n\t"
                         "subs %[n], %[n], #1\n\t"
                         "bne 1b"
                         : [x] "+r"(logits), [s] "+r"(scale), [y] "+r"(scores), [n] "+r"(rounds)
                         :
                         : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "cc", "memory");
    n &= 3;
#endif
    for (int o = 0; o < n; o++) scores[o] = (float)logits[o] * scale[o];
}

int hp_model_s8_run_logits(const hp_model_s8 *model, const float *input, int32_t *logits, void *scratch)
{
    const int32_t *out = run_layers(model, input, (int16_t *)scratch);
    for (int o = 0; o < model->outputs; o++) logits[o] = out[o];
    return 0;
}

int hp_model_s8_run(const hp_model_s8 *model, const float *input, float *scores, void *scratch)
{
    const int32_t *logits = run_layers(model, input, (int16_t *)scratch);
    dequantize(logits, model->output_scales, model->outputs, scores);
#if !defined(HP_CONFIG_NO_SIGMOID)
    if (model->outputs == 1)
        hp_sigmoid_f32(scores, 1);
    else
#endif
        hp_softmax_f32(scores, model->outputs);
    return 0;
}
