// Finite-difference checks of every training layer's backward pass: for a random upstream
// gradient r, the backward pass must give d(sum r * forward(x))/dx as measured by central
// differences of the forward pass.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "model/model.hpp"
#include "train/init.hpp"
#include "train/layers.hpp"
#include "train/network.hpp"
#include "train/trainer.hpp"

using namespace hp::train;

namespace {

std::vector<float> random_vector(size_t n, Rng& rng, float scale = 1.0f)
{
    std::vector<float> v(n);
    for (float& x : v) x = (2 * rng.uniform01() - 1) * scale;
    return v;
}

// Keeps values at least `margin` away from 0 so ReLU kinks are not crossed by the perturbation.
void push_from_zero(std::vector<float>& v, float margin)
{
    for (float& x : v)
        if (std::fabs(x) < margin) x = x < 0 ? -margin : margin;
}

double dot(const std::vector<float>& a, const std::vector<float>& b)
{
    double s = 0;
    for (size_t i = 0; i < a.size(); i++) s += double(a[i]) * b[i];
    return s;
}

// Compares `analytic` with central differences of `objective` with respect to `param`.
void expect_gradient(std::vector<float>& param, const std::vector<float>& analytic,
                     const std::function<double()>& objective, float eps, double tolerance, const char* what)
{
    ASSERT_EQ(param.size(), analytic.size()) << what;
    for (size_t i = 0; i < param.size(); i++) {
        float saved = param[i];
        param[i] = saved + eps;
        double up = objective();
        param[i] = saved - eps;
        double down = objective();
        param[i] = saved;
        double numeric = (up - down) / (2.0 * double(eps));
        EXPECT_NEAR(analytic[i], numeric, tolerance * (1 + std::fabs(numeric))) << what << " index " << i;
    }
}

}  // namespace

// Shapes cover both the 8x8 register blocks of the matrix products and the rows/columns left over.
static void check_conv2d(int B, int H, int W, int C, int F)
{
    Rng rng(1);
    const int OH = H - 2, OW = W - 2;
    auto in = random_vector(size_t(B) * H * W * C, rng);
    auto kernel = random_vector(size_t(9) * C * F, rng);
    auto bias = random_vector(size_t(F), rng);
    auto r = random_vector(size_t(B) * OH * OW * F, rng);
    std::vector<float> out(r.size()), patches(size_t(B) * OH * OW * 9 * C), din(in.size()), dkernel(kernel.size()),
        dbias(bias.size());
    auto objective = [&] {
        conv2d_forward(out.data(), patches.data(), in.data(), kernel.data(), bias.data(), B, H, W, C, F);
        return dot(out, r);
    };
    objective();
    conv2d_backward(din.data(), dkernel.data(), dbias.data(), r.data(), patches.data(), kernel.data(), B, H, W, C, F);
    expect_gradient(in, din, objective, 1e-2f, 1e-3, "conv input");
    expect_gradient(kernel, dkernel, objective, 1e-2f, 1e-3, "conv kernel");
    expect_gradient(bias, dbias, objective, 1e-2f, 1e-3, "conv bias");
}

TEST(TrainLayers, Conv2dGradients) { check_conv2d(2, 6, 5, 2, 3); }
TEST(TrainLayers, Conv2dGradientsBlocked) { check_conv2d(3, 5, 7, 2, 17); }

TEST(TrainLayers, Conv2dForwardMatchesDirectSum)
{
    Rng rng(2);
    const int B = 1, H = 5, W = 4, C = 2, F = 2;
    auto in = random_vector(size_t(B) * H * W * C, rng);
    auto kernel = random_vector(size_t(9) * C * F, rng);
    std::vector<float> bias{0.5f, -0.25f}, out(size_t(B) * 3 * 2 * F), patches(size_t(B) * 3 * 2 * 9 * C);
    conv2d_forward(out.data(), patches.data(), in.data(), kernel.data(), bias.data(), B, H, W, C, F);
    for (int oy = 0; oy < 3; oy++)
        for (int ox = 0; ox < 2; ox++)
            for (int f = 0; f < F; f++) {
                double s = bias[size_t(f)];
                for (int ky = 0; ky < 3; ky++)
                    for (int kx = 0; kx < 3; kx++)
                        for (int c = 0; c < C; c++)
                            s += double(in[size_t(((oy + ky) * W + ox + kx) * C + c)]) *
                                 kernel[size_t(((ky * 3 + kx) * C + c) * F + f)];
                EXPECT_NEAR(out[size_t((oy * 2 + ox) * F + f)], s, 1e-5);
            }
}

TEST(TrainLayers, ReluGradients)
{
    Rng rng(3);
    auto in = random_vector(50, rng);
    push_from_zero(in, 0.05f);
    auto r = random_vector(50, rng);
    std::vector<float> out(50), din(50);
    auto objective = [&] {
        relu_forward(out.data(), in.data(), in.size());
        return dot(out, r);
    };
    objective();
    relu_backward(din.data(), r.data(), out.data(), in.size());
    expect_gradient(in, din, objective, 1e-3f, 1e-3, "relu");
}

