// The batched forward pass (hp_model_f32_batch.h) against the per-frame one (hp_model_f32_run):
// every frame's scores must be the same bits on random models of odd shapes (filters and units
// that fill no whole block, odd flattened sizes, a sigmoid output) with frame counts around the
// block size (ST's model on the public dataset: batch_inference_public_test.cpp).
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <random>
#include <vector>

#include "batch_compare.hpp"
#include "hp_kernels_f32.h"
#include "model/runtime_model.hpp"
#include "test_support.hpp"

using namespace hp::test;

namespace {

hp::Model random_model(const hp::ModelShape& shape, unsigned seed)
{
    hp::Model m = hp::cnn2d_st_model(shape, {});
    hp::test::randomize_weights(m, seed, 0.6f);
    return m;
}

struct OddShape {
    int height, width, channels, filters, units, classes;
};

class BatchInferenceShapes : public ::testing::TestWithParam<OddShape> {};

TEST_P(BatchInferenceShapes, BitIdenticalForAnyFrameCount)
{
    const OddShape s = GetParam();
    hp::ModelShape shape;
    shape.height = s.height;
    shape.width = s.width;
    shape.channels = s.channels;
    shape.conv_filters = s.filters;
    shape.dense_units = s.units;
    shape.classes = s.classes;
    const hp::Model model = random_model(shape, unsigned(s.height * 1000 + s.filters * 10 + s.classes));
    const hp_model_f32 view = hp::runtime_view(*hp::as_cnn2d_st(model));
    const size_t frame_floats = size_t(s.height) * size_t(s.width) * size_t(s.channels);
    const size_t most = 3 * HP_LANES + 5;
    std::vector<float> inputs(most * frame_floats);
    std::mt19937 rng(17);
    std::normal_distribution<float> n(0.0f, 1.5f);
    for (float& x : inputs) x = n(rng);
    for (size_t i = 0; i < inputs.size(); i += 7) inputs[i] = 0.0f;  // zeros, as masked zones give

    const std::vector<float> expected = frame_by_frame(view, inputs.data(), most);
    for (size_t frames : {size_t(0), size_t(1), size_t(HP_LANES - 1), size_t(HP_LANES), size_t(HP_LANES + 1),
                          size_t(2 * HP_LANES), most}) {
        std::vector<float> got = batched(view, inputs.data(), frames);
        const std::vector<float> want(expected.begin(), expected.begin() + ptrdiff_t(frames) * view.outputs);
        EXPECT_EQ(first_difference(got, want, view.outputs), frames) << frames << " frames";
    }
    // The scratch buffer may start anywhere (the lanes buffers align themselves).
    std::vector<float> scratch(hp_model_f32_batch_scratch_floats(&view) + 1), got(most * size_t(view.outputs));
    ASSERT_EQ(hp_model_f32_run_batch(&view, inputs.data(), most, got.data(), scratch.data() + 1), 0);
    EXPECT_EQ(first_difference(got, expected, view.outputs), most);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, BatchInferenceShapes,
    ::testing::Values(OddShape{4, 4, 2, 5, 7, 2},     // 1x1 pool, one filter block + 1, units in no block, sigmoid
                      OddShape{5, 5, 1, 3, 9, 3},     // odd flattened size (3), no whole filter block
                      OddShape{9, 7, 2, 13, 19, 11},  // 3x2 pool, 3 filter blocks + 1, 2 unit blocks + 3, 8 + 3 outputs
                      OddShape{8, 8, 2, 8, 32, 8},    // ST's shape (its specialized code path)
                      OddShape{8, 8, 3, 8, 16, 2}),   // ST's input size with another channel count
    [](const ::testing::TestParamInfo<OddShape>& info) {
        const OddShape& s = info.param;
        return std::to_string(s.height) + "x" + std::to_string(s.width) + "x" + std::to_string(s.channels) + "_f" +
               std::to_string(s.filters) + "_u" + std::to_string(s.units) + "_p" + std::to_string(s.classes);
    });

// The lanes softmax against hp_softmax_f32 frame by frame, bit for bit, over logits that reach
// both ends of the exponential: differences from the maximum past -87 (e^x taken as 0), ties,
// and one class.
TEST(BatchInference, LanesSoftmaxIsTheFrameSoftmax)
{
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> spread(-120.0f, 40.0f);
    for (int classes : {1, 2, 3, 8, 11}) {
        std::vector<float> lanes(size_t(classes) * HP_LANES), rows(lanes.size());
        for (float& x : lanes) x = spread(rng);
        lanes[1] = lanes[HP_LANES + 1 < lanes.size() ? HP_LANES + 1 : 1];  // a tie in frame 1
        for (int l = 0; l < HP_LANES; l++)
            for (int i = 0; i < classes; i++) rows[size_t(l * classes + i)] = lanes[size_t(i * HP_LANES + l)];
        hp_softmax_f32_lanes(lanes.data(), classes);
        for (int l = 0; l < HP_LANES; l++) {
            hp_softmax_f32(&rows[size_t(l * classes)], classes);
            for (int i = 0; i < classes; i++)
                EXPECT_EQ(std::bit_cast<uint32_t>(lanes[size_t(i * HP_LANES + l)]),
                          std::bit_cast<uint32_t>(rows[size_t(l * classes + i)]))
                    << classes << " classes, frame " << l << ", class " << i;
        }
    }
}

TEST(BatchInference, RejectsBadArguments)
{
    hp::Model model = random_model(hp::ModelShape{}, 3);
    hp_model_f32 view = hp::runtime_view(*hp::as_cnn2d_st(model));
    std::vector<float> scratch(hp_model_f32_batch_scratch_floats(&view)), scores(8), frame(128);
    EXPECT_EQ(hp_model_f32_run_batch(&view, frame.data(), 1, scores.data(), nullptr), -1);
    EXPECT_EQ(hp_model_f32_run_batch(nullptr, frame.data(), 1, scores.data(), scratch.data()), -1);
    view.height = 3;
    EXPECT_EQ(hp_model_f32_batch_scratch_floats(&view), 0u);
    EXPECT_EQ(hp_model_f32_run_batch(&view, frame.data(), 1, scores.data(), scratch.data()), -1);
}

}  // namespace
