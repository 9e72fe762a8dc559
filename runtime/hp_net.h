/* A float32 network described as a list of layers, run by the kernels of hp_kernels_f32.h.
 *
 * Each layer names its input shape (NHWC, no batch dimension); the chain must hold: a layer's
 * input is the previous layer's output (the first layer's, the network's input). Layers:
 *   HP_LAYER_CONV2D     k x k (1, 3, 5), stride 1, zero padding 0 (valid) .. k/2 (same),
 *                       weights [k][k][C][F] (Keras), bias [F] or NULL, optional ReLU
 *                       -> (H + 2p - k + 1) x (W + 2p - k + 1) x F
 *   HP_LAYER_MAXPOOL2X2 stride 2, floor                  -> H/2 x W/2 x C
 *   HP_LAYER_DENSE      input (1, 1, n), or any H x W x C read as its NHWC flattening
 *                       (n = H W C, Keras Flatten); weights [n][units], bias [units] (required),
 *                       optional ReLU                     -> 1 x 1 x units
 *   HP_LAYER_SOFTMAX, HP_LAYER_SIGMOID   in place over all values, shape unchanged
 * BatchNorm is expected folded into the preceding convolution's weights and bias; Flatten and
 * Dropout are no layers (the identity at inference). The structs only point at weights; the
 * caller owns them and every buffer.
 *
 * Memory: one scratch buffer, both ends used in turn: a layer reads its input at one end and
 * writes its output at the other. The first layer reads the caller's input, the last layer
 * that produces values writes into scores, softmax and sigmoid work in place. A convolution
 * followed by a 2x2 pooling runs as one step, two conv rows at a time into a band between the
 * two (2 x conv width x filters floats), each band pooled at once: the convolution's whole output
 * never exists. The scratch size is the largest over steps of input (unless the caller's) +
 * band + output (unless scores); for ST's custom model, 16x4x4 + 2x4x32 + 2x2x32 = 640 floats.
 */
#ifndef HP_NET_H
#define HP_NET_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    HP_LAYER_CONV2D = 1,
    HP_LAYER_MAXPOOL2X2,
    HP_LAYER_DENSE,
    HP_LAYER_SOFTMAX,
    HP_LAYER_SIGMOID
} hp_layer_kind;

typedef struct {
    hp_layer_kind kind;
    int height, width, channels; /* the layer's input shape (dense: 1, 1, inputs, or the
                                    previous layer's output shape) */
    int outputs;                 /* conv: filters; dense: units; others: unused (0) */
    int kernel_size, padding;    /* conv only */
    int relu;                    /* conv, dense: ReLU on the output */
    const float *weights;        /* conv [k][k][C][F]; dense [inputs][units]; else NULL */
    const float *bias;           /* conv [outputs] or NULL; dense [outputs]; else NULL */
} hp_layer_f32;

typedef struct {
    int input_height, input_width, input_channels;
    int layer_count;
    const hp_layer_f32 *layers;
    int outputs; /* floats of the last layer's output: the scores */
} hp_net_f32;

/* Floats of scratch memory hp_net_f32_run needs; 0 if the network is malformed (a NULL
 * pointer, no layers, a size below 1, an unknown kind, a kernel size other than 1, 3 or 5, a
 * padding outside 0 .. k/2, missing weights or dense bias, a layer whose input is not the
 * previous output, outputs not the last layer's output size). The validation of a network. */
size_t hp_net_f32_scratch_floats(const hp_net_f32 *net);

/* Runs one frame: input [H*W*C] -> scores [outputs]. scratch: hp_net_f32_scratch_floats(net)
 * floats. Returns 0, or -1 if the network is malformed or a pointer is NULL. */
int hp_net_f32_run(const hp_net_f32 *net, const float *input, float *scores, float *scratch);

#ifdef __cplusplus
}
#endif
#endif
