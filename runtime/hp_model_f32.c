/* The CNN2D_ST_HandPosture forward pass, float32 (see hp_model.h): chains the kernels of
 * hp_kernels_f32.h through the caller's scratch buffer. */
#include "hp_model.h"

#include "hp_config.h"
#include "hp_kernels_f32.h"

static int dimensions_ok(const hp_model_f32 *m)
{
    return m->height >= 4 && m->width >= 4 && m->channels >= 1 && m->conv_filters >= 1 &&
           m->dense_units >= 1 && m->outputs >= 1 && m->conv_kernel != NULL &&
           m->conv_bias != NULL && m->dense1_kernel != NULL && m->dense1_bias != NULL &&
           m->dense2_kernel != NULL && m->dense2_bias != NULL;
}

/* Scratch: pooled output, then hidden units. */
static size_t pool_floats(const hp_model_f32 *m)
{
    /* Sizes were checked positive: shifts, no signed division code. */
    return (size_t)((m->height - 2) >> 1) * (size_t)((m->width - 2) >> 1) * (size_t)m->conv_filters;
}

size_t hp_model_f32_scratch_floats(const hp_model_f32 *model)
{
    if (model == NULL || !dimensions_ok(model)) return 0;
    return pool_floats(model) + (size_t)model->dense_units;
}

int hp_model_f32_run(const hp_model_f32 *model, const float *input, float *scores, float *scratch)
{
    const hp_model_f32 *m = model;
    int pooled;
    if (m == NULL || input == NULL || scores == NULL || scratch == NULL || !dimensions_ok(m))
        return -1;
    pooled = (int)pool_floats(m); /* scratch: pooled outputs, then hidden units */

    hp_conv2d_3x3_relu_maxpool2x2_f32(input, m->height, m->width, m->channels, m->conv_kernel,
                                      m->conv_bias, m->conv_filters, scratch);
    hp_dense_f32(scratch, pooled, m->dense1_kernel, m->dense1_bias, m->dense_units, 1,
                 scratch + pooled);
    hp_dense_f32(scratch + pooled, m->dense_units, m->dense2_kernel, m->dense2_bias, m->outputs, 0,
                 scores);
#if !defined(HP_CONFIG_NO_SIGMOID)
    if (m->outputs == 1)
        hp_sigmoid_f32(scores, 1);
    else
#endif
        hp_softmax_f32(scores, m->outputs);
    return 0;
}
