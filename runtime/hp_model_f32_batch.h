/* The float32 forward pass of hp_model.h over many frames at once, for host tools.
 *
 * Frames go through the network in blocks of HP_LANES with the frame as the innermost,
 * contiguous axis of every tensor ("lanes" layout: a [H][W][C] tensor becomes [H][W][C][LANES]).
 * Every multiply-add then takes one weight for all the frames of a block: a plain loop over lanes,
 * which the compiler turns into one vector instruction (HP_LANES = 16 floats: one AVX-512
 * register) instead of vectorizing over the 8 filters or units of one frame.
 *
 * Each frame gets exactly the arithmetic of the per-frame kernels (hp_kernels_f32.h), operation
 * for operation and in the same order, so its scores are bit-identical to hp_model_f32_run's
 * (tests/batch_inference_test.cpp): batched and frame-by-frame predictions never disagree. That
 * holds as long as the compiler evaluates x * w + acc as written in both, which the build asks
 * of it (-ffp-contract=off in CMakeLists.txt; where HP_MADD_F32 is fmaf, both fuse every one).
 *
 * Host-only: deployment packages leave these files out (a microcontroller runs one frame at a
 * time). No malloc, no state; the caller owns every buffer.
 */
#ifndef HP_MODEL_F32_BATCH_H
#define HP_MODEL_F32_BATCH_H

#include <stddef.h>

#include "hp_model.h"

#define HP_LANES 16

/* The copy of the batched pass built for AVX2 (runtime/CMakeLists.txt) has its own names. */
#ifdef HP_LANES_AVX2_COPY
#define hp_model_f32_batch_scratch_floats hp_model_f32_batch_scratch_floats_avx2
#define hp_model_f32_run_batch hp_model_f32_run_batch_avx2
#define hp_conv2d_3x3_relu_maxpool2x2_f32_lanes hp_conv2d_3x3_relu_maxpool2x2_f32_lanes_avx2
#define hp_dense_f32_lanes hp_dense_f32_lanes_avx2
#define hp_softmax_f32_lanes hp_softmax_f32_lanes_avx2
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Number of floats of scratch memory hp_model_f32_run_batch needs (0 on bad dimensions). */
size_t hp_model_f32_batch_scratch_floats(const hp_model_f32 *model);

/* Runs `frames` frames: inputs [frames][H*W*C] -> scores [frames][O], each row what
 * hp_model_f32_run gives for that frame, bit for bit. Whole blocks of HP_LANES frames run in the
 * lanes layout; the last frames % HP_LANES frames run one by one through hp_model_f32_run.
 * scratch: hp_model_f32_batch_scratch_floats(model) floats, any alignment. Returns 0, or -1 on
 * bad arguments (inputs and scores may be NULL when frames is 0). */
int hp_model_f32_run_batch(const hp_model_f32 *model, const float *inputs, size_t frames,
                           float *scores, float *scratch);

/* The kernels of the lanes layout, one per file. Every tensor has HP_LANES frames innermost. */

/* hp_conv2d_3x3_relu_maxpool2x2_f32 on HP_LANES frames (conv2d_3x3_relu_maxpool2x2_f32_lanes.c).
 *   input  [height][width][channels][HP_LANES]
 *   kernel [3][3][channels][filters], bias [filters]
 *   output [(height-2)/2][(width-2)/2][filters][HP_LANES]
 * Per output: bias, then the taps in (ky, kx, channel) order, max over the window's pixels in
 * (row, column) order, then max with 0. height, width >= 4. */
void hp_conv2d_3x3_relu_maxpool2x2_f32_lanes(const float *input, int height, int width,
                                             int channels, const float *kernel,
                                             const float *bias, int filters, float *output);

/* hp_dense_f32 on HP_LANES frames (dense_f32_lanes.c).
 *   input [inputs][HP_LANES], kernel [inputs][outputs], bias [outputs]
 *   output [outputs][HP_LANES]
 * As in dense_f32.c: the units of its whole blocks of 8 sum even and odd inputs in two chains
 * (bias starts the even one) added at the end; the remaining units take one chain from the bias.
 * relu != 0 then applies hp_relu_f32. */
void hp_dense_f32_lanes(const float *input, int inputs, const float *kernel, const float *bias,
                        int outputs, int relu, float *output);

/* hp_softmax_f32 on HP_LANES frames (softmax_f32_lanes.c): x [n][HP_LANES], in place, n >= 1. */
void hp_softmax_f32_lanes(float *x, int n);

#ifdef __cplusplus
}
#endif
#endif
