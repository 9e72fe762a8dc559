/* int8 layer kernels of the runtime, one per file (CMSIS-NN style). hp_model_s8.c chains them.
 *
 * A real value r is stored as an integer q with r = scale * (q - zero_point). What each tensor
 * holds, and why (the Cortex-M4/M7 instructions each choice lets a layer end with):
 *   input        int16 symmetric: q = saturate(trunc(x / scale)), zero point 0 (one VCVT to
 *                16-bit fixed point; finer than int8, and no zero point to add);
 *   conv kernel  int16, ONE scale for the layer, chosen so that input_scale * weight_scale /
 *                output_scale = 2^-16: requantizing is taking the accumulator's top half
 *                (PKHTB packs two filters' outputs in one instruction, the 2x2 max of a pair is
 *                SSUB16 + SEL, ReLU and the int8 clamp one USAT16). Input and kernel share the
 *                bits this leaves (about 13 each on ST's model; src/quant/quant_model.cpp);
 *   dense kernel int8, symmetric per output channel;
 *   biases       int32 of scale input_scale * weight_scale[c];
 *   activations  int8 asymmetric per tensor after ReLU: the range is [0, max], so the zero
 *                point is -128 and q - zero_point is in [0, 255] (USAT #8 clamps both ends).
 * Activations between layers are held as int16 `q - zero_point`: the value a multiply-accumulate
 * needs, ready for SMLAD (two 16-bit multiply-accumulates per instruction).
 *
 * Requantization, rounding once (half up), as the Cortex-M4/M7 do it in one instruction:
 *   conv   floor((acc + 2^15) / 2^16)           (the 2^15 is in the bias the caller passes)
 *   dense  floor((acc * multiplier[c] + 2^31) / 2^32) = SMMULR, multiplier[c] = round(2^32 *
 *          input_scale * weight_scale[c] / output_scale) < 2^31
 *
 * Weights are in the layouts the DSP path reads (made on the host, src/quant/quant_model.cpp):
 *   conv weights int32 words, taps and biases together, in blocks of two filters (f0, f1) =
 *                (2p, 2p + 1), the last block first and block 0 last (the DSP path walks down
 *                from block 0). A tap's word holds its two channels as int16 (distance low,
 *                signal high; the network takes 1 or 2 input channels, one channel is padded with
 *                a zero one). A block is 20 words, each pair (f0's word, f1's word) being one
 *                LDRD: taps 4, 5, 6, 7, 8, then taps 0, 1, 2, the biases (plus 2^15), tap 3
 *                (taps numbered ky * 3 + kx). An odd filter count gets a zero filter;
 *                hp_conv_weight_index gives where each word is;
 *   dense kernel int8 [outputs4 / 4][inputs4 / 4][4 rows][4 inputs]: outputs4 and inputs4
 *                rounded up to 4 (zero padded); for each block of four rows and four inputs,
 *                the rows' four weights one after the other, each stored as w0 w2 w1 w3, so
 *                SXTB16 of the word is the pair (w0, w1) and SXTB16 of the word rotated by 8
 *                is (w2, w3).
 * Tensors are NHWC without the batch dimension (row, column, channel; channel fastest).
 *
 * Two code paths give bit-identical results: portable C99, and on Cortex-M4/M7 (__ARM_FEATURE_DSP)
 * inline asm. Both compute the same integers exactly, so they cannot differ (QEMU tests check
 * it). No kernel allocates or keeps state. */
#ifndef HP_KERNELS_S8_H
#define HP_KERNELS_S8_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The quantized input's range (int16). */
#define HP_S8_INPUT_MIN (-32768)
#define HP_S8_INPUT_MAX 32767

/* What SMMULR computes: floor((x * multiplier + 2^31) / 2^32), x * multiplier / 2^32 rounded
 * to nearest, ties up. */
static inline int32_t hp_smmulr(int32_t x, int32_t multiplier)
{
    return (int32_t)(((int64_t)x * multiplier + ((int64_t)1 << 31)) >> 32);
}

