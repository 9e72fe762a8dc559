// The general training layers (Conv2D k x k valid/same with or without bias, BatchNormalization)
// against PyTorch in float64 (tests/fixtures/train_layers_torch.json, written by
// scripts/make_torch_layers_fixture.py), on batches that leave padding lanes; and a
// finite-difference check of the batch-normalization backward pass.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "train/init.hpp"
#include "train/layers.hpp"

using namespace hp::train;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

const nlohmann::json& fixture()
{
    static const nlohmann::json j = [] {
        std::ifstream in(hp::test::fixtures_dir() / "train_layers_torch.json");
        EXPECT_TRUE(in.good()) << "missing fixture train_layers_torch.json";
        return nlohmann::json::parse(in);
    }();
    return j;
}

std::vector<float> floats(const nlohmann::json& j) { return j.get<std::vector<float>>(); }
std::vector<double> doubles(const nlohmann::json& j) { return j.get<std::vector<double>>(); }

// rows [B][cols] -> lanes [cols][Bp] with `pad` in the lanes past the batch
std::vector<float> to_lanes(const std::vector<float>& rows, int B, int Bp, int cols, float pad)
{
    std::vector<float> lanes(size_t(cols) * Bp);
    interleave_lanes(lanes.data(), rows.data(), B, Bp, cols);
    for (int c = 0; c < cols; c++)
        for (int l = B; l < Bp; l++) lanes[size_t(c) * Bp + l] = pad;
    return lanes;
}

std::vector<float> from_lanes(const std::vector<float>& lanes, int B, int Bp, int cols)
{
    std::vector<float> rows(size_t(B) * cols);
    deinterleave_lanes(rows.data(), lanes.data(), B, Bp, cols);
    return rows;
}

// Each value within `rel` of the reference, relative to the largest magnitude of its tensor
// (small components are sums of cancelling terms; float32 cannot do better).
void expect_close(const std::vector<float>& got, const std::vector<double>& want, const std::string& what,
                  double rel = 1e-5)
{
    ASSERT_EQ(got.size(), want.size()) << what;
    double scale = 0;
    for (double w : want) scale = std::max(scale, std::fabs(w));
    for (size_t i = 0; i < got.size(); i++)
        ASSERT_NEAR(got[i], want[i], rel * std::max(scale, 1e-3)) << what << " index " << i;
}

// The padding lanes of lanes [cols][Bp] are all exactly 0.
void expect_zero_padding(const std::vector<float>& lanes, int B, int Bp, const std::string& what)
{
    for (size_t i = 0; i < lanes.size(); i++) {
        if (int(i % size_t(Bp)) >= B) {
            ASSERT_EQ(lanes[i], 0.0f) << what << " padding lane, index " << i;
        }
    }
}

