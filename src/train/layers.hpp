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

// Convolutions of any odd kernel size k (1, 3, 5, ...), stride 1, Keras semantics. `valid`: no
// padding, out (H-k+1) x (W-k+1); `same`: k/2 zeros around the input, out H x W.
enum class Padding { valid, same };
// Output rows (or columns) of a k x k convolution over n rows (or columns).
int conv_output_size(int n, int k, Padding padding);
// in [H][W][C][Bp], kernel [k][k][C][F], bias [F] or null (no bias) -> out [OH][OW][F][Bp];
// throws std::invalid_argument for an even k or a kernel larger than the (unpadded, valid) input
void conv2d_forward_general(float* out, const float* in, const float* kernel, const float* bias, int Bp, int H, int W,
                            int C, int F, int k, Padding padding);
// dout [OH][OW][F][Bp] (zero past the batch), in, kernel -> dkernel [k][k][C][F], dbias [F] (skipped
// when null), din [H][W][C][Bp] (skipped when null)
void conv2d_backward_general(float* din, float* dkernel, float* dbias, const float* dout, const float* in,
                             const float* kernel, int Bp, int H, int W, int C, int F, int k, Padding padding);

// Keras BatchNormalization over the last axis (channels) of in [n][C][Bp] (n = H*W for a feature
// map [H][W][C][Bp], 1 after a dense layer). Statistics come from the first B lanes only; outputs
// and input gradients of the padding lanes are 0.
struct BatchNormConfig {
    float momentum = 0.99f;  // moving = momentum * moving + (1 - momentum) * batch statistic
    float epsilon = 1e-3f;
    // The batch variance that goes into moving_variance. Normalization always divides by the biased
    // variance (sum / m, m = B*n), but tf.keras 2.x updates moving_variance with the unbiased one
    // (sum / (m-1)) when it runs TensorFlow's fused kernel, its default for 4-D inputs (BN after a
    // Conv2D), and with the biased one otherwise (2-D inputs, BN after a Dense; Keras 3 always).
    // PyTorch's BatchNorm2d uses the unbiased one.
    bool unbiased_moving_variance = true;
};
// Training mode: out [n][C][Bp] = gamma * (in - mean) / sqrt(var + epsilon) + beta with the batch
// mean and biased variance per channel; saves mean [C] and inv_std [C] = 1/sqrt(var + epsilon) for
// the backward pass and updates moving_mean [C], moving_var [C] (skipped when null). gamma null: 1
// (scale=False); beta null: 0 (center=False). out may be in.
void batchnorm_forward_train(float* out, float* mean, float* inv_std, float* moving_mean, float* moving_var,
                             const float* in, const float* gamma, const float* beta, int B, int Bp, int n, int C,
                             const BatchNormConfig& config = {});
// dout [n][C][Bp], in (the forward input), gamma (or null), mean, inv_std (saved by the forward pass)
// -> dgamma [C], dbeta [C] (each skipped when null) and din [n][C][Bp] (skipped when null): the full
// gradient through the batch statistics. din may be dout.
void batchnorm_backward(float* din, float* dgamma, float* dbeta, const float* dout, const float* in,
                        const float* gamma, const float* mean, const float* inv_std, int B, int Bp, int n, int C);
// Inference mode: out = gamma * (in - moving_mean) / sqrt(moving_var + epsilon) + beta (out may be in)
void batchnorm_forward_inference(float* out, const float* in, const float* gamma, const float* beta,
                                 const float* moving_mean, const float* moving_var, int B, int Bp, int n, int C,
                                 float epsilon = 1e-3f);

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
