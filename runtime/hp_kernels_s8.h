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
 * Activations between layers are held as int16 `q - zero_point` (in [-255, 255]): the value a
 * multiply-accumulate needs, ready for SMLAD (two 16-bit multiply-accumulates per instruction)
 * without widening or offsetting it again in the layer that reads it. Weights are in the
 * layouts the Cortex-M4/M7 DSP path reads (made on the host, see src/quant/quant_model.cpp):
 *   conv kernel  int16 [filters][3][3][pairs * 2]: one 32-bit word per tap and channel pair
 *                (an odd channel count is padded with a zero channel);
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
    const int32_t *shift;      /* [output channels], power of two exponent, in [-31, 30] */
} hp_quant_params_s8;

/* Splits real_multiplier (>= 0) into multiplier * 2^(shift - 31) with multiplier in [2^30, 2^31),
 * rounding half away from zero (TFLite's QuantizeMultiplier). Multipliers below 2^-32 become
 * 0 (multiplier 0, shift 0); above 2^30 they saturate to (2^31 - 1, 30). Host side only. */
void hp_quantize_multiplier(double real_multiplier, int32_t *multiplier, int32_t *shift);

/* One output channel's requantization, split once per channel so that applying it to each
 * accumulator is a multiply-accumulate and a few single-cycle instructions. */
typedef struct {
    int32_t multiplier;
    int32_t left;  /* shift > 0: saturating left shift first */
    int32_t right; /* shift < 0: rounding right shift after */
    int32_t mask;  /* 2^right - 1 */
} hp_requant_s32;

static inline hp_requant_s32 hp_requant_split(int32_t multiplier, int32_t shift)
{
    hp_requant_s32 r;
    r.multiplier = multiplier;
    r.left = shift > 0 ? shift : 0;
    r.right = shift > 0 ? 0 : -shift;
    r.mask = (int32_t)(((uint32_t)1 << r.right) - 1);
    return r;
}

/* x * multiplier * 2^(shift - 31), rounded to nearest, exactly as TFLite's
 * MultiplyByQuantizedMultiplier (gemmlowp's SaturatingRoundingDoublingHighMul, then
 * RoundingDivideByPOT: ties away from zero). A left shift saturates instead of overflowing. */
static inline int32_t hp_requant_apply(int32_t x, const hp_requant_s32 *r)
{
    if (r->left) { /* saturating left shift, in 32 bits */
        const int32_t limit = INT32_MAX >> r->left;
        x = x > limit ? INT32_MAX : x < -limit - 1 ? INT32_MIN : (int32_t)((uint32_t)x << r->left);
    }
    /* saturating rounding doubling high multiply. gemmlowp adds 2^30 (1 - 2^30 if negative) and
     * divides by 2^31 truncating; for a negative sum, truncation = floor((sum + 2^31 - 1) / 2^31),
     * so both cases are floor((product + 2^30) / 2^31): one multiply-accumulate and a shift. */
    const int32_t high = (x == INT32_MIN && r->multiplier == INT32_MIN)
                             ? INT32_MAX /* the only overflow */
                             : (int32_t)(((int64_t)x * r->multiplier + ((int64_t)1 << 30)) >> 31);
    /* rounding divide by 2^right, ties away from zero */
    const int32_t threshold = (r->mask >> 1) + (int32_t)((uint32_t)high >> 31);
    return (high >> r->right) + ((high & r->mask) > threshold);
}

static inline int32_t hp_requantize_s32(int32_t x, int32_t multiplier, int32_t shift)
{
    const hp_requant_s32 r = hp_requant_split(multiplier, shift);
    return hp_requant_apply(x, &r);
}

/* An accumulator -> int8 (requantize, offset, clamp), returned as q - zero point. */
static inline int16_t hp_output_s8(int32_t acc, const hp_requant_s32 *r, const hp_quant_params_s8 *params)
{
    int32_t v = hp_requant_apply(acc, r) + params->output_offset;
    v = v < params->activation_min ? params->activation_min : v;
    v = v > params->activation_max ? params->activation_max : v;
    return (int16_t)(v - params->output_offset);
}

/* Rounds up to a multiple of 4 (dense rows and vectors are padded to it). */
static inline int hp_round4(int n) { return (n + 3) & ~3; }

/* q = clamp(round(x / scale) + zero_point, -128, 127), rounding half away from zero (a division,
 * not a multiplication by 1/scale, so host and microcontroller agree bit for bit; NaN becomes
 * -128), stored as q - zero_point. x [pixels][channels] -> q [pixels][pairs * 2], pairs =
 * (channels + 1) / 2, a padded channel 0. q may be x itself (each value is read before the
 * bytes it occupies are written): the network quantizes its input in place. */
void hp_quantize_f32_s16(const float *x, int pixels, int channels, float scale, int32_t zero_point, int16_t *q);

/* 3x3 convolution (stride 1, valid), bias, requantization (ReLU through activation_min), then
 * 2x2 max pooling (stride 2, floor). The max of the four int32 accumulators is requantized once:
 * requantization, offset and clamp are non-decreasing, so this equals pooling the conv output.
 *   input  [height][width][pairs * 2] int16 q - zero point (pairs >= 1)
 *   kernel [filters][3][3][pairs * 2] int16, bias [filters] int32
 *   output [(height-2)/2][(width-2)/2][filters] int16 q - zero point     height, width >= 4 */
void hp_conv2d_3x3_maxpool2x2_s8(const int16_t *input, int height, int width, int pairs, const int16_t *kernel,
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
