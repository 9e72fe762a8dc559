// The batched forward pass (hp_model_f32_batch.h) against the per-frame one (hp_model_f32_run)
// on ST's pretrained model over the whole public dataset: every frame's scores the same bits,
// whatever the block alignment and the number of threads (predict_scores).
#include <gtest/gtest.h>

#include "batch_compare.hpp"
#include "data/dataset.hpp"
#include "model/model_file.hpp"
#include "model/predict.hpp"
#include "model/runtime_model.hpp"
#include "test_support.hpp"

using namespace hp::test;

TEST(BatchInference, BitIdenticalOnStPublicDataset)
{
    HP_REQUIRE_SHARED();
    const hp::Model model = hp::read_keras_h5(hp::test::st_pretrained_h5());
    const hp::Dataset data = hp::load_dataset(hp::test::public_dataset_zip(), {});
    ASSERT_GT(data.size(), 11000u);
    const hp_model_f32 view = hp::runtime_view(*hp::as_cnn2d_st(model));
    const int outputs = view.outputs;
    const std::vector<float> expected = frame_by_frame(view, data.inputs.data(), data.size());

    const std::vector<float> got = batched(view, data.inputs.data(), data.size());
    EXPECT_EQ(first_difference(got, expected, outputs), data.size());
    // Blocks that start elsewhere (another alignment of the input, another tail).
    const size_t skip = 5;
    const std::vector<float> shifted = batched(view, data.input(skip), data.size() - skip);
    const std::vector<float> expected_shifted(expected.begin() + skip * size_t(outputs), expected.end());
    EXPECT_EQ(first_difference(shifted, expected_shifted, outputs), data.size() - skip);
    for (int threads : {1, 2}) {
        const std::vector<float> scores = hp::predict_scores(model, data.inputs.data(), data.size(), threads);
        EXPECT_EQ(first_difference(scores, expected, outputs), data.size()) << threads << " threads";
    }
}
