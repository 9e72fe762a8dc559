#include "train/layers.hpp"

#include <cmath>
#include <cstring>

// Loops keep the output channel innermost and contiguous so the compiler vectorizes them.
#define RESTRICT __restrict__

namespace hp::train {

void conv2d_forward(float* RESTRICT out, const float* RESTRICT in, const float* RESTRICT kernel,
                    const float* RESTRICT bias, int B, int H, int W, int C, int F)
{
    const int OH = H - 2, OW = W - 2;
    for (int b = 0; b < B; b++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                float* RESTRICT o = out + ((size_t(b) * OH + oy) * OW + ox) * F;
                for (int f = 0; f < F; f++) o[f] = bias[f];
                for (int ky = 0; ky < 3; ky++) {
                    // the 3 x C inputs of one kernel row are contiguous in NHWC
                    const float* RESTRICT x = in + ((size_t(b) * H + oy + ky) * W + ox) * C;
                    const float* RESTRICT k = kernel + size_t(ky) * 3 * C * F;
                    for (int j = 0; j < 3 * C; j++)
                        for (int f = 0; f < F; f++) o[f] += x[j] * k[size_t(j) * F + f];
                }
            }
}

void conv2d_backward(float* RESTRICT din, float* RESTRICT dkernel, float* RESTRICT dbias, const float* RESTRICT dout,
                     const float* RESTRICT in, const float* RESTRICT kernel, int B, int H, int W, int C, int F)
{
    const int OH = H - 2, OW = W - 2;
    std::memset(dkernel, 0, sizeof(float) * 9 * C * F);
    std::memset(dbias, 0, sizeof(float) * F);
    if (din) std::memset(din, 0, sizeof(float) * size_t(B) * H * W * C);
    for (int b = 0; b < B; b++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                const float* RESTRICT d = dout + ((size_t(b) * OH + oy) * OW + ox) * F;
                for (int f = 0; f < F; f++) dbias[f] += d[f];
                for (int ky = 0; ky < 3; ky++) {
                    size_t at = ((size_t(b) * H + oy + ky) * W + ox) * C;
                    const float* RESTRICT x = in + at;
                    float* RESTRICT dk = dkernel + size_t(ky) * 3 * C * F;
                    for (int j = 0; j < 3 * C; j++)
                        for (int f = 0; f < F; f++) dk[size_t(j) * F + f] += x[j] * d[f];
                    if (din) {
                        const float* RESTRICT k = kernel + size_t(ky) * 3 * C * F;
                        for (int j = 0; j < 3 * C; j++) {
                            float sum = 0;
                            for (int f = 0; f < F; f++) sum += k[size_t(j) * F + f] * d[f];
                            din[at + j] += sum;
                        }
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
                    // first maximum in row-major window order wins ties, like TensorFlow
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
    const float keep = 1.0f / (1.0f - rate);
    for (size_t i = 0; i < n; i++) mask[i] = rng.bernoulli(rate) ? 0.0f : keep;
    for (size_t i = 0; i < n; i++) out[i] = in[i] * mask[i];
}

void dropout_backward(float* din, const float* dout, const float* mask, size_t n)
{
    for (size_t i = 0; i < n; i++) din[i] = dout[i] * mask[i];
}

void dense_forward(float* RESTRICT out, const float* RESTRICT in, const float* RESTRICT kernel, const float* RESTRICT bias,
                   int B, int I, int O)
{
    for (int b = 0; b < B; b++) {
        float* RESTRICT o = out + size_t(b) * O;
        const float* RESTRICT x = in + size_t(b) * I;
        for (int j = 0; j < O; j++) o[j] = bias[j];
        for (int i = 0; i < I; i++)
            for (int j = 0; j < O; j++) o[j] += x[i] * kernel[size_t(i) * O + j];
    }
}

void dense_backward(float* RESTRICT din, float* RESTRICT dkernel, float* RESTRICT dbias, const float* RESTRICT dout,
                    const float* RESTRICT in, const float* RESTRICT kernel, int B, int I, int O)
{
    std::memset(dkernel, 0, sizeof(float) * size_t(I) * O);
    std::memset(dbias, 0, sizeof(float) * size_t(O));
    for (int b = 0; b < B; b++) {
        const float* RESTRICT d = dout + size_t(b) * O;
        const float* RESTRICT x = in + size_t(b) * I;
        for (int j = 0; j < O; j++) dbias[j] += d[j];
        for (int i = 0; i < I; i++)
            for (int j = 0; j < O; j++) dkernel[size_t(i) * O + j] += x[i] * d[j];
        if (din)
            for (int i = 0; i < I; i++) {
                float sum = 0;
                for (int j = 0; j < O; j++) sum += kernel[size_t(i) * O + j] * d[j];
                din[size_t(b) * I + i] = sum;
            }
    }
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
