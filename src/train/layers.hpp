// Training layers of CNN2D_ST_HandPosture, each a *_forward / *_backward pair of plain functions
// on lane-interleaved batches: a tensor written [..][Bp] holds one value per frame in its last
// dimension, Bp = the batch rounded up to kLanes frames (64 bytes: one AVX-512 register, two AVX or
// four SSE/NEON registers; layers.cpp works in the host's own vector width), so every
// layer is a sequence of vector operations over frames and weights are scalars broadcast to them.
// Lanes past the batch are zero padding: they stay finite forward and carry zero gradients back.
// Backward functions overwrite (never accumulate) their outputs.
// Inference does not use these: it runs in the C99 runtime (hp_model.h).
#pragma once

#include <cstddef>

#include "train/init.hpp"

namespace hp::train {

constexpr int kLanes = 16;
inline int padded_batch(int B) { return (B + kLanes - 1) / kLanes * kLanes; }

// rows [R][cols] -> lanes [cols][Rp] (Rp >= R, a multiple of kLanes; lanes R..Rp-1 set to 0)
void interleave_lanes(float* lanes, const float* rows, int R, int Rp, int cols);
// lanes [cols][Rp] -> rows [R][cols] (the first R lanes)
void deinterleave_lanes(float* rows, const float* lanes, int R, int Rp, int cols);

// conv 3x3, stride 1, valid: in [H][W][C][Bp], kernel [3][3][C][F], bias [F] -> out [H-2][W-2][F][Bp]
void conv2d_forward(float* out, const float* in, const float* kernel, const float* bias, int Bp, int H, int W, int C,
                    int F);
// dout [H-2][W-2][F][Bp], in -> dkernel [3][3][C][F], dbias [F], din [H][W][C][Bp] (din may be null)
void conv2d_backward(float* din, float* dkernel, float* dbias, const float* dout, const float* in, const float* kernel,
                     int Bp, int H, int W, int C, int F);

// relu: in [n] -> out [n] (out may be in)
void relu_forward(float* out, const float* in, size_t n);
// dout [n], out [n] (the forward output) -> din [n] (din may be dout)
void relu_backward(float* din, const float* dout, const float* out, size_t n);

// maxpool 2x2, stride 2, floor: in [H][W][C][Bp] -> out [H/2][W/2][C][Bp]
void maxpool_forward(float* out, const float* in, int Bp, int H, int W, int C);
// dout [H/2][W/2][C][Bp], in, out -> din [H][W][C][Bp]: each window's gradient goes to its first
// maximum in window order (row by row)
void maxpool_backward(float* din, const float* dout, const float* in, const float* out, int Bp, int H, int W, int C);

// inverted dropout: in [n] -> out [n] = in * mask, mask [n] in {0, 1/(1-rate)}, each element
// dropped iff 16 random bits < rate * 2^16; the bits come from SplitMix64 seeded by two draws of rng
void dropout_forward(float* out, float* mask, const float* in, size_t n, float rate, Rng& rng);
// dout [n], mask [n] -> din [n]
void dropout_backward(float* din, const float* dout, const float* mask, size_t n);

// dense: in [I][Bp], kernel [I][O], bias [O] -> out [O][Bp]
void dense_forward(float* out, const float* in, const float* kernel, const float* bias, int Bp, int I, int O);
// dout [O][Bp] (zero past B) -> dkernel [I][O], dbias [O], din [I][Bp] (din may be null);
// dout_rows [B][O] is scratch for dout frame by frame
void dense_backward(float* din, float* dkernel, float* dbias, const float* dout, const float* in, const float* kernel,
                    float* dout_rows, int B, int Bp, int I, int O);

// softmax + categorical cross-entropy: logits [B][O], labels [B] -> probs [B][O]; returns the summed loss
double softmax_crossentropy_forward(float* probs, const float* logits, const int* labels, int B, int O);
// probs [B][O], labels [B] -> dlogits [B][O] = (probs - onehot) * scale (scale = 1/B for a mean loss)
void softmax_crossentropy_backward(float* dlogits, const float* probs, const int* labels, int B, int O, float scale);

// sigmoid + binary cross-entropy: logits [B][1], labels [B] in {0,1} -> probs [B][1]; returns the summed loss
double sigmoid_bce_forward(float* probs, const float* logits, const int* labels, int B);
// probs [B][1], labels [B] -> dlogits [B][1] = (probs - label) * scale
void sigmoid_bce_backward(float* dlogits, const float* probs, const int* labels, int B, float scale);

}  // namespace hp::train