void check_conv_case(const nlohmann::json& c)
{
    const int k = c["k"], B = c["batch"], H = c["height"], W = c["width"], C = c["channels"], F = c["filters"];
    const int OH = c["out_height"], OW = c["out_width"], Bp = padded_batch(B);
    const bool has_bias = c["bias"];
    const Padding padding = c["padding"] == "same" ? Padding::same : Padding::valid;
    SCOPED_TRACE("conv " + std::to_string(k) + "x" + std::to_string(k) + " " + c["padding"].get<std::string>() +
                 (has_bias ? " bias" : " no bias") + " B=" + std::to_string(B) + " " + std::to_string(H) + "x" +
                 std::to_string(W) + "x" + std::to_string(C) + " F=" + std::to_string(F));
    ASSERT_EQ(conv_output_size(H, k, padding), OH);
    ASSERT_EQ(conv_output_size(W, k, padding), OW);
    // Padding lanes of the input hold junk: it must not reach the frames of the batch.
    const auto in = to_lanes(floats(c["input"]), B, Bp, H * W * C, 7.0f);
    const auto kernel = floats(c["kernel"]);
    const auto bias = has_bias ? floats(c["bias_values"]) : std::vector<float>{};
    const float* bias_ptr = has_bias ? bias.data() : nullptr;

    std::vector<float> out(size_t(OH) * OW * F * Bp, kNaN);
    conv2d_forward_general(out.data(), in.data(), kernel.data(), bias_ptr, Bp, H, W, C, F, k, padding);
    expect_close(from_lanes(out, B, Bp, OH * OW * F), doubles(c["output"]), "output");

    // dout is zero past the batch (the layers' contract); outputs start as NaN: overwritten, not accumulated
    const auto dout = to_lanes(floats(c["dout"]), B, Bp, OH * OW * F, 0.0f);
    std::vector<float> din(in.size(), kNaN), dkernel(kernel.size(), kNaN), dbias(size_t(F), kNaN);
    conv2d_backward_general(din.data(), dkernel.data(), has_bias ? dbias.data() : nullptr, dout.data(), in.data(),
                            kernel.data(), Bp, H, W, C, F, k, padding);
    expect_close(dkernel, doubles(c["dkernel"]), "dkernel");
    if (has_bias) {
        expect_close(dbias, doubles(c["dbias"]), "dbias");
    } else {
        for (float v : dbias) ASSERT_TRUE(std::isnan(v)) << "dbias written without a bias";
    }
    expect_close(from_lanes(din, B, Bp, H * W * C), doubles(c["dinput"]), "dinput");
    expect_zero_padding(din, B, Bp, "dinput");

    // the first layer skips din
    std::fill(dkernel.begin(), dkernel.end(), kNaN);
    conv2d_backward_general(nullptr, dkernel.data(), nullptr, dout.data(), in.data(), kernel.data(), Bp, H, W, C, F,
                            k, padding);
    expect_close(dkernel, doubles(c["dkernel"]), "dkernel without din");
}

}  // namespace

TEST(TrainLayersGeneral, Conv2dMatchesTorch)
{
    const auto& cases = fixture()["conv2d"];
    ASSERT_GE(cases.size(), 8u);
    for (const auto& c : cases) check_conv_case(c);
}

TEST(TrainLayersGeneral, Conv2dRejectsBadShapes)
{
    std::vector<float> buf(4096);
    float* p = buf.data();
    EXPECT_THROW(conv2d_forward_general(p, p, p, nullptr, kLanes, 4, 4, 1, 1, 2, Padding::same), std::invalid_argument);
    EXPECT_THROW(conv2d_forward_general(p, p, p, nullptr, kLanes, 4, 4, 1, 1, 5, Padding::valid),
                 std::invalid_argument);
    EXPECT_THROW(conv2d_backward_general(p, p, p, p, p, p, kLanes, 2, 8, 1, 1, 3, Padding::valid),
                 std::invalid_argument);
}