TEST(TrainLayers, MaxpoolGradients)
{
    Rng rng(4);
    const int B = 2, H = 5, W = 6, C = 3;  // odd height: the last row is not pooled (floor)
    std::vector<float> in(size_t(B) * H * W * C);
    // distinct values 0.1 apart so a small perturbation never changes which one is the max
    std::vector<int> perm(in.size());
    for (size_t i = 0; i < perm.size(); i++) perm[i] = int(i);
    shuffle(perm.data(), perm.size(), rng);
    for (size_t i = 0; i < in.size(); i++) in[i] = 0.1f * float(perm[i]);
    auto r = random_vector(size_t(B) * (H / 2) * (W / 2) * C, rng);
    std::vector<float> out(r.size()), din(in.size());
    std::vector<int> argmax(r.size());
    auto objective = [&] {
        maxpool_forward(out.data(), argmax.data(), in.data(), B, H, W, C);
        return dot(out, r);
    };
    objective();
    maxpool_backward(din.data(), r.data(), argmax.data(), B, H, W, C);
    expect_gradient(in, din, objective, 1e-3f, 1e-3, "maxpool");
    for (int x = 0; x < W * C; x++) EXPECT_EQ(din[size_t((H - 1) * W * C + x)], 0.0f);
}

TEST(TrainLayers, MaxpoolTakesWindowMaximum)
{
    // one image 2x2, one channel: max of the 4 values
    std::vector<float> in{1, 4, 3, 2}, out(1);
    std::vector<int> argmax(1);
    maxpool_forward(out.data(), argmax.data(), in.data(), 1, 2, 2, 1);
    EXPECT_EQ(out[0], 4.0f);
    EXPECT_EQ(argmax[0], 1);
}

TEST(TrainLayers, DropoutGradientsAndRate)
{
    Rng rng(5);
    const size_t n = 20000;
    auto in = random_vector(n, rng);
    std::vector<float> out(n), mask(n), din(n);
    Rng drop(6);
    dropout_forward(out.data(), mask.data(), in.data(), n, 0.2f, drop);
    size_t dropped = 0;
    for (size_t i = 0; i < n; i++) {
        ASSERT_TRUE(mask[i] == 0.0f || mask[i] == 1.25f);
        dropped += mask[i] == 0.0f;
        EXPECT_EQ(out[i], in[i] * mask[i]);
    }
    EXPECT_NEAR(double(dropped) / n, 0.2, 0.01);
    auto r = random_vector(n, rng);
    dropout_backward(din.data(), r.data(), mask.data(), n);
    for (size_t i = 0; i < n; i++) EXPECT_EQ(din[i], r[i] * mask[i]);
}

static void check_dense(int B, int I, int O)
{
    Rng rng(7);
    auto in = random_vector(size_t(B) * I, rng);
    auto kernel = random_vector(size_t(I) * O, rng);
    auto bias = random_vector(size_t(O), rng);
    auto r = random_vector(size_t(B) * O, rng);
    std::vector<float> out(r.size()), din(in.size()), dkernel(kernel.size()), dbias(bias.size()), kernel_t(kernel.size());
    auto objective = [&] {
        dense_forward(out.data(), in.data(), kernel.data(), bias.data(), B, I, O);
        return dot(out, r);
    };
    dense_backward(din.data(), dkernel.data(), dbias.data(), r.data(), in.data(), kernel.data(), kernel_t.data(), B, I, O);
    expect_gradient(in, din, objective, 1e-2f, 1e-3, "dense input");
    expect_gradient(kernel, dkernel, objective, 1e-2f, 1e-3, "dense kernel");
    expect_gradient(bias, dbias, objective, 1e-2f, 1e-3, "dense bias");
}

TEST(TrainLayers, DenseGradients) { check_dense(3, 7, 5); }
TEST(TrainLayers, DenseGradientsBlocked) { check_dense(11, 13, 17); }

TEST(TrainLayers, SoftmaxCrossEntropyGradients)
{
    Rng rng(8);
    const int B = 4, O = 6;
    auto logits = random_vector(size_t(B) * O, rng, 3.0f);
    std::vector<int> labels{0, 5, 2, 2};
    std::vector<float> probs(logits.size()), dlogits(logits.size());
    auto objective = [&] { return softmax_crossentropy_forward(probs.data(), logits.data(), labels.data(), B, O); };
    double loss = objective();
    // reference: -sum log softmax in double
    double expected = 0;
    for (int b = 0; b < B; b++) {
        double sum = 0;
        for (int j = 0; j < O; j++) sum += std::exp(double(logits[size_t(b * O + j)]));
        expected -= std::log(std::exp(double(logits[size_t(b * O + labels[size_t(b)])])) / sum);
        double psum = 0;
        for (int j = 0; j < O; j++) psum += probs[size_t(b * O + j)];
        EXPECT_NEAR(psum, 1.0, 1e-6);
    }
    EXPECT_NEAR(loss, expected, 1e-5);
    softmax_crossentropy_backward(dlogits.data(), probs.data(), labels.data(), B, O, 1.0f);
    expect_gradient(logits, dlogits, objective, 1e-3f, 2e-3, "softmax cross-entropy");
}

