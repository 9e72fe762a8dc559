#include "train/layers.hpp"

#include <cmath>
#include <cstring>

// Convolutions and dense layers are matrix products; gemm() computes them in 8x8 register
// blocks with the output channel innermost, which the compiler turns into vector FMAs.
#define RESTRICT __restrict__

namespace hp::train {

// Eight floats in one vector register (GCC/Clang vector extension: plain arithmetic, any target).
typedef float f32x8 __attribute__((vector_size(32)));

// One block of `MR` rows x 8 columns of C = A B: A(i, k) = A[i*a_rs + k*a_cs], B [K][ldb], C [.][ldc].
// The MR accumulators stay in registers; each step broadcasts one A value per row.
template <int MR>
static inline void gemm_block(float* RESTRICT C, int ldc, const float* RESTRICT A, size_t a_rs, size_t a_cs,
                              const float* RESTRICT B, int ldb, int K, bool accumulate)
{
    f32x8 acc[MR] = {};
    if (accumulate)
        for (int r = 0; r < MR; r++) std::memcpy(&acc[r], C + size_t(r) * ldc, sizeof acc[r]);
    for (int k = 0; k < K; k++) {
        f32x8 b;
        std::memcpy(&b, B + size_t(k) * ldb, sizeof b);
        for (int r = 0; r < MR; r++) acc[r] += A[size_t(r) * a_rs + size_t(k) * a_cs] * b;
    }
    for (int r = 0; r < MR; r++) std::memcpy(C + size_t(r) * ldc, &acc[r], sizeof acc[r]);
}

// C [M][N] (row stride ldc) = A B, or C += A B if accumulate. A(i, k) = A[i*a_rs + k*a_cs]
// (a_rs = K, a_cs = 1 for a row-major A; a_rs = 1, a_cs = M for a transposed one); B [K][N] row stride ldb.
static void gemm(float* C, int ldc, const float* A, size_t a_rs, size_t a_cs, const float* B, int ldb, int M, int N,
                 int K, bool accumulate)
{
    const int N8 = N - N % 8;
    int i = 0;
    for (; i + 8 <= M; i += 8)
        for (int j = 0; j < N8; j += 8)
            gemm_block<8>(C + size_t(i) * ldc + j, ldc, A + size_t(i) * a_rs, a_rs, a_cs, B + j, ldb, K, accumulate);
    for (; i < M; i++)
        for (int j = 0; j < N8; j += 8)
            gemm_block<1>(C + size_t(i) * ldc + j, ldc, A + size_t(i) * a_rs, a_rs, a_cs, B + j, ldb, K, accumulate);
    // columns left over when N is not a multiple of 8 (e.g. a 1-output or 5-class layer)
    for (int r = 0; r < M; r++)
        for (int j = N8; j < N; j++) {
            float sum = 0;
            for (int k = 0; k < K; k++) sum += A[size_t(r) * a_rs + size_t(k) * a_cs] * B[size_t(k) * ldb + j];
            C[size_t(r) * ldc + j] = (accumulate ? C[size_t(r) * ldc + j] : 0.0f) + sum;
        }
}

void conv2d_forward(float* RESTRICT out, float* RESTRICT patches, const float* RESTRICT in, const float* RESTRICT kernel,
                    const float* RESTRICT bias, int B, int H, int W, int C, int F)
{
    const int OH = H - 2, OW = W - 2, P = 9 * C, pixels = B * OH * OW;
    for (int b = 0; b < B; b++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                float* RESTRICT p = patches + ((size_t(b) * OH + oy) * OW + ox) * P;
                for (int ky = 0; ky < 3; ky++) {  // the 3 x C inputs of one kernel row are contiguous in NHWC
                    const float* RESTRICT x = in + ((size_t(b) * H + oy + ky) * W + ox) * C;
                    if (C == 2)  // the usual case: a fixed-size copy the compiler unrolls
                        for (int j = 0; j < 6; j++) p[ky * 6 + j] = x[j];
                    else
                        for (int j = 0; j < 3 * C; j++) p[ky * 3 * C + j] = x[j];
                }
            }
    for (int p = 0; p < pixels; p++)
        for (int f = 0; f < F; f++) out[size_t(p) * F + f] = bias[f];
    gemm(out, F, patches, size_t(P), 1, kernel, F, pixels, F, P, true);
}

void conv2d_backward(float* RESTRICT din, float* RESTRICT dkernel, float* RESTRICT dbias, const float* RESTRICT dout,
                     const float* RESTRICT patches, const float* RESTRICT kernel, int B, int H, int W, int C, int F)
{
    const int OH = H - 2, OW = W - 2, P = 9 * C, pixels = B * OH * OW;
    // dkernel [P][F] = patches^T [P][pixels] x dout [pixels][F]
    gemm(dkernel, F, patches, 1, size_t(P), dout, F, P, F, pixels, false);
    std::memset(dbias, 0, sizeof(float) * F);
    for (int p = 0; p < pixels; p++)
        for (int f = 0; f < F; f++) dbias[f] += dout[size_t(p) * F + f];
    if (!din) return;
    std::memset(din, 0, sizeof(float) * size_t(B) * H * W * C);
    for (int b = 0; b < B; b++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                const float* d = dout + ((size_t(b) * OH + oy) * OW + ox) * F;
                for (int ky = 0; ky < 3; ky++) {
                    float* dx = din + ((size_t(b) * H + oy + ky) * W + ox) * C;
                    const float* k = kernel + size_t(ky) * 3 * C * F;
                    for (int j = 0; j < 3 * C; j++) {
                        float sum = 0;
                        for (int f = 0; f < F; f++) sum += k[size_t(j) * F + f] * d[f];
                        dx[j] += sum;
                    }
                }
            }
}

void relu_forward(float* out, const float* in, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = in[i] > 0 ? in[i] : 0.0f;
}

void relu_backward(float* din, const float* dout, const float* out, size_t n)
{
    for (size_t i = 0; i < n; i++) din[i] = out[i] > 0 ? dout[i] : 0.0f;
}

void maxpool_forward(float* RESTRICT out, int* RESTRICT argmax, const float* RESTRICT in, int B, int H, int W, int C)
{
    const int PH = H / 2, PW = W / 2;
    for (int b = 0; b < B; b++)
        for (int py = 0; py < PH; py++)
            for (int px = 0; px < PW; px++) {
                size_t o = ((size_t(b) * PH + py) * PW + px) * C;
                size_t i00 = ((size_t(b) * H + 2 * py) * W + 2 * px) * C;
                size_t i01 = i00 + C, i10 = i00 + size_t(W) * C, i11 = i10 + C;
                for (int c = 0; c < C; c++) {
                    // the first maximum in window order wins ties
                    size_t best = i00 + c;
                    if (in[i01 + c] > in[best]) best = i01 + c;
                    if (in[i10 + c] > in[best]) best = i10 + c;
                    if (in[i11 + c] > in[best]) best = i11 + c;
                    out[o + c] = in[best];
                    argmax[o + c] = int(best);
                }
            }
}

void maxpool_backward(float* RESTRICT din, const float* RESTRICT dout, const int* RESTRICT argmax, int B, int H, int W, int C)
{
    const size_t n_in = size_t(B) * H * W * C, n_out = size_t(B) * (H / 2) * (W / 2) * C;
    std::memset(din, 0, sizeof(float) * n_in);
    for (size_t i = 0; i < n_out; i++) din[argmax[i]] += dout[i];
}

void dropout_forward(float* out, float* mask, const float* in, size_t n, float rate, Rng& rng)
{
    // Each 32-bit draw decides two elements with 16 bits each: dropped iff u16 < rate * 2^16
    // (the rate is resolved to 1/65536), which halves the generator's share of training time.
    const float keep = 1.0f / (1.0f - rate);
    const uint32_t threshold = uint32_t(std::lround(double(rate) * 65536.0));
    for (size_t i = 0; i + 1 < n; i += 2) {
        uint32_t bits = rng.next_u32();
        mask[i] = keep * float((bits & 0xffffu) >= threshold);
        mask[i + 1] = keep * float((bits >> 16) >= threshold);
    }
    if (n % 2) mask[n - 1] = keep * float((rng.next_u32() & 0xffffu) >= threshold);
    for (size_t i = 0; i < n; i++) out[i] = in[i] * mask[i];
}

void dropout_backward(float* din, const float* dout, const float* mask, size_t n)
{
    for (size_t i = 0; i < n; i++) din[i] = dout[i] * mask[i];
}

void dense_forward(float* RESTRICT out, const float* RESTRICT in, const float* RESTRICT kernel, const float* RESTRICT bias,
                   int B, int I, int O)
{
    for (int b = 0; b < B; b++)
        for (int j = 0; j < O; j++) out[size_t(b) * O + j] = bias[j];
    gemm(out, O, in, size_t(I), 1, kernel, O, B, O, I, true);
}

void dense_backward(float* RESTRICT din, float* RESTRICT dkernel, float* RESTRICT dbias, const float* RESTRICT dout,
                    const float* RESTRICT in, const float* RESTRICT kernel, float* RESTRICT kernel_t, int B, int I, int O)
{
    // dkernel [I][O] = in^T [I][B] x dout [B][O]
    gemm(dkernel, O, in, 1, size_t(I), dout, O, I, O, B, false);
    std::memset(dbias, 0, sizeof(float) * size_t(O));
    for (int b = 0; b < B; b++)
        for (int j = 0; j < O; j++) dbias[j] += dout[size_t(b) * O + j];
    if (!din) return;
    // din [B][I] = dout [B][O] x kernel^T [O][I]
    for (int i = 0; i < I; i++)
        for (int j = 0; j < O; j++) kernel_t[size_t(j) * I + i] = kernel[size_t(i) * O + j];
    gemm(din, I, dout, size_t(O), 1, kernel_t, I, B, I, O, false);
}

double softmax_crossentropy_forward(float* probs, const float* logits, const int* labels, int B, int O)
{
    double loss = 0;
    for (int b = 0; b < B; b++) {
        const float* z = logits + size_t(b) * O;
        float* p = probs + size_t(b) * O;
        float zmax = z[0];
        for (int j = 1; j < O; j++) zmax = z[j] > zmax ? z[j] : zmax;
        float sum = 0;
        for (int j = 0; j < O; j++) {
            p[j] = std::exp(z[j] - zmax);
            sum += p[j];
        }
        for (int j = 0; j < O; j++) p[j] /= sum;
        // -log softmax from the logits, exact even when a probability underflows
        loss += double(std::log(sum)) - double(z[labels[b]] - zmax);
    }
    return loss;
}

void softmax_crossentropy_backward(float* dlogits, const float* probs, const int* labels, int B, int O, float scale)
{
    for (int b = 0; b < B; b++) {
        for (int j = 0; j < O; j++) dlogits[size_t(b) * O + j] = probs[size_t(b) * O + j] * scale;
        dlogits[size_t(b) * O + labels[b]] -= scale;
    }
}

double sigmoid_bce_forward(float* probs, const float* logits, const int* labels, int B)
{
    double loss = 0;
    for (int b = 0; b < B; b++) {
        float z = logits[b];
        probs[b] = 1.0f / (1.0f + std::exp(-z));
        // max(z, 0) - z*y + log(1 + exp(-|z|)): stable for large |z|
        loss += double(std::fmax(z, 0.0f)) - double(z) * labels[b] + std::log1p(std::exp(-double(std::fabs(z))));
    }
    return loss;
}

void sigmoid_bce_backward(float* dlogits, const float* probs, const int* labels, int B, float scale)
{
    for (int b = 0; b < B; b++) dlogits[b] = (probs[b] - float(labels[b])) * scale;
}

}  // namespace hp::train
