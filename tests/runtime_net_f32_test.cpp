// The general float32 convolution and the layer-list network (runtime/hp_net.h) against PyTorch
// float64 outputs of the same random weights and inputs (scripts/make_net_fixture.py): single
// convolutions (kernel 1, 3, 5, valid and same padding), ST's custom model with BatchNorm folded,
// a dense layer straight after a convolution; every layer's output, the scratch size the memory
// plan promises, and malformed networks refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "hp_kernels_f32.h"
#include "net_fixture.hpp"

namespace {

using hp::test::json_floats;
using hp::test::net_fixture;
using hp::test::NetCase;
using nlohmann::json;

constexpr float kGuard = -12345.0f;

void expect_close(const float* actual, const json& expected, const std::string& what)
{
    for (size_t i = 0; i < expected.size(); i++) {
        const double e = expected[i].get<double>();
        EXPECT_NEAR(actual[i], e, 1e-5 * std::max(1.0, std::fabs(e))) << what << " [" << i << "]";
    }
}

void expect_guard(const std::vector<float>& buffer, size_t from, const std::string& what)
{
    for (size_t i = from; i < buffer.size(); i++) EXPECT_EQ(buffer[i], kGuard) << what << ": write past the end at " << i;
}

class NetConv : public ::testing::TestWithParam<int> {
protected:
    const json& tc() const { return net_fixture()["convs"][size_t(GetParam())]; }
};

TEST_P(NetConv, MatchesPyTorch)
{
    const json& t = tc();
    const auto input = json_floats(t["input"]), kernel = json_floats(t["kernel"]), bias = json_floats(t["bias"]);
    const size_t n = t["output"].size();
    std::vector<float> out(n + 8, kGuard);
    hp_conv2d_f32(input.data(), t["height"], t["width"], t["channels"], kernel.data(),
                  bias.empty() ? nullptr : bias.data(), t["filters"], t["kernel_size"], t["padding"], t["relu"],
                  out.data());
    expect_close(out.data(), t["output"], t["name"]);
    expect_guard(out, n, t["name"]);
}

INSTANTIATE_TEST_SUITE_P(Fixture, NetConv, ::testing::Range(0, 12), [](const ::testing::TestParamInfo<int>& info) {
    return net_fixture()["convs"][size_t(info.param)]["name"].get<std::string>();
});

TEST(NetFixture, CoversAllCases)
{
    EXPECT_EQ(net_fixture()["convs"].size(), 12u);
    EXPECT_EQ(net_fixture()["nets"].size(), 4u);
}

// Floats of the shape of layer i's input in the fixture.
size_t input_floats(const json& layer)
{
    return size_t(layer["height"].get<int>()) * layer["width"].get<int>() * layer["channels"].get<int>();
}

class Net : public ::testing::TestWithParam<int> {
protected:
    const json& tc() const { return net_fixture()["nets"][size_t(GetParam())]; }
};

// The whole network and each of its prefixes (the first k layers, whose output is the fixture's
// activation k - 1): every layer's output, through the scratch plan of that prefix.
TEST_P(Net, EveryLayerMatchesPyTorch)
{
    const json& t = tc();
    NetCase c(t);
    const size_t count = c.layers.size();
    for (size_t k = 1; k <= count; k++) {
        const json& expected = t["activations"][k - 1];
        hp_net_f32 prefix = c.net;
        prefix.layer_count = int(k);
        prefix.outputs = int(expected.size());
        const size_t n = hp_net_f32_scratch_floats(&prefix);
        ASSERT_GT(n, 0u) << c.name << " first " << k << " layers";
        // NaN in the scratch: a read of anything the run did not write first shows in the scores.
        std::vector<float> scratch(n + 16, std::numeric_limits<float>::quiet_NaN());
        std::fill(scratch.begin() + long(n), scratch.end(), kGuard);
        std::vector<float> scores(expected.size() + 4, kGuard);
        ASSERT_EQ(hp_net_f32_run(&prefix, c.input.data(), scores.data(), scratch.data()), 0);
        const std::string what = c.name + " layer " + std::to_string(k - 1);
        expect_close(scores.data(), expected, what);
        expect_guard(scores, expected.size(), what + " scores");
        expect_guard(scratch, n, what + " scratch");
    }
}

// The memory plan (hp_net.h): per step, the input unless it is the caller's, the band of two conv
// rows when a pooling follows the convolution, the output unless it is the scores; in-place
// layers need nothing more.
TEST_P(Net, ScratchFollowsTheMemoryPlan)
{
    const json& t = tc();
    NetCase c(t);
    const json& layers = t["layers"];
    const json& acts = t["activations"];
    size_t last = 0;
    for (size_t i = 0; i < layers.size(); i++)
        if (layers[i]["kind"] != "softmax" && layers[i]["kind"] != "sigmoid") last = i;
    size_t expected = 0;
    for (size_t i = 0; i <= last; i++) {
        const bool fused = layers[i]["kind"] == "conv2d" && i + 1 < layers.size() && layers[i + 1]["kind"] == "maxpool2x2";
        const size_t end = fused ? i + 1 : i;  // the step's last layer
        const size_t band = fused ? 2 * acts[i].size() / size_t(layers[i + 1]["height"].get<int>()) : 0;
        expected = std::max(expected, (i == 0 ? 0 : input_floats(layers[i])) + band + (end == last ? 0 : acts[end].size()));
        i = end;
    }
    EXPECT_EQ(hp_net_f32_scratch_floats(&c.net), std::max<size_t>(expected, 1));
}

INSTANTIATE_TEST_SUITE_P(Fixture, Net, ::testing::Range(0, 4), [](const ::testing::TestParamInfo<int>& info) {
    return net_fixture()["nets"][size_t(info.param)]["name"].get<std::string>();
});

TEST(NetShapes, CustomModelScratchIsConv2InBandAndPool)
{
    // ST's custom model: the largest step is the second convolution and its pooling: 4x4x16 in,
    // 2 rows of 4x32, 2x2x32 out (the first: caller's input, 2 rows of 8x16, 4x4x16 out).
    NetCase c(net_fixture()["nets"][0]);
    EXPECT_EQ(hp_net_f32_scratch_floats(&c.net), size_t(4 * 4 * 16 + 2 * 4 * 32 + 2 * 2 * 32));
}

// A network of one in-place layer works on a copy of the caller's input, in scores.
TEST(NetShapes, SoftmaxAloneCopiesTheInput)
{
    const json& t = net_fixture()["nets"][0];
    const auto logits = json_floats(t["activations"][6]);
    const hp_layer_f32 softmax{HP_LAYER_SOFTMAX, 1, 1, int(logits.size()), 0, 0, 0, 0, nullptr, nullptr};
    const hp_net_f32 net{1, 1, int(logits.size()), 1, &softmax, int(logits.size())};
    const size_t n = hp_net_f32_scratch_floats(&net);
    ASSERT_GT(n, 0u);
    std::vector<float> scratch(n), scores(logits.size());
    ASSERT_EQ(hp_net_f32_run(&net, logits.data(), scores.data(), scratch.data()), 0);
    expect_close(scores.data(), t["scores"], "softmax alone");
}

class BadNet : public ::testing::Test {
protected:
    BadNet() : c(net_fixture()["nets"][0]) {}
    // -1 from run and 0 from the scratch size.
    void expect_refused(const hp_net_f32& net, const std::string& what)
    {
        std::vector<float> scratch(4096), scores(16);
        EXPECT_EQ(hp_net_f32_scratch_floats(&net), 0u) << what;
        EXPECT_EQ(hp_net_f32_run(&net, c.input.data(), scores.data(), scratch.data()), -1) << what;
    }
    // The custom model with layer i changed by `change`.
    template <class F>
    void expect_refused_with(size_t i, F change, const std::string& what)
    {
        std::vector<hp_layer_f32> layers = c.layers;
        change(layers[i]);
        hp_net_f32 net = c.net;
        net.layers = layers.data();
        expect_refused(net, what);
    }
    NetCase c;
};

TEST_F(BadNet, TheFixtureNetIsAccepted)
{
    std::vector<float> scratch(hp_net_f32_scratch_floats(&c.net)), scores(8);
    EXPECT_EQ(hp_net_f32_run(&c.net, c.input.data(), scores.data(), scratch.data()), 0);
}

TEST_F(BadNet, ShapeChainMismatch)
{
    expect_refused_with(2, [](hp_layer_f32& l) { l.channels = 8; }, "conv2 reads 8 channels, pool1 gives 16");
    expect_refused_with(1, [](hp_layer_f32& l) { l.height = 6; }, "pool1 reads 6 rows, conv1 gives 8");
    expect_refused_with(4, [](hp_layer_f32& l) { l.channels = 127; }, "dense reads 2x2x127");
    expect_refused_with(5, [](hp_layer_f32& l) { l.channels = 63; }, "dense2 reads 63 inputs, dense1 gives 64");
    expect_refused_with(7, [](hp_layer_f32& l) { l.channels = 7; }, "softmax over 7 of 8 outputs");
    hp_net_f32 net = c.net;
    net.outputs = 7;
    expect_refused(net, "outputs 7, the last layer gives 8");
    net = c.net;
    net.input_channels = 3;
    expect_refused(net, "input 8x8x3, conv1 reads 8x8x2");
}

TEST_F(BadNet, KernelSizeAndPadding)
{
    expect_refused_with(0, [](hp_layer_f32& l) { l.kernel_size = 2; }, "kernel 2");
    expect_refused_with(0, [](hp_layer_f32& l) { l.kernel_size = 7; }, "kernel 7");
    expect_refused_with(0, [](hp_layer_f32& l) { l.padding = 2; }, "padding 2 for kernel 3");
    expect_refused_with(0, [](hp_layer_f32& l) { l.padding = -1; }, "padding -1");
}

TEST_F(BadNet, MissingWeights)
{
    expect_refused_with(0, [](hp_layer_f32& l) { l.weights = nullptr; }, "conv without weights");
    expect_refused_with(4, [](hp_layer_f32& l) { l.weights = nullptr; }, "dense without weights");
    expect_refused_with(6, [](hp_layer_f32& l) { l.bias = nullptr; }, "dense without bias");
}

TEST_F(BadNet, KindsAndSizes)
{
    expect_refused_with(1, [](hp_layer_f32& l) { l.kind = hp_layer_kind(0); }, "kind 0");
    expect_refused_with(1, [](hp_layer_f32& l) { l.kind = hp_layer_kind(99); }, "kind 99");
    expect_refused_with(0, [](hp_layer_f32& l) { l.outputs = 0; }, "conv with 0 filters");
    expect_refused_with(6, [](hp_layer_f32& l) { l.outputs = -8; }, "dense with -8 units");
    hp_net_f32 net = c.net;
    net.layer_count = 0;
    expect_refused(net, "no layers");
    net = c.net;
    net.layers = nullptr;
    expect_refused(net, "NULL layers");
    EXPECT_EQ(hp_net_f32_scratch_floats(nullptr), 0u);
    std::vector<float> scratch(4096), scores(8);
    EXPECT_EQ(hp_net_f32_run(nullptr, c.input.data(), scores.data(), scratch.data()), -1);
    EXPECT_EQ(hp_net_f32_run(&c.net, nullptr, scores.data(), scratch.data()), -1);
    EXPECT_EQ(hp_net_f32_run(&c.net, c.input.data(), nullptr, scratch.data()), -1);
    EXPECT_EQ(hp_net_f32_run(&c.net, c.input.data(), scores.data(), nullptr), -1);
}

TEST(NetShapes, ConvWithoutBiasOrOutputTooSmall)
{
    // A 4x4 input cannot take a valid 5x5 kernel; a conv without bias is fine.
    const std::vector<float> w(5 * 5 * 2 * 4, 0.1f);
    hp_layer_f32 conv{HP_LAYER_CONV2D, 4, 4, 2, 4, 5, 0, 0, w.data(), nullptr};
    hp_net_f32 net{4, 4, 2, 1, &conv, 0};
    EXPECT_EQ(hp_net_f32_scratch_floats(&net), 0u);
    conv.padding = 2;
    net.outputs = 4 * 4 * 4;
    EXPECT_GT(hp_net_f32_scratch_floats(&net), 0u);
}

}  // namespace