TEST(TrainLayers, SoftmaxCrossEntropyStaysFiniteForHugeLogits)
{
    std::vector<float> logits{1000.0f, -1000.0f}, probs(2);
    std::vector<int> labels{1};
    double loss = softmax_crossentropy_forward(probs.data(), logits.data(), labels.data(), 1, 2);
    EXPECT_NEAR(loss, 2000.0, 1e-3);
}

TEST(TrainLayers, SigmoidBceGradients)
{
    Rng rng(9);
    const int B = 5;
    auto logits = random_vector(size_t(B), rng, 4.0f);
    std::vector<int> labels{0, 1, 1, 0, 1};
    std::vector<float> probs(static_cast<size_t>(B)), dlogits(static_cast<size_t>(B));
    auto objective = [&] { return sigmoid_bce_forward(probs.data(), logits.data(), labels.data(), B); };
    double loss = objective();
    double expected = 0;
    for (int b = 0; b < B; b++) {
        double p = 1 / (1 + std::exp(-double(logits[size_t(b)])));
        expected -= labels[size_t(b)] ? std::log(p) : std::log(1 - p);
    }
    EXPECT_NEAR(loss, expected, 1e-5);
    sigmoid_bce_backward(dlogits.data(), probs.data(), labels.data(), B, 1.0f);
    expect_gradient(logits, dlogits, objective, 1e-3f, 2e-3, "sigmoid BCE");
}

// The whole network: gradients of the mean loss with respect to every weight.
static void check_network(int H, int W, int classes, float dropout)
{
    hp::ModelShape shape;
    shape.height = H;
    shape.width = W;
    shape.conv_filters = 4;
    shape.dense_units = 6;
    shape.classes = classes;
    std::vector<std::string> names(size_t(classes), "x");
    hp::Model model = initial_model(shape, names, 11);
    Rng rng(12);
    // non-zero biases so ReLUs are not all at their kink for zero inputs
    for (float& b : model.weights.conv_bias) b = 0.1f * (2 * rng.uniform01() - 1);
    for (float& b : model.weights.dense1_bias) b = 0.1f * (2 * rng.uniform01() - 1);
    const int B = 3;
    auto x = random_vector(size_t(B) * H * W * 2, rng);
    std::vector<int> labels(static_cast<size_t>(B));
    for (int& l : labels) l = int(rng.below(uint32_t(classes)));
    Network net(shape, B);
    hp::ModelWeights grads = model.weights, scratch = model.weights;
    int correct = 0;
    const uint32_t dropout_seed = 13;
    Rng drop(dropout_seed);
    net.forward_backward(model.weights, x.data(), labels.data(), B, dropout, drop, grads, correct);
    auto objective = [&] {
        Rng same(dropout_seed);  // the same dropout mask each time
        return net.forward_backward(model.weights, x.data(), labels.data(), B, dropout, same, scratch, correct) / B;
    };
    expect_gradient(model.weights.conv_kernel, grads.conv_kernel, objective, 1e-3f, 5e-3, "net conv kernel");
    expect_gradient(model.weights.conv_bias, grads.conv_bias, objective, 1e-3f, 5e-3, "net conv bias");
    expect_gradient(model.weights.dense1_kernel, grads.dense1_kernel, objective, 1e-3f, 5e-3, "net dense1 kernel");
    expect_gradient(model.weights.dense1_bias, grads.dense1_bias, objective, 1e-3f, 5e-3, "net dense1 bias");
    expect_gradient(model.weights.dense2_kernel, grads.dense2_kernel, objective, 1e-3f, 5e-3, "net dense2 kernel");
    expect_gradient(model.weights.dense2_bias, grads.dense2_bias, objective, 1e-3f, 5e-3, "net dense2 bias");
}

TEST(TrainLayers, NetworkGradientsSoftmax) { check_network(8, 8, 5, 0.0f); }
TEST(TrainLayers, NetworkGradientsWithDropout) { check_network(8, 8, 3, 0.3f); }
TEST(TrainLayers, NetworkGradientsSigmoid4x4) { check_network(4, 4, 2, 0.0f); }

TEST(TrainLayers, GlorotUniformLimitsAndSeed)
{
    Rng a(42), b(42);
    std::vector<float> w(1000), v(1000);
    glorot_uniform(w.data(), w.size(), 18, 72, a);
    glorot_uniform(v.data(), v.size(), 18, 72, b);
    EXPECT_EQ(w, v);
    float limit = std::sqrt(6.0f / 90.0f), lo = 0, hi = 0;
    for (float x : w) {
        EXPECT_LE(std::fabs(x), limit);
        lo = std::min(lo, x);
        hi = std::max(hi, x);
    }
    EXPECT_LT(lo, -0.9f * limit);
    EXPECT_GT(hi, 0.9f * limit);
}

TEST(TrainLayers, RngBelowIsUniformAndInRange)
{
    Rng rng(3);
    std::vector<int> counts(7);
    for (int i = 0; i < 70000; i++) counts[rng.below(7)]++;
    for (int c : counts) EXPECT_NEAR(c, 10000, 400);
}
