// Helpers of the batched-inference tests: the per-frame and batched passes of a model, and where
// their scores first differ in any bit.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "hp_model.h"
#include "hp_model_f32_batch.h"

namespace hp::test {

inline std::vector<uint32_t> bits(const float* values, size_t n)
{
    std::vector<uint32_t> out(n);
    for (size_t i = 0; i < n; i++) out[i] = std::bit_cast<uint32_t>(values[i]);
    return out;
}

// Scores of every frame through hp_model_f32_run, one at a time.
inline std::vector<float> frame_by_frame(const hp_model_f32& view, const float* inputs, size_t frames)
{
    const size_t frame_floats = size_t(view.height) * size_t(view.width) * size_t(view.channels);
    std::vector<float> scratch(hp_model_f32_scratch_floats(&view)), scores(frames * size_t(view.outputs));
    for (size_t i = 0; i < frames; i++) {
        EXPECT_EQ(hp_model_f32_run(&view, inputs + i * frame_floats, &scores[i * size_t(view.outputs)], scratch.data()),
                  0);
    }
    return scores;
}

inline std::vector<float> batched(const hp_model_f32& view, const float* inputs, size_t frames)
{
    std::vector<float> scratch(hp_model_f32_batch_scratch_floats(&view)), scores(frames * size_t(view.outputs));
    EXPECT_EQ(hp_model_f32_run_batch(&view, inputs, frames, scores.data(), scratch.data()), 0);
    return scores;
}

// Index of the first frame whose scores differ in any bit, or frames.
inline size_t first_difference(const std::vector<float>& a, const std::vector<float>& b, int outputs)
{
    const std::vector<uint32_t> x = bits(a.data(), a.size()), y = bits(b.data(), b.size());
    for (size_t i = 0; i < x.size(); i++)
        if (x[i] != y[i]) return i / size_t(outputs);
    return x.size() / size_t(outputs);
}

}  // namespace hp::test
