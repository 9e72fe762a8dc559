// Finite-difference checks of every training layer's backward pass: for a random upstream
// gradient r, the backward pass must give d(sum r * forward(x))/dx as measured by central
// differences of the forward pass.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "model/architectures.hpp"
#include "model/cnn2d_st.hpp"
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

// Shapes cover both the 8-filter register blocks and the filters left over, and one or two lane
// vectors of frames (lanes past the batch hold zero padding).
static void check_conv2d(int B, int H, int W, int C, int F)
{
    Rng rng(1);
    const int OH = H - 2, OW = W - 2, Bp = padded_batch(B);
    auto in = random_vector(size_t(Bp) * H * W * C, rng);
    auto kernel = random_vector(size_t(9) * C * F, rng);
    auto bias = random_vector(size_t(F), rng);
    auto r = random_vector(size_t(Bp) * OH * OW * F, rng);
    for (size_t i = 0; i < r.size(); i++)
        if (int(i % size_t(Bp)) >= B) r[i] = 0;  // padding lanes carry no gradient
    std::vector<float> out(r.size()), din(in.size()), dkernel(kernel.size()), dbias(bias.size());
    auto objective = [&] {
        conv2d_forward(out.data(), in.data(), kernel.data(), bias.data(), Bp, H, W, C, F);
        return dot(out, r);
    };
    objective();
    conv2d_backward(din.data(), dkernel.data(), dbias.data(), r.data(), in.data(), kernel.data(), Bp, H, W, C, F);
    expect_gradient(in, din, objective, 1e-2f, 1e-3, "conv input");
    expect_gradient(kernel, dkernel, objective, 1e-2f, 1e-3, "conv kernel");
    expect_gradient(bias, dbias, objective, 1e-2f, 1e-3, "conv bias");
}

TEST(TrainLayers, Conv2dGradients) { check_conv2d(2, 6, 5, 2, 3); }
TEST(TrainLayers, Conv2dGradientsBlocked) { check_conv2d(19, 5, 7, 2, 17); }

TEST(TrainLayers, Conv2dForwardMatchesDirectSum)
{
    Rng rng(2);
    const int B = 3, Bp = padded_batch(B), H = 5, W = 4, C = 2, F = 2;
    ASSERT_EQ(Bp, kLanes);
    auto in = random_vector(size_t(Bp) * H * W * C, rng);
    auto kernel = random_vector(size_t(9) * C * F, rng);
    std::vector<float> bias{0.5f, -0.25f}, out(size_t(Bp) * 3 * 2 * F);
    conv2d_forward(out.data(), in.data(), kernel.data(), bias.data(), Bp, H, W, C, F);
    for (int b = 0; b < B; b++)
        for (int oy = 0; oy < 3; oy++)
            for (int ox = 0; ox < 2; ox++)
                for (int f = 0; f < F; f++) {
                    double s = bias[size_t(f)];
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++)
                            for (int c = 0; c < C; c++)
                                s += double(in[size_t(((oy + ky) * W + ox + kx) * C + c) * Bp + size_t(b)]) *
                                     kernel[size_t(((ky * 3 + kx) * C + c) * F + f)];
                    EXPECT_NEAR(out[size_t((oy * 2 + ox) * F + f) * Bp + size_t(b)], s, 1e-5);
                }
}

