// Batched prediction: any thread count gives exactly the scores of running the runtime frame by
// frame; predicted_class follows argmax / the 0.5 sigmoid threshold.
#include <gtest/gtest.h>

#include <random>

#include "core/error.hpp"
#include "model/predict.hpp"
#include "model/runtime_model.hpp"
#include "test_support.hpp"

namespace {

hp::Model random_model(const hp::ModelShape& shape)
{
    hp::Model m = hp::cnn2d_st_model(shape, {});
    hp::test::randomize_weights(m, 5, 0.5f);
    return m;
}

TEST(Predict, AnyThreadCountMatchesFrameByFrame)
{
    hp::ModelShape shape;
    shape.height = 7;
    shape.width = 5;
    hp::Model m = random_model(shape);
    const size_t frames = 3001, frame_floats = 7 * 5 * 2;
    std::vector<float> inputs(frames * frame_floats);
    std::mt19937 rng(9);
    std::normal_distribution<float> n(0.0f, 1.0f);
    for (float& x : inputs) x = n(rng);

    const hp_model_f32 view = hp::runtime_view(*hp::as_cnn2d_st(m));
    std::vector<float> scratch(hp_model_f32_scratch_floats(&view)), expected(frames * 8);
    for (size_t i = 0; i < frames; i++)
        ASSERT_EQ(hp_model_f32_run(&view, &inputs[i * frame_floats], &expected[i * 8], scratch.data()), 0);
    for (int threads : {0, 1, 2, 3, 7}) {
        std::vector<float> scores = hp::predict_scores(m, inputs.data(), frames, threads);
        EXPECT_EQ(scores, expected) << threads << " threads";
    }
    EXPECT_TRUE(hp::predict_scores(m, inputs.data(), 0, 2).empty());
}

TEST(Predict, RejectsInvalidModel)
{
    hp::Model m = random_model(hp::ModelShape{});
    hp::test::st_weights(m).dense1_kernel.resize(3);
    float frame[128] = {};
    EXPECT_THROW(hp::predict_scores(m, frame, 1, 1), hp::Error);
}

TEST(Predict, PredictedClass)
{
    const float softmax[4] = {0.1f, 0.6f, 0.2f, 0.1f};
    EXPECT_EQ(hp::predicted_class(softmax, 4), 1);
    const float tie[3] = {0.4f, 0.4f, 0.2f};
    EXPECT_EQ(hp::predicted_class(tie, 3), 0);
    const float high = 0.7f, low = 0.3f, half = 0.5f;
    EXPECT_EQ(hp::predicted_class(&high, 1), 1);
    EXPECT_EQ(hp::predicted_class(&low, 1), 0);
    EXPECT_EQ(hp::predicted_class(&half, 1), 0);
}

}  // namespace