namespace {

struct BnCase {
    int B, Bp, n, C;
    BatchNormConfig config;
    std::vector<float> in, gamma, beta, moving_mean, moving_var, dout;
};

BnCase bn_case(const nlohmann::json& c)
{
    BnCase t;
    t.B = c["batch"];
    t.Bp = padded_batch(t.B);
    t.n = int(c["height"]) * int(c["width"]);
    t.C = c["channels"];
    t.config.momentum = c["momentum"];
    t.config.epsilon = c["epsilon"];
    // padding lanes hold NaN: any use of them in statistics or gradients shows
    t.in = to_lanes(floats(c["input"]), t.B, t.Bp, t.n * t.C, kNaN);
    t.dout = to_lanes(floats(c["dout"]), t.B, t.Bp, t.n * t.C, kNaN);
    t.gamma = floats(c["gamma"]);
    t.beta = floats(c["beta"]);
    t.moving_mean = floats(c["moving_mean"]);
    t.moving_var = floats(c["moving_var"]);
    return t;
}

void check_bn_case(const nlohmann::json& c)
{
    BnCase t = bn_case(c);
    const int cols = t.n * t.C;
    SCOPED_TRACE("batchnorm B=" + std::to_string(t.B) + " n=" + std::to_string(t.n) + " C=" + std::to_string(t.C));
    std::vector<float> out(t.in.size(), kNaN), mean(size_t(t.C)), inv_std(size_t(t.C));
    auto moving_mean = t.moving_mean, moving_var = t.moving_var;
    t.config.unbiased_moving_variance = true;
    batchnorm_forward_train(out.data(), mean.data(), inv_std.data(), moving_mean.data(), moving_var.data(),
                            t.in.data(), t.gamma.data(), t.beta.data(), t.B, t.Bp, t.n, t.C, t.config);
    expect_close(from_lanes(out, t.B, t.Bp, cols), doubles(c["output"]), "output");
    expect_zero_padding(out, t.B, t.Bp, "output");
    expect_close(mean, doubles(c["batch_mean"]), "batch mean");
    std::vector<double> want_inv_std;
    for (double v : doubles(c["batch_var"])) want_inv_std.push_back(1.0 / std::sqrt(v + double(t.config.epsilon)));
    expect_close(inv_std, want_inv_std, "inv_std");
    expect_close(moving_mean, doubles(c["moving_mean_after"]), "moving mean");
    expect_close(moving_var, doubles(c["moving_var_after_unbiased"]), "moving variance (unbiased, tf.keras fused)");

    // in place (out over in) normalizes the same way
    auto inplace_out = t.in;
    batchnorm_forward_train(inplace_out.data(), mean.data(), inv_std.data(), nullptr, nullptr, inplace_out.data(),
                            t.gamma.data(), t.beta.data(), t.B, t.Bp, t.n, t.C, t.config);
    expect_close(from_lanes(inplace_out, t.B, t.Bp, cols), doubles(c["output"]), "output in place");

    moving_var = t.moving_var;
    t.config.unbiased_moving_variance = false;
    batchnorm_forward_train(out.data(), mean.data(), inv_std.data(), nullptr, moving_var.data(), t.in.data(),
                            t.gamma.data(), t.beta.data(), t.B, t.Bp, t.n, t.C, t.config);
    expect_close(moving_var, doubles(c["moving_var_after_biased"]), "moving variance (biased)");

    std::vector<float> din(t.in.size(), kNaN), dgamma(size_t(t.C), kNaN), dbeta(size_t(t.C), kNaN);
    batchnorm_backward(din.data(), dgamma.data(), dbeta.data(), t.dout.data(), t.in.data(), t.gamma.data(),
                       mean.data(), inv_std.data(), t.B, t.Bp, t.n, t.C);
    expect_close(dgamma, doubles(c["dgamma"]), "dgamma");
    expect_close(dbeta, doubles(c["dbeta"]), "dbeta");
    expect_close(from_lanes(din, t.B, t.Bp, cols), doubles(c["dinput"]), "dinput");
    expect_zero_padding(din, t.B, t.Bp, "dinput");

    // in place: din over dout
    auto inplace = t.dout;
    batchnorm_backward(inplace.data(), nullptr, nullptr, inplace.data(), t.in.data(), t.gamma.data(), mean.data(),
                       inv_std.data(), t.B, t.Bp, t.n, t.C);
    expect_close(from_lanes(inplace, t.B, t.Bp, cols), doubles(c["dinput"]), "dinput in place");

    std::fill(out.begin(), out.end(), kNaN);
    batchnorm_forward_inference(out.data(), t.in.data(), t.gamma.data(), t.beta.data(), t.moving_mean.data(),
                                t.moving_var.data(), t.B, t.Bp, t.n, t.C, t.config.epsilon);
    expect_close(from_lanes(out, t.B, t.Bp, cols), doubles(c["inference_output"]), "inference output");
    expect_zero_padding(out, t.B, t.Bp, "inference output");
}

}  // namespace

