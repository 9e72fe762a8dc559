// ST's 8x8x2 / 8-class model with random weights and random normalized frames, for benchmarks
// that need no dataset. Seeded, so every run times the same numbers.
#pragma once

#include <random>
#include <vector>

#include "model/model.hpp"

namespace hp::bench {

constexpr size_t kFrames = 11443;  // the size of the public set

struct RandomModel {
    Model model = Model::zeros(ModelShape{}, {});
    std::vector<float> frames;  // [kFrames][8][8][2]

    RandomModel()
    {
        std::mt19937 rng(1);
        std::uniform_real_distribution<float> weight(-0.4f, 0.4f);
        std::normal_distribution<float> value(0.0f, 1.0f);
        for (auto* w : {&model.weights.conv_kernel, &model.weights.conv_bias, &model.weights.dense1_kernel,
                        &model.weights.dense1_bias, &model.weights.dense2_kernel, &model.weights.dense2_bias})
            for (float& x : *w) x = weight(rng);
        frames.resize(kFrames * 128);
        for (float& x : frames) x = value(rng);
    }
    const float* frame(size_t i) const { return frames.data() + (i % kFrames) * 128; }
};

}  // namespace hp::bench
