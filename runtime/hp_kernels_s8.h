/* int8 layer kernels of the runtime, one per file (CMSIS-NN style). hp_model_s8.c chains them.
 *
 * Quantization follows TFLite's integer scheme (requantization rounds once, see
 * hp_requantize_s32): a real value r is stored as an int8 q with
 * r = scale * (q - zero_point). Activations are asymmetric per tensor (any zero point);
 * weights are symmetric per output channel (zero point 0; int8, the conv layer's int16: its
 * input's wide range makes int8 conv weights too coarse); biases are int32 with scale
 * input_scale * weight_scale[channel]. A layer accumulates (q_in - zero_point_in) * q_w in int32
 * and brings the sum to the output scale with a fixed-point multiplier and shift (requantize):
 *   q_out = clamp(zero_point_out + hp_requantize_s32(acc, multiplier[c], shift[c]), min, max)
 * where multiplier * 2^(shift - 31) ~ input_scale * weight_scale[c] / output_scale.
 *
 * Activations between layers are held as int16 `q - zero_point` (in [-255, 255]): the value a
 * multiply-accumulate needs, ready for SMLAD (two 16-bit multiply-accumulates per instruction)
 * without widening or offsetting it again in the layer that reads it. Weights are in the
 * layouts the Cortex-M4/M7 DSP path reads (made on the host, see src/quant/quant_model.cpp):
 *   conv kernel  int16 [filters][3][3][2]: one 32-bit word per tap (the int8 network takes 1 or
 *                2 input channels, distance and signal; one channel is padded with a zero one);
 *   dense kernel int8 [outputs4 / 4][inputs4 / 4][4 rows][4 inputs]: outputs4 and inputs4
 *                rounded up to 4 (zero padded); for each block of four rows and four inputs,
 *                the rows' four weights one after the other, each stored as w0 w2 w1 w3, so
 *                SXTB16 of the word is the pair (w0, w1) and SXTB16 of the word rotated by 8
 *                is (w2, w3).
 * Tensors are NHWC without the batch dimension (row, column, channel; channel fastest).
 *
 * Two code paths give bit-identical results: portable C99, and on Cortex-M4/M7
 * (__ARM_FEATURE_DSP) the ACLE intrinsics __smlad/__sxtb16. Both sum the same integers exactly
 * in int32, so they cannot differ (tests check it). No kernel allocates or keeps state. */
#ifndef HP_KERNELS_S8_H
#define HP_KERNELS_S8_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How a layer's int32 accumulators become int8 outputs. */
typedef struct {
    int32_t output_offset;     /* the output zero point */
    int32_t activation_min;    /* clamp after the offset: the zero point for ReLU, else -128 */
    int32_t activation_max;    /* 127 */
    const int32_t *multiplier; /* [output channels], in [2^30, 2^31) or 0 */
    const int8_t *shift;       /* [output channels], power of two exponent, in [-31, 30] */
} hp_quant_params_s8;

/* Splits real_multiplier (>= 0) into multiplier * 2^(shift - 31) with multiplier in [2^30, 2^31),
 * rounding half away from zero (TFLite's QuantizeMultiplier). Multipliers below 2^-32 become
 * 0 (multiplier 0, shift 0); above 2^30 they saturate to (2^31 - 1, 30). Host side only. */
void hp_quantize_multiplier(double real_multiplier, int32_t *multiplier, int32_t *shift);

/* round(x * multiplier * 2^(shift - 31)): floor((x * multiplier + 2^(s - 1)) / 2^s) with
 * s = 31 - shift, saturated to int32 (one rounding, ties up; TFLite rounds twice, which differs
 * by one in rare ties). For shift <= -2 (multipliers below 1/4, every layer of ST's model),
 * s >= 33 and the rounding constant only touches the high word of the 64-bit product:
 * floor(p / 2^s) = floor(high(p) / 2^(s - 32)), so on Cortex-M this is SMULL, ADD and ASR. */
