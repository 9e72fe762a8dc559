#include "train/init.hpp"

#include <cmath>

namespace hp::train {

uint32_t Rng::below(uint32_t n)
{
    // Accept only draws below the largest multiple of n that fits in 2^32.
    uint32_t limit = uint32_t((uint64_t(1) << 32) - ((uint64_t(1) << 32) % n));
    for (;;) {
        uint32_t x = next_u32();
        if (limit == 0 || x < limit) return x % n;  // limit == 0: n divides 2^32
    }
}

bool Rng::bernoulli(double p)
{
    if (p <= 0) return false;
    if (p >= 1) return true;
    return double(next_u32()) < p * 4294967296.0;
}

void glorot_uniform(float* weights, size_t n, int fan_in, int fan_out, Rng& rng)
{
    float limit = std::sqrt(6.0f / float(fan_in + fan_out));
    for (size_t i = 0; i < n; i++) weights[i] = (2.0f * rng.uniform01() - 1.0f) * limit;
}

Model initial_model(const ModelShape& shape, const std::vector<std::string>& class_names, uint32_t seed)
{
    Model m = Model::zeros(shape, class_names);
    Rng rng(seed);
    const int C = shape.channels, F = shape.conv_filters, U = shape.dense_units, O = shape.outputs();
    // Keras' conv fan_in/fan_out include the 3x3 receptive field
    glorot_uniform(m.weights.conv_kernel.data(), m.weights.conv_kernel.size(), 9 * C, 9 * F, rng);
    glorot_uniform(m.weights.dense1_kernel.data(), m.weights.dense1_kernel.size(), shape.flat_size(), U, rng);
    glorot_uniform(m.weights.dense2_kernel.data(), m.weights.dense2_kernel.size(), U, O, rng);
    return m;
}

}  // namespace hp::train
