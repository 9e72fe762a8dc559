/* int8 layer kernels of the runtime, one per file (CMSIS-NN style). hp_model_s8.c chains them.
 *
 * Quantization follows TFLite's integer scheme: a real value r is stored as an int8 q with
 * r = scale * (q - zero_point). Activations are asymmetric per tensor (any zero point);
 * weights are symmetric per output channel (zero point 0); biases are int32 with scale
 * input_scale * weight_scale[channel]. A layer accumulates (q_in - zero_point_in) * q_w in int32
 * and brings the sum to the output scale with a fixed-point multiplier and shift (requantize):
 *   q_out = clamp(zero_point_out + hp_requantize_s32(acc, multiplier[c], shift[c]), min, max)
 * where multiplier * 2^(shift - 31) ~ input_scale * weight_scale[c] / output_scale.
 *
 * Tensors are NHWC without the batch dimension (row, column, channel; channel fastest).
 * Weight layouts are output-channel first so each output is one contiguous dot product:
 * conv kernel [filters][3][3][channels] (OHWI), dense kernel [outputs][inputs].
 *
 * Two code paths give bit-identical results: portable C99, and on Cortex-M4/M7
 * (__ARM_FEATURE_DSP) dot products with the DSP instructions SXTB16 + SMLAD (two 16-bit
 * multiply-accumulates per instruction) through ACLE intrinsics. Both sum the same integers
 * exactly in int32, so they cannot differ. The DSP path needs an int16 work buffer; the
 * portable path takes the same buffer and ignores it, so memory needs do not depend on the
 * target. Every kernel works on caller-owned buffers, allocates nothing, keeps no state.
 */
#ifndef HP_KERNELS_S8_H
#define HP_KERNELS_S8_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How a layer's int32 accumulators become int8 outputs. */
typedef struct {
    int32_t input_offset;      /* minus the input zero point, added to every input value */
    int32_t output_offset;     /* the output zero point */
    int32_t activation_min;    /* clamp after the offset: the zero point for ReLU, else -128 */
    int32_t activation_max;    /* 127 */
    const int32_t *multiplier; /* [output channels], in [2^30, 2^31) or 0 */
    const int32_t *shift;      /* [output channels], power of two exponent, in [-31, 30] */
} hp_quant_params_s8;

/* Splits real_multiplier (>= 0) into multiplier * 2^(shift - 31) with multiplier in [2^30, 2^31),
 * rounding half away from zero (TFLite's QuantizeMultiplier). Multipliers below 2^-32 become
 * 0 (multiplier 0, shift 0); above 2^30 they saturate to (2^31 - 1, 30). Host side only. */
void hp_quantize_multiplier(double real_multiplier, int32_t *multiplier, int32_t *shift);

/* x * multiplier * 2^(shift - 31), rounded to nearest, exactly as TFLite's
 * MultiplyByQuantizedMultiplier (gemmlowp's SaturatingRoundingDoublingHighMul, then
 * RoundingDivideByPOT: ties away from zero). A left shift saturates instead of overflowing. */
static inline int32_t hp_requantize_s32(int32_t x, int32_t multiplier, int32_t shift)
{
    int32_t right = 0;
    if (shift > 0) { /* saturating left shift */
        int64_t shifted = (int64_t)x * ((int64_t)1 << shift);
        x = shifted > INT32_MAX ? INT32_MAX : shifted < INT32_MIN ? INT32_MIN : (int32_t)shifted;
    } else {
        right = -shift;
    }
    /* saturating rounding doubling high multiply. gemmlowp adds 2^30 (1 - 2^30 if negative) and
     * divides by 2^31 truncating; for a negative sum, truncation = floor((sum + 2^31 - 1) / 2^31),
     * so both cases are floor((product + 2^30) / 2^31): one multiply-accumulate and a shift. */
    int32_t high = (x == INT32_MIN && multiplier == INT32_MIN)
                       ? INT32_MAX
                       : (int32_t)(((int64_t)x * multiplier + ((int64_t)1 << 30)) >> 31);
    /* rounding divide by 2^right, ties away from zero */
    int32_t mask = (int32_t)(((uint32_t)1 << right) - 1);
    int32_t remainder = high & mask;
    int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
    return (high >> right) + (remainder > threshold ? 1 : 0);
}

