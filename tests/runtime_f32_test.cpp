// The float32 runtime kernels and the whole forward pass against PyTorch (float64) outputs
// computed from the same random weights and inputs (scripts/make_runtime_fixture.py).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hp_kernels_f32.h"
#include "hp_model.h"
#include "test_support.hpp"

namespace {

using nlohmann::json;

const json& fixture()
{
    static const json data = [] {
        std::ifstream in(hp::test::fixtures_dir() / "runtime_f32.json");
        return json::parse(in);
    }();
    return data;
}

std::vector<float> floats(const json& values) { return values.get<std::vector<float>>(); }

void expect_close(const std::vector<float>& actual, const json& expected, const std::string& what)
{
    ASSERT_EQ(actual.size(), expected.size()) << what;
    for (size_t i = 0; i < actual.size(); i++) {
        double e = expected[i].get<double>();
        EXPECT_NEAR(actual[i], e, 1e-5 * std::max(1.0, std::fabs(e))) << what << " [" << i << "]";
    }
}

struct Case {
    const json& j;
    int h, w, c, f, u, o;
    explicit Case(const json& c_)
        : j(c_), h(c_["height"]), w(c_["width"]), c(c_["channels"]), f(c_["filters"]), u(c_["units"]), o(c_["outputs"]) {}
    int ph() const { return (h - 2) / 2; }
    int pw() const { return (w - 2) / 2; }
    int flat() const { return ph() * pw() * f; }
};

class RuntimeF32 : public ::testing::TestWithParam<int> {
protected:
    Case tc() const { return Case(fixture()["cases"][size_t(GetParam())]); }
};

TEST_P(RuntimeF32, Conv2d3x3WithAndWithoutRelu)
{
    Case t = tc();
    auto input = floats(t.j["input"]), kernel = floats(t.j["conv_kernel"]), bias = floats(t.j["conv_bias"]);
    std::vector<float> out(size_t((t.h - 2) * (t.w - 2) * t.f), -99.0f);
    hp_conv2d_3x3_f32(input.data(), t.h, t.w, t.c, kernel.data(), bias.data(), t.f, 0, out.data());
    expect_close(out, t.j["conv_linear"], "conv linear");
    hp_conv2d_3x3_f32(input.data(), t.h, t.w, t.c, kernel.data(), bias.data(), t.f, 1, out.data());
    expect_close(out, t.j["conv_relu"], "conv relu");
}

TEST_P(RuntimeF32, Maxpool2x2FloorsOddSizes)
{
    Case t = tc();
    auto conv = floats(t.j["conv_relu"]);
    std::vector<float> out(size_t(t.flat()), -99.0f);
    hp_maxpool2x2_f32(conv.data(), t.h - 2, t.w - 2, t.f, out.data());
    expect_close(out, t.j["pool"], "pool");
}

TEST_P(RuntimeF32, Conv2d3x3ReluMaxpool2x2Fused)
{
    Case t = tc();
    auto input = floats(t.j["input"]), kernel = floats(t.j["conv_kernel"]), bias = floats(t.j["conv_bias"]);
    std::vector<float> out(size_t(t.flat()) + 4, -99.0f);
    hp_conv2d_3x3_relu_maxpool2x2_f32(input.data(), t.h, t.w, t.c, kernel.data(), bias.data(), t.f, out.data());
    for (size_t i = size_t(t.flat()); i < out.size(); i++) EXPECT_EQ(out[i], -99.0f) << "write past the output";
    out.resize(size_t(t.flat()));
    expect_close(out, t.j["pool"], "conv relu pool");
}

TEST_P(RuntimeF32, DenseWithAndWithoutRelu)
{
    Case t = tc();
    auto pool = floats(t.j["pool"]), k1 = floats(t.j["dense1_kernel"]), b1 = floats(t.j["dense1_bias"]);
    std::vector<float> hidden(size_t(t.u), -99.0f);
    hp_dense_f32(pool.data(), t.flat(), k1.data(), b1.data(), t.u, 0, hidden.data());
    expect_close(hidden, t.j["hidden_linear"], "dense linear");
    hp_dense_f32(pool.data(), t.flat(), k1.data(), b1.data(), t.u, 1, hidden.data());
    expect_close(hidden, t.j["hidden"], "dense relu");
    auto h = floats(t.j["hidden"]), k2 = floats(t.j["dense2_kernel"]), b2 = floats(t.j["dense2_bias"]);
    std::vector<float> logits(size_t(t.o), -99.0f);
    hp_dense_f32(h.data(), t.u, k2.data(), b2.data(), t.o, 0, logits.data());
    expect_close(logits, t.j["logits"], "output dense");
}

TEST_P(RuntimeF32, WholeModelMatchesReference)
{
    Case t = tc();
    auto input = floats(t.j["input"]);
    auto ck = floats(t.j["conv_kernel"]), cb = floats(t.j["conv_bias"]);
    auto k1 = floats(t.j["dense1_kernel"]), b1 = floats(t.j["dense1_bias"]);
    auto k2 = floats(t.j["dense2_kernel"]), b2 = floats(t.j["dense2_bias"]);
    hp_model_f32 m{t.h, t.w, t.c, t.f, t.u, t.o, ck.data(), cb.data(), k1.data(), b1.data(), k2.data(), b2.data()};
    size_t n = hp_model_f32_scratch_floats(&m);
    ASSERT_GT(n, 0u);
    // Guard floats after the scratch buffer catch writes past what the model asked for.
    std::vector<float> scratch(n + 16, 12345.0f), scores(size_t(t.o) + 4, 777.0f);
    ASSERT_EQ(hp_model_f32_run(&m, input.data(), scores.data(), scratch.data()), 0);
    for (size_t i = n; i < scratch.size(); i++) EXPECT_EQ(scratch[i], 12345.0f) << "scratch overrun at " << i;
    for (size_t i = size_t(t.o); i < scores.size(); i++) EXPECT_EQ(scores[i], 777.0f) << "scores overrun at " << i;
    scores.resize(size_t(t.o));
    expect_close(scores, t.j["scores"], t.j["name"].get<std::string>());
}

INSTANTIATE_TEST_SUITE_P(Fixture, RuntimeF32, ::testing::Range(0, 6),
                         [](const ::testing::TestParamInfo<int>& info) {
                             return fixture()["cases"][size_t(info.param)]["name"].get<std::string>();
                         });

TEST(RuntimeF32Fixture, CoversAllCases) { EXPECT_EQ(fixture()["cases"].size(), 6u); }

TEST(RuntimeF32Kernels, SoftmaxIsStableOnLargeLogits)
{
    auto x = floats(fixture()["softmax"]["input"]);
    hp_softmax_f32(x.data(), int(x.size()));
    expect_close(x, fixture()["softmax"]["output"], "softmax");
}

TEST(RuntimeF32Kernels, SigmoidOverWideRange)
{
    auto x = floats(fixture()["sigmoid"]["input"]);
    hp_sigmoid_f32(x.data(), int(x.size()));
    expect_close(x, fixture()["sigmoid"]["output"], "sigmoid");
    for (float v : x) EXPECT_TRUE(std::isfinite(v));
}

TEST(RuntimeF32Model, RejectsBadDimensions)
{
    float w[4096] = {};
    float input[128] = {}, scores[8], scratch[1024];
    hp_model_f32 m{8, 8, 2, 8, 32, 8, w, w, w, w, w, w};
    EXPECT_EQ(hp_model_f32_run(&m, input, scores, scratch), 0);
    hp_model_f32 small = m;
    small.height = 3;
    EXPECT_EQ(hp_model_f32_scratch_floats(&small), 0u);
    EXPECT_EQ(hp_model_f32_run(&small, input, scores, scratch), -1);
    hp_model_f32 no_filters = m;
    no_filters.conv_filters = 0;
    EXPECT_EQ(hp_model_f32_run(&no_filters, input, scores, scratch), -1);
    hp_model_f32 no_weights = m;
    no_weights.dense1_kernel = nullptr;
    EXPECT_EQ(hp_model_f32_run(&no_weights, input, scores, scratch), -1);
    EXPECT_EQ(hp_model_f32_run(&m, nullptr, scores, scratch), -1);
    EXPECT_EQ(hp_model_f32_run(nullptr, input, scores, scratch), -1);
}

TEST(RuntimeF32Model, ScratchSizeOfStModel)
{
    float w[1] = {};
    hp_model_f32 m{8, 8, 2, 8, 32, 8, w, w, w, w, w, w};
    // pool 3x3x8 + 32 hidden units (conv, ReLU and pooling are fused: no conv buffer)
    EXPECT_EQ(hp_model_f32_scratch_floats(&m), size_t(72 + 32));
}

}  // namespace
