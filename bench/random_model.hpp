// ST's 8x8x2 / 8-class model with random weights and random normalized frames, for benchmarks
// that need no dataset. Seeded, so every run times the same numbers.
#pragma once

#include <random>
#include <vector>

#include "model/cnn2d_st.hpp"
#include "model/runtime_model.hpp"

namespace hp::bench {

constexpr size_t kFrames = 11443;  // the size of the public set

struct RandomModel {
    Model model = cnn2d_st_model(ModelShape{}, {});
    std::vector<float> frames;  // [kFrames][8][8][2]

    RandomModel()
    {
        std::mt19937 rng(1);
        std::uniform_real_distribution<float> weight(-0.4f, 0.4f);
        std::normal_distribution<float> value(0.0f, 1.0f);
        for (std::vector<float>* w : model.trainable_tensors())
            for (float& x : *w) x = weight(rng);
        frames.resize(kFrames * 128);
        for (float& x : frames) x = value(rng);
    }
    // The runtime's view of the model (its fast path: hp_model.h).
    hp_model_f32 view() const { return runtime_view(*as_cnn2d_st(model)); }
    const float* frame(size_t i) const { return frames.data() + (i % kFrames) * 128; }
};

}  // namespace hp::bench