static inline int32_t hp_requantize_s32(int32_t x, int32_t multiplier, int32_t shift)
{
    if (shift <= -2) {
        const int32_t high = (int32_t)(((int64_t)x * multiplier) >> 32); /* |high| <= 2^30 */
        return (high + (int32_t)(1u << (-shift - 2))) >> (-shift - 1);
    }
    const int64_t y = ((int64_t)x * multiplier + ((int64_t)1 << (30 - shift))) >> (31 - shift);
    return y > INT32_MAX ? INT32_MAX : y < INT32_MIN ? INT32_MIN : (int32_t)y;
}

/* An accumulator of output channel c -> int8 (requantize, offset, clamp), returned as
 * q - zero point. */
static inline int16_t hp_output_s8(int32_t acc, const hp_quant_params_s8 *params, int c)
{
    int32_t v = hp_requantize_s32(acc, params->multiplier[c], params->shift[c]) + params->output_offset;
    v = v < params->activation_min ? params->activation_min : v;
    v = v > params->activation_max ? params->activation_max : v;
    return (int16_t)(v - params->output_offset);
}

/* Rounds up to a multiple of 4 (dense rows and vectors are padded to it). */
static inline int hp_round4(int n) { return (n + 3) & ~3; }

/* q = clamp(round(x * (1 / scale)) + zero_point, -128, 127), rounding to nearest with ties to even
 * (VCVTR on the Cortex-M4F/M7, lrintf on the host: the same bits; NaN becomes the zero point),
 * stored as q - zero_point. x [pixels][channels] (channels 1 or 2) -> q [pixels][2], a
 * second channel 0 when there is one. q may be x itself (each value is read before the bytes it
 * occupies are written): the network quantizes its input in place. */
void hp_quantize_f32_s16(const float *x, int pixels, int channels, float scale, int32_t zero_point, int16_t *q);

/* 3x3 convolution (stride 1, valid), bias, requantization (ReLU through activation_min), then
 * 2x2 max pooling (stride 2, floor). The max of the four int32 accumulators is requantized once:
 * requantization, offset and clamp are non-decreasing, so this equals pooling the conv output.
 *   input  [height][width][2] int16 q - zero point (4-byte aligned)
 *   kernel [filters][3][3][2] int16 (4-byte aligned), bias [filters] int32
 *   output [(height-2)/2][(width-2)/2][filters] int16 q - zero point     height, width >= 4
 * Every multiplier must be below 1/4 (shift <= -2, multiplier >= 0): the Cortex-M4/M7 path
 * requantizes with hp_requantize_s32's three-instruction form only. With int16 conv weights the
 * conv multipliers are ~1e-5; the .hpq reader and hp_model_s8 reject others. */
void hp_conv2d_3x3_maxpool2x2_s8(const int16_t *input, int height, int width, const int16_t *kernel,
                                 const int32_t *bias, int filters, const hp_quant_params_s8 *params, int16_t *output);

/* Fully connected layer with bias and requantization (ReLU through activation_min).
 *   input [inputs4] int16 q - zero point, kernel int8 in the dense layout above, bias [outputs]
 *   int32 -> output [round4(outputs)] int16 q - zero point, the padding set to 0 (the next
 *   layer's input). */
void hp_dense_s8(const int16_t *input, int inputs4, const int8_t *kernel, const int32_t *bias, int outputs,
                 const hp_quant_params_s8 *params, int16_t *output);

/* Fully connected layer without requantization, for the network's last layer: keeping its
 * int32 accumulators avoids int8 logits whose coarse steps would tie classes in the argmax.
 *   input [inputs4] int16, kernel int8 (dense layout), bias [outputs] int32
 *   -> output [outputs] int32, of scale input_scale * weight_scale[o] */
void hp_dense_s8_s32(const int16_t *input, int inputs4, const int8_t *kernel, const int32_t *bias, int outputs,
                     int32_t *output);

#ifdef __cplusplus
}
#endif
#endif
