/* An int8 network described as a list of layers (the int8 counterpart of hp_net.h), run by the
 * kernels of hp_kernels_s8.h. src/quant/quant_net.cpp makes it from any model's inference plan.
 *
 * Each layer names its input shape (NHWC, no batch dimension); a layer's input is the previous
 * layer's output (the first layer's, the network's input). Layers:
 *   HP_S8_CONV2D     k x k (1, 3, 5), stride 1, padding 0 (valid) .. k/2 (same) of the input's
 *                    zero point, requantized per output channel -> (H + 2p - k + 1) x (..) x F
 *   HP_S8_MAXPOOL2X2 stride 2, floor                        -> H/2 x W/2 x C
 *   HP_S8_DENSE      input (1, 1, n), or any H x W x C read as its NHWC flattening
 *                    (n = H W C)                            -> 1 x 1 x units
 * The last layer must be a dense layer: it is not requantized, its int32 accumulators are the
 * logits (int8 logits step too coarsely, classes would tie), logit o = acc[o] * output_scales[o]
 * in float, then softmax over the outputs or one sigmoid, as hp_model_s8.h does.
 *
 * Numbers (hp_kernels_s8.h): the float input is quantized to int16, q = trunc(x / input_scale)
 * clamped to +-input_limit (zero point 0); every other activation is int8 with a zero point,
 * held as int16 q - zero point, so that padding and zero-point corrections vanish and SMLAD
 * takes pairs directly; weights are int8 symmetric per output channel: a dense layer's stored in
 * the dense layout of hp_kernels_s8.h as [round4(outputs)][round4(inputs)], a convolution's
 * widened to int16 in the convolution layout of hp_kernels_s8.h (taps k * k * C in the Keras
 * order); biases and multipliers [round4(outputs)] int32 (padded with 0). A layer's
 * output is clamp(SMMULR(acc, multiplier[c]), out_min, out_max), the int8 range [-128, 127]
 * minus its zero point: [0, 255] after a ReLU (zero point -128). BatchNorm is folded and ReLU
 * fused by the quantizer; Flatten and Dropout are no layers. The caller guarantees that no
 * accumulator overflows int32 (the quantizer checks it for every input in range). A convolution
 * followed by a pooling runs as one step (the pooling on the accumulators).
 *
 * Memory: one scratch buffer, both ends used in turn, as hp_net_f32: the quantized input at the
 * start, then each step reads one end and writes the other, its work memory (a convolution's
 * patch and accumulators) after whichever buffer is at the start. Every buffer is a multiple of
 * 4 bytes (round4 values), so all stay 4-byte aligned. The structs only point at weights; the
 * caller owns them and every buffer. No malloc.
 */
#ifndef HP_NET_S8_H
#define HP_NET_S8_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { HP_S8_CONV2D = 1, HP_S8_MAXPOOL2X2, HP_S8_DENSE } hp_layer_s8_kind;

typedef struct {
    hp_layer_s8_kind kind;
    int height, width, channels; /* the layer's input shape */
    int outputs;                 /* conv: filters; dense: units; maxpool: 0 */
    int kernel_size, padding;    /* conv only */
    const int8_t *kernel;        /* dense: int8 [round4(outputs)][round4(inputs)], dense layout */
    const int16_t *conv_kernel;  /* conv: int16 (values in [-127, 127]), convolution layout */
    const int32_t *bias;         /* conv, dense: [round4(outputs)] */
    const int32_t *multiplier;   /* conv, dense: [round4(outputs)] in [0, 2^31); NULL for the last */
    int out_min, out_max;        /* conv, dense: the clamp of q - zero point (within [-255, 255]) */
} hp_layer_s8;

typedef struct {
    int input_height, input_width, input_channels;
    float input_scale;           /* input q = trunc(x / input_scale), clamped to +-input_limit */
    int input_limit;             /* 1 .. 32767 */
    int layer_count;
    const hp_layer_s8 *layers;
    int outputs;                 /* units of the last (dense) layer */
    const float *output_scales;  /* [outputs]: the float value of one step of each int32 logit */
    int sigmoid;                 /* 1: one sigmoid output; 0: softmax over the outputs */
} hp_net_s8;

/* Bytes of scratch memory the run functions need (4-byte aligned); 0 if the network is malformed
 * (a NULL pointer, no layers, a size below 1, an unknown kind, a kernel size other than 1, 3 or
 * 5, a padding outside 0 .. k/2, missing weights, a multiplier missing before the last layer, a
 * clamp outside [-255, 255], a layer whose input is not the previous output, a last layer that is
 * not dense, outputs not its units, sigmoid with more than one output). The validation of a
 * network: the run functions check it again (about 1,500 instructions a frame on ST's custom
 * model, 1 % of its inference). */
size_t hp_net_s8_scratch_bytes(const hp_net_s8 *net);

/* Quantize and the integer network: float input [H*W*C] -> int32 logits [outputs]; what host
 * and microcontroller must agree on bit for bit. Returns 0, or -1 if the network is malformed or
 * a pointer NULL. `input` may lie at the start of `scratch` (quantized in place; the scratch must
 * then also hold it: max(hp_net_s8_scratch_bytes, 4 H W C) bytes); it is overwritten. */
int hp_net_s8_run_logits(const hp_net_s8 *net, const float *input, int32_t *logits, void *scratch);

/* One frame: float input -> probabilities [outputs] (logits times output_scales, then softmax or
 * sigmoid). Returns 0 or -1, as hp_net_s8_run_logits; `input` may lie at the start of scratch. */
int hp_net_s8_run(const hp_net_s8 *net, const float *input, float *scores, void *scratch);

#ifdef __cplusplus
}
#endif
#endif
