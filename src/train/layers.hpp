// Training layers of CNN2D_ST_HandPosture, each a *_forward / *_backward pair of plain functions
// on batched NHWC float32 tensors. Backward functions overwrite (never accumulate) their outputs.
// Inference does not use these: it runs in the C99 runtime (hp_model.h).
#pragma once

#include <cstddef>

#include "train/init.hpp"

namespace hp::train {

// conv 3x3, stride 1, valid: in [B][H][W][C], kernel [3][3][C][F], bias [F] -> out [B][H-2][W-2][F],
// patches [B][H-2][W-2][3][3][C] (the input window of each output pixel, kept for the backward pass)
void conv2d_forward(float* out, float* patches, const float* in, const float* kernel, const float* bias, int B, int H,
                    int W, int C, int F);
// dout [B][H-2][W-2][F], patches -> dkernel [3][3][C][F], dbias [F], din [B][H][W][C] (din may be null)
void conv2d_backward(float* din, float* dkernel, float* dbias, const float* dout, const float* patches,
                     const float* kernel, int B, int H, int W, int C, int F);

// relu: in [n] -> out [n] (out may be in)
void relu_forward(float* out, const float* in, size_t n);
// dout [n], out [n] (the forward output) -> din [n] (din may be dout)
void relu_backward(float* din, const float* dout, const float* out, size_t n);

// maxpool 2x2, stride 2, floor: in [B][H][W][C] -> out [B][H/2][W/2][C], argmax [B][H/2][W/2][C] (index into in)
void maxpool_forward(float* out, int* argmax, const float* in, int B, int H, int W, int C);
// dout [B][H/2][W/2][C], argmax -> din [B][H][W][C]
void maxpool_backward(float* din, const float* dout, const int* argmax, int B, int H, int W, int C);

// inverted dropout: in [n] -> out [n] = in * mask, mask [n] in {0, 1/(1-rate)} drawn from rng (rate in steps of 2^-16)
void dropout_forward(float* out, float* mask, const float* in, size_t n, float rate, Rng& rng);
// dout [n], mask [n] -> din [n]
void dropout_backward(float* din, const float* dout, const float* mask, size_t n);

// dense: in [B][I], kernel [I][O], bias [O] -> out [B][O]
void dense_forward(float* out, const float* in, const float* kernel, const float* bias, int B, int I, int O);
// dout [B][O] -> dkernel [I][O], dbias [O], din [B][I] (din may be null);
// kernel_t [O][I] is scratch for the transposed kernel (din = dout kernel^T reads it row by row)
void dense_backward(float* din, float* dkernel, float* dbias, const float* dout, const float* in, const float* kernel,
                    float* kernel_t, int B, int I, int O);

// softmax + categorical cross-entropy: logits [B][O], labels [B] -> probs [B][O]; returns the summed loss
double softmax_crossentropy_forward(float* probs, const float* logits, const int* labels, int B, int O);
// probs [B][O], labels [B] -> dlogits [B][O] = (probs - onehot) * scale (scale = 1/B for a mean loss)
void softmax_crossentropy_backward(float* dlogits, const float* probs, const int* labels, int B, int O, float scale);

// sigmoid + binary cross-entropy: logits [B][1], labels [B] in {0,1} -> probs [B][1]; returns the summed loss
double sigmoid_bce_forward(float* probs, const float* logits, const int* labels, int B);
// probs [B][1], labels [B] -> dlogits [B][1] = (probs - label) * scale
void sigmoid_bce_backward(float* dlogits, const float* probs, const int* labels, int B, float scale);

}  // namespace hp::train