TEST(TrainLayersGeneral, BatchNormMatchesTorch)
{
    const auto& cases = fixture()["batchnorm"];
    ASSERT_GE(cases.size(), 3u);
    for (const auto& c : cases) check_bn_case(c);
}

// d(sum r * out)/d(in, gamma, beta) of the training forward pass by central differences.
TEST(TrainLayersGeneral, BatchNormBackwardFiniteDifferences)
{
    Rng rng(5);
    const int B = 3, Bp = padded_batch(B), n = 2;
    const size_t C = 2;
    auto random = [&](size_t size, float lo, float hi) {
        std::vector<float> v(size);
        for (float& x : v) x = lo + (hi - lo) * rng.uniform01();
        return v;
    };
    auto in = random(size_t(n) * C * Bp, -2, 2), r = random(in.size(), -1, 1);
    auto gamma = random(C, 0.5f, 1.5f), beta = random(C, -0.5f, 0.5f);
    std::vector<float> out(in.size()), mean(C), inv_std(C);
    auto objective = [&] {
        batchnorm_forward_train(out.data(), mean.data(), inv_std.data(), nullptr, nullptr, in.data(), gamma.data(),
                                beta.data(), B, Bp, n, int(C));
        double s = 0;
        for (size_t i = 0; i < out.size(); i++) s += double(out[i]) * r[i];
        return s;
    };
    objective();
    std::vector<float> din(in.size()), dgamma(C), dbeta(C);
    batchnorm_backward(din.data(), dgamma.data(), dbeta.data(), r.data(), in.data(), gamma.data(), mean.data(),
                       inv_std.data(), B, Bp, n, int(C));
    auto check = [&](std::vector<float>& param, const std::vector<float>& analytic, const char* what) {
        for (size_t i = 0; i < param.size(); i++) {
            const float saved = param[i], eps = 1e-2f;
            param[i] = saved + eps;
            const double up = objective();
            param[i] = saved - eps;
            const double down = objective();
            param[i] = saved;
            const double numeric = (up - down) / (2.0 * eps);
            EXPECT_NEAR(analytic[i], numeric, 2e-3 * (1 + std::fabs(numeric))) << what << " index " << i;
        }
    };
    check(in, din, "din");
    check(gamma, dgamma, "dgamma");
    check(beta, dbeta, "dbeta");
}

// gamma and beta null (Keras scale=False, center=False) act as gamma = 1, beta = 0.
TEST(TrainLayersGeneral, BatchNormWithoutScaleOrCenter)
{
    const BnCase t = bn_case(fixture()["batchnorm"][0]);
    const std::vector<float> ones(size_t(t.C), 1.0f), zeros(size_t(t.C), 0.0f);
    std::vector<float> want(t.in.size()), got(t.in.size()), mean(size_t(t.C)), inv_std(size_t(t.C));
    batchnorm_forward_train(want.data(), mean.data(), inv_std.data(), nullptr, nullptr, t.in.data(), ones.data(),
                            zeros.data(), t.B, t.Bp, t.n, t.C, t.config);
    batchnorm_forward_train(got.data(), mean.data(), inv_std.data(), nullptr, nullptr, t.in.data(), nullptr, nullptr,
                            t.B, t.Bp, t.n, t.C, t.config);
    EXPECT_EQ(got, want);
    std::vector<float> dwant(t.in.size()), dgot(t.in.size());
    batchnorm_backward(dwant.data(), nullptr, nullptr, t.dout.data(), t.in.data(), ones.data(), mean.data(),
                       inv_std.data(), t.B, t.Bp, t.n, t.C);
    batchnorm_backward(dgot.data(), nullptr, nullptr, t.dout.data(), t.in.data(), nullptr, mean.data(), inv_std.data(),
                       t.B, t.Bp, t.n, t.C);
    EXPECT_EQ(dgot, dwant);
}