TEST(TrainLayers, InterleaveLanesRoundTrip)
{
    std::vector<float> rows{1, 2, 3, 4, 5, 6}, lanes(3 * kLanes, -1.0f), back(6);  // 2 rows x 3 columns
    interleave_lanes(lanes.data(), rows.data(), 2, kLanes, 3);
    EXPECT_EQ(lanes[0], 1);
    EXPECT_EQ(lanes[1], 4);
    EXPECT_EQ(lanes[size_t(kLanes)], 2);
    EXPECT_EQ(lanes[size_t(2 * kLanes) + 1], 6);
    for (int c = 0; c < 3; c++)
        for (int l = 2; l < kLanes; l++) EXPECT_EQ(lanes[size_t(c * kLanes + l)], 0.0f);
    deinterleave_lanes(back.data(), lanes.data(), 2, kLanes, 3);
    EXPECT_EQ(back, rows);
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

TEST(TrainLayers, InterleaveLanesBlocksAndTail)
{
    // 19 frames of 48 values: one 16-frame block transposed by vectors, 3 frames element by element
    Rng rng(30);
    const int R = 19, Rp = padded_batch(R), cols = 48;
    auto rows = random_vector(size_t(R) * cols, rng);
    std::vector<float> lanes(size_t(cols) * Rp, -1.0f), back(rows.size());
    interleave_lanes(lanes.data(), rows.data(), R, Rp, cols);
    for (int c = 0; c < cols; c++)
        for (int r = 0; r < Rp; r++)
            ASSERT_EQ(lanes[size_t(c) * Rp + r], r < R ? rows[size_t(r) * cols + c] : 0.0f) << r << " " << c;
    deinterleave_lanes(back.data(), lanes.data(), R, Rp, cols);
    EXPECT_EQ(back, rows);
}

TEST(TrainLayers, MaxpoolGradients)
{
    Rng rng(4);
    const int Bp = kLanes, H = 5, W = 6, C = 3;  // odd height: the last row is not pooled (floor)
    std::vector<float> in(size_t(Bp) * H * W * C);
    // distinct values 0.1 apart so a small perturbation never changes which one is the max
    std::vector<int> perm(in.size());
    for (size_t i = 0; i < perm.size(); i++) perm[i] = int(i);
    shuffle(perm.data(), perm.size(), rng);
    for (size_t i = 0; i < in.size(); i++) in[i] = 0.1f * float(perm[i]);
    auto r = random_vector(size_t(Bp) * (H / 2) * (W / 2) * C, rng);
    std::vector<float> out(r.size()), din(in.size());
    auto objective = [&] {
        maxpool_forward(out.data(), in.data(), Bp, H, W, C);
        return dot(out, r);
    };
    objective();
    maxpool_backward(din.data(), r.data(), in.data(), out.data(), Bp, H, W, C);
    expect_gradient(in, din, objective, 1e-2f, 1e-3, "maxpool");  // eps < half the 0.1 spacing
    for (int x = 0; x < W * C * Bp; x++) EXPECT_EQ(din[size_t((H - 1) * W * C * Bp + x)], 0.0f);
}

TEST(TrainLayers, MaxpoolTakesWindowMaximumAndTiesGoToTheFirst)
{
    // 2x2 window, one channel; frame 0: values 1 4 3 2; frame 1: 5 7 7 1 (a tie)
    const int Bp = kLanes;
    std::vector<float> in(size_t(4) * Bp), out(static_cast<size_t>(Bp)), dout(static_cast<size_t>(Bp), 1.0f), din(in.size());
    const float frame0[4] = {1, 4, 3, 2}, frame1[4] = {5, 7, 7, 1};
    for (int w = 0; w < 4; w++) {
        in[size_t(w * Bp)] = frame0[w];
        in[size_t(w * Bp + 1)] = frame1[w];
    }
    maxpool_forward(out.data(), in.data(), Bp, 2, 2, 1);
    EXPECT_EQ(out[0], 4.0f);
    EXPECT_EQ(out[1], 7.0f);
    maxpool_backward(din.data(), dout.data(), in.data(), out.data(), Bp, 2, 2, 1);
    for (int w = 0; w < 4; w++) {
        EXPECT_EQ(din[size_t(w * Bp)], w == 1 ? 1.0f : 0.0f) << w;
        EXPECT_EQ(din[size_t(w * Bp + 1)], w == 1 ? 1.0f : 0.0f) << w;
    }
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
    const int Bp = padded_batch(B);
    auto in = random_vector(size_t(Bp) * I, rng);
    auto kernel = random_vector(size_t(I) * O, rng);
    auto bias = random_vector(size_t(O), rng);
    auto r = random_vector(size_t(Bp) * O, rng);
    for (size_t i = 0; i < r.size(); i++)
        if (int(i % size_t(Bp)) >= B) r[i] = 0;  // padding lanes carry no gradient
    std::vector<float> out(r.size()), din(in.size()), dkernel(kernel.size()), dbias(bias.size()),
        dout_rows(size_t(B) * O);
    auto objective = [&] {
        dense_forward(out.data(), in.data(), kernel.data(), bias.data(), Bp, I, O);
        return dot(out, r);
    };
    dense_backward(din.data(), dkernel.data(), dbias.data(), r.data(), in.data(), kernel.data(), dout_rows.data(), B, Bp,
                   I, O);
    expect_gradient(in, din, objective, 1e-2f, 1e-3, "dense input");
    expect_gradient(kernel, dkernel, objective, 1e-2f, 1e-3, "dense kernel");
    expect_gradient(bias, dbias, objective, 1e-2f, 1e-3, "dense bias");
}

TEST(TrainLayers, DenseGradients) { check_dense(3, 7, 5); }
TEST(TrainLayers, DenseGradientsBlocked) { check_dense(21, 13, 17); }

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

// The whole network: gradients of the mean loss with respect to every trainable weight.
static void check_network(hp::Model model, int B = 3)
{
    const int classes = model.classes();
    model.class_names.assign(size_t(classes), "x");
    model = initial_model(std::move(model), 11);
    Rng rng(12);
    // non-zero biases and batch normalization offsets, so ReLUs are not all at their kink (a
    // channel constant over the batch normalizes to exactly its offset)
    for (hp::Layer& l : model.layers)
        if (l.weights.size() >= 2)
            for (float& b : l.weights[1]) b = 0.1f * (2 * rng.uniform01() - 1);
    const hp::TensorShape& in = model.input;
    auto x = random_vector(size_t(B) * in.size(), rng);
    std::vector<int> labels(static_cast<size_t>(B));
    for (int& l : labels) l = int(rng.below(uint32_t(classes)));
    Network net(model, B);
    Tensors grads = zeros_like_trainable(model), scratch = grads;
    int correct = 0;
    const uint32_t dropout_seed = 13;
    Rng drop(dropout_seed);
    net.forward_backward(model, x.data(), labels.data(), B, drop, grads, correct);
    auto objective = [&] {
        Rng same(dropout_seed);  // the same dropout mask each time
        return net.forward_backward(model, x.data(), labels.data(), B, same, scratch, correct) / B;
    };
    const std::vector<std::vector<float>*> tensors = model.trainable_tensors();
    for (size_t t = 0; t < tensors.size(); t++)
        expect_gradient(*tensors[t], grads[t], objective, 1e-3f, 5e-3, ("net tensor " + std::to_string(t)).c_str());
}

static hp::Model st_family(int H, int W, int classes, float dropout)
{
    hp::ModelShape shape;
    shape.height = H;
    shape.width = W;
    shape.conv_filters = 4;
    shape.dense_units = 6;
    shape.classes = classes;
    return hp::cnn2d_st_model(shape, {}, dropout);
}

TEST(TrainLayers, NetworkGradientsSoftmax) { check_network(st_family(8, 8, 5, 0.0f)); }
TEST(TrainLayers, NetworkGradientsWithDropout) { check_network(st_family(8, 8, 3, 0.3f)); }
TEST(TrainLayers, NetworkGradientsSigmoid4x4) { check_network(st_family(4, 4, 2, 0.0f)); }
// more frames than one lane vector holds: a full vector and a padded one
TEST(TrainLayers, NetworkGradientsTwoLaneVectors) { check_network(st_family(8, 8, 8, 0.2f), 18); }
// ST's custom model: same-padded convolutions without bias, batch normalization with the batch's
// statistics, separate ReLU layers, two dense layers (a smaller copy, so finite differences stay quick)
TEST(TrainLayers, NetworkGradientsCustomModel)
{
    std::vector<hp::Layer> hidden = hp::st_custom_hidden_layers(0.2f);
    hidden[0].units = 3;   // conv 16 -> 3
    hidden[5].units = 4;   // conv 32 -> 4
    hidden[11].units = 5;  // dense 64 -> 5
    hidden[12].units = 4;  // dense 32 -> 4
    check_network(hp::with_output_layer({8, 8, 2}, hidden, 4), 5);
}
// Kernels 1x1 and 5x5, valid and same, a batch normalization after a dense layer, a sigmoid output
TEST(TrainLayers, NetworkGradientsMixedLayers)
{
    using hp::LayerKind, hp::layer_of_kind, hp::Activation;
    std::vector<hp::Layer> hidden = {hp::conv2d_layer(3, 5, false, true, Activation::relu),
                                     hp::conv2d_layer(2, 1, true, false, Activation::linear),
                                     layer_of_kind(LayerKind::relu),
                                     layer_of_kind(LayerKind::flatten),
                                     hp::dense_layer(5, Activation::linear),
                                     layer_of_kind(LayerKind::batch_norm),
                                     layer_of_kind(LayerKind::relu)};
    check_network(hp::with_output_layer({6, 7, 2}, hidden, 2), 6);
}

// Batching is exact: the gradients of a 19-frame batch (one full lane vector, one padded) are the
// mean of the 19 single-frame gradients, for every tensor.
TEST(TrainLayers, NetworkBatchGradientIsTheMeanOfFrameGradients)
{
    hp::Model model = hp::cnn2d_st_model(hp::ModelShape{}, std::vector<std::string>(8, "x"), 0.0f);
    model = initial_model(std::move(model), 21);
    Rng rng(22);
    for (float& b : *model.trainable_tensors()[1]) b = 0.1f * (2 * rng.uniform01() - 1);
    for (float& b : *model.trainable_tensors()[3]) b = 0.1f * (2 * rng.uniform01() - 1);
    const int B = 19, frame = 8 * 8 * 2;
    auto x = random_vector(size_t(B) * frame, rng);
    std::vector<int> labels(static_cast<size_t>(B));
    for (int& l : labels) l = int(rng.below(8));
    Network batch(model, B), single(model, 1);
    Tensors grads = zeros_like_trainable(model), one = grads, mean = grads;
    int correct = 0;
    Rng unused(0);
    double loss = batch.forward_backward(model, x.data(), labels.data(), B, unused, grads, correct);
    double loss_sum = 0;
    for (int b = 0; b < B; b++) {
        loss_sum += single.forward_backward(model, x.data() + size_t(b) * frame, labels.data() + b, 1, unused, one,
                                            correct);
        for (size_t k = 0; k < one.size(); k++)
            for (size_t i = 0; i < one[k].size(); i++) mean[k][i] += one[k][i] / float(B);
    }
    EXPECT_NEAR(loss, loss_sum, 1e-5 * loss_sum);
    for (size_t k = 0; k < grads.size(); k++)
        for (size_t i = 0; i < grads[k].size(); i++)
            EXPECT_NEAR(grads[k][i], mean[k][i], 1e-6) << "tensor " << k << " index " << i;
}

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
