/* The CNN2D_ST_HandPosture network quantized to int8, as the runtime runs it.
 *
 *   input   float H x W x C, quantized to int16 with input_scale
 *   conv    F filters 3x3, int32 accumulate, requantize (>> 16), ReLU -> (H-2) x (W-2) x F int8
 *   maxpool 2x2 stride 2 (floor)                                      -> PH x PW x F int8
 *   dense   U units, requantize (SMMULR), ReLU                        -> U int8
 *   dense   O outputs, int32 accumulators kept                        -> O int32 logits
 *   output  logit o = int32 logit * output_scales[o] (float), softmax (O = P classes) or
 *           sigmoid (O = 1 for 2 classes), in float
 *
 * The last layer is not requantized to int8: int8 logits step so coarsely (~1 on ST's model)
 * that classes tie in the argmax, costing about 0.3 point of accuracy.
 *
 * Scheme and weight layouts: see hp_kernels_s8.h. The struct only points at weights; the caller
 * owns them and every buffer. No malloc.
 */
#ifndef HP_MODEL_S8_H
#define HP_MODEL_S8_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int height, width, channels; /* input H, W, C (1 or 2) */
    int conv_filters;            /* F */
    int dense_units;             /* U */
    int outputs;                 /* O: classes, or 1 for a 2-class sigmoid model */
    float input_scale;
    const int32_t *conv_weights;      /* taps and biases + 2^15, the conv layout of hp_kernels_s8.h */
    const int8_t *dense1_kernel;      /* [U][round4(PH*PW*F)], dense layout of hp_kernels_s8.h */
    const int32_t *dense1_bias;       /* [round4(U)], padded with 0 */
    const int32_t *dense1_multiplier; /* [round4(U)], SMMULR multipliers in [0, 2^31), padded with 0 */
    const int8_t *dense2_kernel;      /* [O][round4(U)], dense layout */
    const int32_t *dense2_bias;       /* [round4(O)], padded with 0 */
    const float *output_scales;       /* [O]: dense1 output scale * dense2 weight scale [o] */
} hp_model_s8;

/* Bytes of scratch memory the run functions need (scratch must be 4-byte aligned), or 0 for a
 * model whose dimensions the runtime cannot run. The run functions do not check the model again
 * (once per model, not per frame: a deployed package's hp_init checks it). */
size_t hp_model_s8_scratch_bytes(const hp_model_s8 *model);

/* Quantize and the integer network: normalized float input [H*W*C] -> int32 logits [O].
 * Returns 0. This is what host and microcontroller must agree on bit
 * for bit. `input` may lie at the start of `scratch` (it is quantized in place, and the scratch
 * must then also hold it: max(hp_model_s8_scratch_bytes, 4 * H * W * C) bytes), which saves a
 * buffer when the caller's float tensor is dead after the call; it is then overwritten. */
int hp_model_s8_run_logits(const hp_model_s8 *model, const float *input, int32_t *logits, void *scratch);

/* One frame: normalized float input [H*W*C] -> probabilities [O] (quantize, integer network,
 * dequantize, softmax or sigmoid). Returns 0. `input` may lie at the start of `scratch`, as
 * above. */
int hp_model_s8_run(const hp_model_s8 *model, const float *input, float *scores, void *scratch);

#ifdef __cplusplus
}
#endif
#endif
