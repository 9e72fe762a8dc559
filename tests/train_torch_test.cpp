// The training engine against PyTorch (tests/fixtures/train_torch.json, written by
// scripts/make_torch_fixture.py in float64): same weights and batch -> same loss and gradients,
// and the same weights after 3 Adam steps with Keras' epsilon semantics.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "train/adam.hpp"
#include "train/network.hpp"

using namespace hp;
using namespace hp::train;

namespace {

nlohmann::json load_fixture()
{
    std::ifstream in(test::fixtures_dir() / "train_torch.json");
    EXPECT_TRUE(in.good()) << "missing fixture train_torch.json";
    return nlohmann::json::parse(in);
}

ModelWeights weights_from(const nlohmann::json& j)
{
    ModelWeights w;
    w.conv_kernel = j["conv_kernel"].get<std::vector<float>>();
    w.conv_bias = j["conv_bias"].get<std::vector<float>>();
    w.dense1_kernel = j["dense1_kernel"].get<std::vector<float>>();
    w.dense1_bias = j["dense1_bias"].get<std::vector<float>>();
    w.dense2_kernel = j["dense2_kernel"].get<std::vector<float>>();
    w.dense2_bias = j["dense2_bias"].get<std::vector<float>>();
    return w;
}

// Each value within 1e-5 of the reference, relative to the largest magnitude of its tensor
// (tiny components of a gradient are sums of cancelling terms; float32 cannot do better).
void expect_close(const std::vector<float>& got, const std::vector<double>& want, const char* what)
{
    ASSERT_EQ(got.size(), want.size()) << what;
    double scale = 0;
    for (double w : want) scale = std::max(scale, std::fabs(w));
    for (size_t i = 0; i < got.size(); i++)
        EXPECT_NEAR(got[i], want[i], 1e-5 * std::max(scale, 1e-3)) << what << " index " << i;
}

void expect_weights(const ModelWeights& got, const nlohmann::json& want, const std::string& when)
{
    expect_close(got.conv_kernel, want["conv_kernel"].get<std::vector<double>>(), (when + " conv kernel").c_str());
    expect_close(got.conv_bias, want["conv_bias"].get<std::vector<double>>(), (when + " conv bias").c_str());
    expect_close(got.dense1_kernel, want["dense1_kernel"].get<std::vector<double>>(), (when + " dense1 kernel").c_str());
    expect_close(got.dense1_bias, want["dense1_bias"].get<std::vector<double>>(), (when + " dense1 bias").c_str());
    expect_close(got.dense2_kernel, want["dense2_kernel"].get<std::vector<double>>(), (when + " dense2 kernel").c_str());
    expect_close(got.dense2_bias, want["dense2_bias"].get<std::vector<double>>(), (when + " dense2 bias").c_str());
}

void check_case(const nlohmann::json& c)
{
    ModelShape shape;
    shape.height = c["height"];
    shape.width = c["width"];
    shape.classes = c["classes"];
    const int B = c["batch"];
    const size_t frame = size_t(shape.height) * shape.width * 2;
    std::vector<float> inputs = c["inputs"].get<std::vector<float>>();
    std::vector<int> labels = c["labels"].get<std::vector<int>>();
    ModelWeights w = weights_from(c["initial"]), grads = w;
    Network net(shape, B);
    Rng unused(0);
    Adam adam;
    adam.learning_rate = c["learning_rate"];
    adam.reset(w);
    const auto& losses = c["losses"];
    for (size_t step = 0; step < losses.size(); step++) {
        int correct = 0;
        double loss = net.forward_backward(w, inputs.data() + step * size_t(B) * frame, labels.data() + step * size_t(B),
                                           B, 0.0f, unused, grads, correct) / B;
        EXPECT_NEAR(loss, losses[step].get<double>(), 1e-5 * losses[step].get<double>()) << "loss at step " << step;
        if (step == 0) {
            const auto& g = c["gradients"];
            expect_close(grads.conv_kernel, g["conv_kernel"].get<std::vector<double>>(), "grad conv kernel");
            expect_close(grads.conv_bias, g["conv_bias"].get<std::vector<double>>(), "grad conv bias");
            expect_close(grads.dense1_kernel, g["dense1_kernel"].get<std::vector<double>>(), "grad dense1 kernel");
            expect_close(grads.dense1_bias, g["dense1_bias"].get<std::vector<double>>(), "grad dense1 bias");
            expect_close(grads.dense2_kernel, g["dense2_kernel"].get<std::vector<double>>(), "grad dense2 kernel");
            expect_close(grads.dense2_bias, g["dense2_bias"].get<std::vector<double>>(), "grad dense2 bias");
        }
        adam.step(w, grads);
        expect_weights(w, c["weights_after_steps"][step], "after Adam step " + std::to_string(step + 1));
    }
}

}  // namespace

TEST(TrainTorch, SoftmaxEightClassesLossGradientsAndAdam) { check_case(load_fixture()["cases"][0]); }

TEST(TrainTorch, SigmoidTwoClasses4x4LossGradientsAndAdam) { check_case(load_fixture()["cases"][1]); }
