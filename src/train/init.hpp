// Random numbers for training: std::mt19937 for the bits, distributions written here so the same
// seed gives the same numbers with every standard library (std::uniform_*_distribution is not
// specified bit for bit).
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "model/model.hpp"

namespace hp::train {

class Rng {
public:
    explicit Rng(uint32_t seed) : bits_(seed) {}
    uint32_t next_u32() { return uint32_t(bits_()); }
    // Uniform in [0, 1), 24 random bits (every value exactly representable as a float).
    float uniform01() { return float(next_u32() >> 8) * (1.0f / 16777216.0f); }
    // Uniform integer in [0, n), n > 0, by rejection (no modulo bias).
    uint32_t below(uint32_t n);
    // 1 with probability p, computed in integers: u32 < p * 2^32.
    bool bernoulli(double p);

private:
    std::mt19937 bits_;
};

// Fisher-Yates shuffle of indices with Rng::below.
template <typename T>
void shuffle(T* items, size_t n, Rng& rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = rng.below(uint32_t(i));
        T t = items[i - 1];
        items[i - 1] = items[j];
        items[j] = t;
    }
}

// Keras' glorot_uniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)).
void glorot_uniform(float* weights, size_t n, int fan_in, int fan_out, Rng& rng);

// `model`'s layers with initial weights, as Keras draws them: Glorot-uniform kernels (in layer
// order, from one Rng seeded with `seed`), zero biases, batch normalization's gamma and moving
// variance 1, beta and moving mean 0.
Model initial_model(Model model, uint32_t seed);

}  // namespace hp::train