/* One accumulator of output channel c -> int8 (offset, clamp). */
static inline int8_t hp_output_s8(int32_t acc, const hp_quant_params_s8 *params, int c)
{
    int32_t v = hp_requantize_s32(acc, params->multiplier[c], params->shift[c]) + params->output_offset;
    if (v < params->activation_min) v = params->activation_min;
    if (v > params->activation_max) v = params->activation_max;
    return (int8_t)v;
}

/* 3x3 convolution, stride 1, valid padding, bias, requantization (ReLU through activation_min).
 *   input  [height][width][channels] int8
 *   kernel [filters][3][3][channels] int8, bias [filters] int32
 *   buffer [9 * channels] int16 work memory
 *   output [height-2][width-2][filters] int8            height, width >= 3 */
void hp_conv2d_3x3_s8(const int8_t *input, int height, int width, int channels,
                      const int8_t *kernel, const int32_t *bias, int filters,
                      const hp_quant_params_s8 *params, int16_t *buffer, int8_t *output);

/* hp_conv2d_3x3_s8 then hp_maxpool2x2_s8 in one pass, bit for bit the same result: the max of
 * the four int32 accumulators is requantized once (requantization is non-decreasing).
 *   input  [height][width][channels] int8
 *   kernel [filters][3][3][channels] int8, bias [filters] int32
 *   buffer [5 * 9 * channels] int16 work memory
 *   output [(height-2)/2][(width-2)/2][filters] int8      height, width >= 4 */
void hp_conv2d_3x3_maxpool2x2_s8(const int8_t *input, int height, int width, int channels,
                                 const int8_t *kernel, const int32_t *bias, int filters,
                                 const hp_quant_params_s8 *params, int16_t *buffer, int8_t *output);

/* 2x2 max pooling, stride 2, valid (odd last row/column dropped, as Keras floors). Same scale
 * and zero point in and out, since max commutes with a monotonic quantization.
 *   input [height][width][channels] -> output [height/2][width/2][channels] */
void hp_maxpool2x2_s8(const int8_t *input, int height, int width, int channels, int8_t *output);

/* Fully connected layer with bias and requantization (ReLU through activation_min).
 *   input [inputs] int8, kernel [outputs][inputs] int8, bias [outputs] int32
 *   buffer [inputs] int16 work memory, output [outputs] int8 */
void hp_dense_s8(const int8_t *input, int inputs, const int8_t *kernel, const int32_t *bias,
                 int outputs, const hp_quant_params_s8 *params, int16_t *buffer, int8_t *output);

/* Fully connected layer without requantization, for the network's last layer: keeping its
 * int32 accumulators avoids int8 logits whose coarse steps would tie classes in the argmax.
 *   input [inputs] int8 (plus input_offset), kernel [outputs][inputs] int8, bias [outputs] int32
 *   buffer [inputs] int16 work memory, output [outputs] int32, scale input_scale * weight_scale[o] */
void hp_dense_s8_s32(const int8_t *input, int inputs, const int8_t *kernel, const int32_t *bias, int outputs,
                     int32_t input_offset, int16_t *buffer, int32_t *output);

/* q[i] = clamp(round(x[i] / scale) + zero_point, -128, 127), rounding half away from zero
 * (a division, not a multiplication by 1/scale, so host and microcontroller agree bit for bit).
 * NaN becomes -128. */
void hp_quantize_f32_s8(const float *x, int n, float scale, int32_t zero_point, int8_t *q);

#ifdef __cplusplus
}
#endif
#endif
