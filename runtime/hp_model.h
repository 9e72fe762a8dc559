/* The CNN2D_ST_HandPosture network, float32, as the runtime runs it.
 *
 *   input   H x W x C (C = 2: distance, signal)
 *   conv    F filters 3x3, stride 1, valid, bias, ReLU -> (H-2) x (W-2) x F
 *   maxpool 2x2 stride 2 (floor)                       -> PH x PW x F, PH = (H-2)/2
 *   flatten (row, col, channel)                        -> PH*PW*F
 *   dense   U units, ReLU                               -> U
 *   dense   O outputs + softmax (O = P classes), or O = 1 + sigmoid when P = 2
 *
 * Weight layouts are Keras': conv kernel [3][3][C][F], dense kernels [in][out].
 * The struct only points at weights; the caller owns them and every buffer.
 */
#ifndef HP_MODEL_H
#define HP_MODEL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int height, width, channels; /* input H, W, C */
    int conv_filters;            /* F */
    int dense_units;             /* U */
    int outputs;                 /* O: classes, or 1 for a 2-class sigmoid model */
    const float *conv_kernel;    /* [3][3][C][F] */
    const float *conv_bias;      /* [F] */
    const float *dense1_kernel;  /* [PH*PW*F][U] */
    const float *dense1_bias;    /* [U] */
    const float *dense2_kernel;  /* [U][O] */
    const float *dense2_bias;    /* [O] */
} hp_model_f32;

/* Number of floats of scratch memory hp_model_f32_run needs. */
size_t hp_model_f32_scratch_floats(const hp_model_f32 *model);

/* Runs one frame: input [H*W*C] normalized tensor -> scores [O] probabilities.
 * scratch: hp_model_f32_scratch_floats(model) floats. Returns 0, or -1 on bad dimensions. */
int hp_model_f32_run(const hp_model_f32 *model, const float *input, float *scores, float *scratch);

#ifdef __cplusplus
}
#endif
#endif