/* A requantized value, q - zero_point of an int8 ReLU output (zero point -128), as USAT #8. */
static inline int16_t hp_usat8(int32_t v) { return (int16_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

/* Rounds up to a multiple of 4 (dense rows and vectors are padded to it). */
static inline int hp_round4(int n) { return (n + 3) & ~3; }

/* q = clamp(trunc(x * (1 / scale)), -32768, 32767) (NaN -> 0; 1 / scale one float division, the
 * product one float multiplication: the same bits on host and microcontroller).
 * x [pixels][channels] (channels 1 or 2) -> q [pixels][2], a second channel 0 when there is one.
 * q may be x itself (each value is read before the bytes it occupies are written): the network
 * quantizes its input in place. */
void hp_quantize_f32_s16(const float *x, int pixels, int channels, float scale, int16_t *q);

/* Index in the conv weights (layout above) of filter f's tap t (0..8) word, or of its bias
 * (t = 9), for `filters` filters. */
static inline int hp_conv_weight_index(int f, int t, int filters)
{
    const int block = (filters + 1) / 2 - 1 - f / 2;
    const int word = t >= 4 && t <= 8 ? 2 * (t - 4) : t < 3 ? 10 + 2 * t : t == 9 ? 16 : 18;
    return 20 * block + word + (f & 1);
}

/* Words of conv weights for `filters` filters. */
static inline int hp_conv_weight_words(int filters) { return 20 * ((filters + 1) / 2); }

/* 3x3 convolution (stride 1, valid), requantization (>> 16), ReLU, then 2x2 max pooling
 * (stride 2, floor). The max of the four accumulators is requantized once: requantization and
 * clamp are non-decreasing, so this equals pooling the conv output.
 *   input   [height][width][2] int16 (4-byte aligned)
 *   weights the conv weights (layout above): taps, and the biases plus 2^15 (the rounding),
 *           where every accumulator starts (4-byte aligned)
 *   output  [(height-2)/2][(width-2)/2][filters] int16 q - zero point, in [0, 255]
 * height, width >= 4. The caller guarantees no accumulator overflows int32 (the quantizer
 * checks it for every input in range). */
void hp_conv2d_3x3_maxpool2x2_s8(const int16_t *input, int height, int width, const int32_t *weights, int filters,
                                 int16_t *output);

/* Fully connected layer with bias, requantization (SMMULR) and ReLU.
 *   input [inputs4] int16 q - zero point, kernel int8 in the dense layout above, bias and
 *   multiplier [round4(outputs)] int32 (padded with 0) -> output [round4(outputs)] int16 q - zero
 *   point in [0, 255], the padding 0 (the next layer's input). inputs4 >= 4, a multiple of 4;
 *   every array 4-byte aligned (the Cortex-M path loads and stores words, four rows a block). */
void hp_dense_s8(const int16_t *input, int inputs4, const int8_t *kernel, const int32_t *bias, int outputs,
                 const int32_t *multiplier, int16_t *output);

/* Fully connected layer without requantization, for the network's last layer: keeping its
 * int32 accumulators avoids int8 logits whose coarse steps would tie classes in the argmax.
 *   input [inputs4] int16, kernel int8 (dense layout), bias [round4(outputs)] int32 (padded with
 *   0) -> output [round4(outputs)] int32 (the padding 0), of scale input_scale *
 *   weight_scale[o]; sizes and alignment as hp_dense_s8 */
void hp_dense_s8_s32(const int16_t *input, int inputs4, const int8_t *kernel, const int32_t *bias, int outputs,
                     int32_t *output);


/* ---- The general int8 network's kernels (hp_net_s8.h) ----------------------------------------
 * The same integer scheme for any layer list: activations held as int16 q - zero point, the
 * network's input int16 symmetric, int8 weights symmetric per output channel, int32 biases, and
 * requantization by SMMULR with per-channel multipliers, clamped to the int8 range of the output
 * ([0, 255] after a ReLU, whose zero point is -128). Convolutions run as im2col two windows at a
 * time (both windows' values gathered into one patch, the padding 0 = the input's zero point),
 * multiplied by hp_conv2d_s8_pair (a pooling's four windows by hp_conv2d_s8_maxpool, pooled and
 * requantized in registers); their int8 weights are held as int16 (widened when the
 * runtime layout is derived, not per inference), so a value pair of the kernel is an SMLAD
 * operand as loaded. Dense layers run by hp_dense_s8(_s32): the Cortex-M4/M7 SMLAD path for
 * every layer. */

/* q = clamp(trunc(x * (1 / scale)), -limit, limit) (NaN -> 0) for n values; the limit keeps
 * the first layer's accumulators in int32 (the quantizer picks it). q may be x itself (each value
 * is read before the bytes it occupies are written). */
void hp_quantize_input_s16(const float *x, int n, float scale, int limit, int16_t *q);

/* out[i] = clamp(round(acc[i] * multiplier[i] / 2^32) (SMMULR), out_min, out_max), n values. */
void hp_requantize_s8(const int32_t *acc, int n, const int32_t *multiplier, int out_min, int out_max, int16_t *out);

/* The convolution kernel layout: int16, in blocks of two filters (2p, 2p + 1); per group of four
 * taps, filter 2p's four weights then filter 2p + 1's (taps in the Keras order ky, kx, c, padded
 * with 0 to a multiple of 4; an odd filter count padded with a zero filter). Index of filter f's
 * tap t for `taps` taps a filter, and the kernel's size in int16 values: */
static inline long hp_conv2d_s8_weight_index(int f, int t, int taps)
{
    return (long)(f >> 1) * 2 * hp_round4(taps) + (long)(t >> 2) * 8 + (f & 1) * 4 + (t & 3);
}

static inline long hp_conv2d_s8_kernel_values(int filters, int taps)
{
    return (long)((filters + 1) & ~1) * hp_round4(taps);
}

/* k x k convolution (stride 1, padding 0 .. k/2 of value 0: the input's zero point), requantized
 * (hp_requantize_s8), optionally followed by a 2x2 max pooling (stride 2, floor) taken on the
 * accumulators (requantizing and clamping never decrease, so it equals pooling the output).
 * Output pixels go in pairs through hp_conv2d_s8_pair (consecutive pixels), or a pooling's four
 * windows through hp_conv2d_s8_maxpool (even filter counts).
 *   input   [height][width][channels] int16 q - zero point, 4-byte aligned
 *   kernel  int16 in the convolution layout (above) of the Keras kernel [k][k][C][F] read as
 *           [k k C][F] transposed; bias, multiplier [round4(filters)] int32
 *   output  [OH][OW][filters] int16, OH = height + 2 padding - k + 1 (halved, floor, when pooled)
 *   patch   2 * round4(k * k * channels) int16; when pooled, plus 2 k channels if
 *           hp_conv2d_s8_tall(channels), else twice that (the bottom pair's own patch); acc 2 *
 *           round4(filters) int32, unused (may be NULL) when pooled with an even filter count
 *           (hp_conv2d_s8_maxpool): work memory, 4-byte aligned */
void hp_conv2d_s8(const int16_t *input, int height, int width, int channels, int kernel_size, int padding,
                  const int16_t *kernel, const int32_t *bias, const int32_t *multiplier, int filters, int out_min,
                  int out_max, int pool, int16_t *output, int16_t *patch, int32_t *acc);

/* Whether a pooled convolution gathers its four windows as k + 1 rows of a pair (channels a
 * multiple of 4: a window row is whole groups of four taps), one window row more of patch. */
static inline int hp_conv2d_s8_tall(int channels) { return channels % 4 == 0; }

/* Two windows against all filters: a[f] = bias[f] + filter f . window 0, b[f] = bias[f] + filter
 * f . window 1, for f < round2(filters), stored by `mode`: 0: acc[f] = a[f], acc[round4(filters)
 * + f] = b[f]; 1: acc[f] = max(a[f], b[f]); 2: acc[f] = max(acc[f], a[f], b[f]) (a pooling's max
 * over two pairs). `patch` holds both windows' taps interleaved four at a time: per group of
 * four taps, window 0's four values then window 1's (8 int16 a group, `groups` = round4(taps) /
 * 4 >= 1); kernel in the convolution layout (above). Every array 4-byte aligned (the
 * Cortex-M4/M7 path loads words: per step one LDM of four input words and one LDM of two
 * filters' four weight words feed eight SMLAD). */
void hp_conv2d_s8_pair(const int16_t *patch, int groups, const int16_t *kernel, const int32_t *bias, int filters,
                       int32_t *acc, int mode);

/* The four windows of a 2x2 max pooling against all filters, requantized: output[f] =
 * clamp(SMMULR(max over the windows w of bias[f] + filter f . w, multiplier[f]), out_min,
 * out_max), for f < filters (even). `top` and `bottom` are the patches of the top and the bottom
 * pair of windows (as hp_conv2d_s8_pair's), `groups` each; kernel in the convolution layout.
 * Every array 4-byte aligned (the Cortex-M4/M7 path reads words and stores two outputs a word). */
void hp_conv2d_s8_maxpool(const int16_t *top, const int16_t *bottom, int groups, const int16_t *kernel,
                          const int32_t *bias, const int32_t *multiplier, int filters, int out_min, int out_max,
                          int16_t *output);

/* 2x2 max pooling (stride 2, floor) of int16 activations [height][width][channels]. */
void hp_maxpool2x2_s8(const int16_t *input, int height, int width, int channels, int16_t *output);

#ifdef __cplusplus
}
#endif
#endif
