/* float32 layer kernels of the runtime, one per file (CMSIS-NN style). hp_model_f32.c chains them.
 *
 * Tensors are NHWC without the batch dimension (row, column, channel; channel fastest), weights
 * are in Keras layouts. Every kernel works on caller-owned buffers, allocates nothing and keeps
 * no state. Inner loops run over output channels / units, the contiguous axis of the weights,
 * with accumulators in a small local array the host compiler vectorizes. On a Cortex-M4F/M7
 * (ARMv7E-M with an FPU, GCC) the convolution and dense kernels take a short inline-asm path
 * instead: blocks of 8 filters or units in S registers, one vldm per 8 weights feeding vfma,
 * the same operations in the same order as the C.
 */
#ifndef HP_KERNELS_F32_H
#define HP_KERNELS_F32_H

#include <math.h>

/* acc + x * w in the kernels' inner loops. On a core with fused multiply-add (Cortex-M4F/M7
 * vfma.f32, AArch64, x86 with FMA3), fmaf is that one instruction, which ISO C mode does not
 * otherwise emit (GCC makes a multiply and an add), and twice the arithmetic per cycle. Elsewhere
 * a * b + c, rounded twice as written (without FMA hardware fmaf would be a library call). Either
 * way every site rounds alike: the build keeps the compiler from fusing some sites and not others
 * (-ffp-contract=off), so the per-frame and the batched host passes (hp_model_f32_batch.h) give
 * the same bits. */
#if defined(__ARM_FEATURE_FMA) || defined(__FMA__)
#define HP_MADD_FUSED 1
#define HP_MADD_F32(x, w, acc) fmaf(x, w, acc)
#else
#define HP_MADD_FUSED 0
#define HP_MADD_F32(x, w, acc) ((x) * (w) + (acc))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* 3x3 convolution, stride 1, valid padding, with bias and optional ReLU.
 *   input  [height][width][channels]
 *   kernel [3][3][channels][filters], bias [filters]
 *   output [height-2][width-2][filters]
 * relu != 0 applies max(0, x) to every output. height, width >= 3. */
void hp_conv2d_3x3_f32(const float *input, int height, int width, int channels,
                       const float *kernel, const float *bias, int filters, int relu,
                       float *output);

/* 3x3 convolution (stride 1, valid) + bias, ReLU and 2x2 max pooling (stride 2, floor) in one
 * pass: the four conv outputs of a pool window are computed together and only their maximum is
 * kept, so no conv output buffer exists; ReLU is applied after the max (the same result).
 *   input  [height][width][channels]
 *   kernel [3][3][channels][filters], bias [filters]
 *   output [(height-2)/2][(width-2)/2][filters]
 * height, width >= 4. */
void hp_conv2d_3x3_relu_maxpool2x2_f32(const float *input, int height, int width, int channels,
                                       const float *kernel, const float *bias, int filters,
                                       float *output);

/* k x k convolution, stride 1, zero padding on every side, optional bias and ReLU: Keras'
 * Conv2D with padding "valid" (padding = 0) or "same" (padding = kernel_size / 2, odd k).
 *   input  [height][width][channels]
 *   kernel [kernel_size][kernel_size][channels][filters], bias [filters] or NULL (no bias)
 *   output [height + 2 padding - kernel_size + 1][width + 2 padding - kernel_size + 1][filters]
 * kernel_size 1, 3 or 5 (any odd or even size works), 0 <= padding <= kernel_size / 2, output
 * at least 1 x 1. Each output is bias (or 0) plus one multiply-add per tap inside the input, in
 * the order ky, kx, c: the padding's zeros are skipped, not added. relu != 0 applies
 * max(0, x) to every output. */
void hp_conv2d_f32(const float *input, int height, int width, int channels, const float *kernel,
                   const float *bias, int filters, int kernel_size, int padding, int relu,
                   float *output);

/* Output rows [first_row, first_row + rows) of hp_conv2d_f32, the same values, written from
 * output[0]: a band of the whole output (for pooling each band as it is made, without a buffer
 * of the whole convolution). */
void hp_conv2d_rows_f32(const float *input, int height, int width, int channels,
                        const float *kernel, const float *bias, int filters, int kernel_size,
                        int padding, int relu, int first_row, int rows, float *output);

/* 2x2 max pooling, stride 2, valid (odd last row/column dropped, as Keras floors).
 *   input [height][width][channels] -> output [height/2][width/2][channels] */
void hp_maxpool2x2_f32(const float *input, int height, int width, int channels, float *output);

/* Fully connected layer with bias and optional ReLU.
 *   input [inputs], kernel [inputs][outputs], bias [outputs] -> output [outputs] */
void hp_dense_f32(const float *input, int inputs, const float *kernel, const float *bias,
                  int outputs, int relu, float *output);

/* acc + x[0] w[0] + x[1] w[w_stride] + ... + x[n-1] w[(n-1) w_stride], one multiply-add at a
 * time in that order: the outputs the block kernels leave over (filters or units after the last
 * block of 8). */
float hp_dot_f32(float acc, const float *x, const float *w, int w_stride, int n);

/* ReLU in place: x = max(0, x) over x[0..n-1]. */
void hp_relu_f32(float *x, int n);

/* The constants of the exponential of softmax_f32.c (described there), shared by the per-frame
 * and the batched (lanes) softmax so both give the same bits. */
#define HP_EXP_LOG2E 1.44269504088896341f
#define HP_EXP_SHIFT 8388735.0f                /* 2^23 + 127 */
#define HP_EXP_LN2_HI 0.693359375f
#define HP_EXP_LN2_LO (-2.12194440e-4f)
#define HP_EXP_Q4 1.38125801e-3f               /* Q(r) = Q4 r^4 + Q3 r^3 + Q2 r^2 + Q1 r + Q0 */
#define HP_EXP_Q3 8.36869515e-3f
#define HP_EXP_Q2 4.16684262e-2f
#define HP_EXP_Q1 1.66665211e-1f
#define HP_EXP_Q0 4.99999940e-1f

/* The bits of t = 2^23, k = -127: at or below them (x below about -87.3, t below 2^23 or
 * negative, whose bits are negative integers), e^x is taken as 0 (below FLT_MIN). An immediate
 * operand of CMP. */
#define HP_EXP_2P23_BITS 0x4B000000

/* e^x for finite x, within about 1 ulp of the exact value for -87 < x <= 88; 0 below -87
 * (results there would be subnormal). In softmax_f32.c, the file of its main user. */
float hp_exp_f32(float x);

/* Softmax in place over x[0..n-1], n >= 1; subtracts the maximum first so expf cannot overflow. */
void hp_softmax_f32(float *x, int n);

/* Logistic sigmoid in place over x[0..n-1], in a form that cannot overflow for any sign of x. */
void hp_sigmoid_f32(float *x, int n);

#ifdef __cplusplus
}
#endif
#endif
