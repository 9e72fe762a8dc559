// The training engine against PyTorch (tests/fixtures/train_torch.json, written by
// scripts/make_torch_fixture.py in float64): same weights and batch -> same loss and gradients,
// and the same weights after 3 Adam steps with Keras' epsilon semantics.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "train/adam.hpp"
#include "model/cnn2d_st.hpp"
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

// The fixture's tensors in the order of Model::trainable_tensors() for CNN2D_ST_HandPosture.
const char* const kTensors[] = {"conv_kernel", "conv_bias", "dense1_kernel", "dense1_bias", "dense2_kernel", "dense2_bias"};

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

void expect_tensors(const std::vector<const std::vector<float>*>& got, const nlohmann::json& want, const std::string& when)
{
    for (size_t t = 0; t < got.size(); t++)
        expect_close(*got[t], want[kTensors[t]].get<std::vector<double>>(), (when + " " + kTensors[t]).c_str());
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
    Model model = cnn2d_st_model(shape, {}, 0.0f);
    const std::vector<std::vector<float>*> w = model.trainable_tensors();
    for (size_t t = 0; t < w.size(); t++) *w[t] = c["initial"][kTensors[t]].get<std::vector<float>>();
    Tensors grads = zeros_like_trainable(model);
    Network net(model, B);
    Rng unused(0);
    Adam adam;
    adam.learning_rate = c["learning_rate"];
    adam.reset(model);
    const auto& losses = c["losses"];
    for (size_t step = 0; step < losses.size(); step++) {
        int correct = 0;
        double loss = net.forward_backward(model, inputs.data() + step * size_t(B) * frame, labels.data() + step * size_t(B),
                                           B, unused, grads, correct) / B;
        EXPECT_NEAR(loss, losses[step].get<double>(), 1e-5 * losses[step].get<double>()) << "loss at step " << step;
        if (step == 0) {
            std::vector<const std::vector<float>*> g;
            for (const std::vector<float>& t : grads) g.push_back(&t);
            expect_tensors(g, c["gradients"], "grad");
        }
        adam.step(model, grads);
        expect_tensors(std::as_const(model).trainable_tensors(), c["weights_after_steps"][step],
                       "after Adam step " + std::to_string(step + 1));
    }
}

}  // namespace

TEST(TrainTorch, SoftmaxEightClassesLossGradientsAndAdam) { check_case(load_fixture()["cases"][0]); }

TEST(TrainTorch, SigmoidTwoClasses4x4LossGradientsAndAdam) { check_case(load_fixture()["cases"][1]); }
