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

Model initial_model(Model model, uint32_t seed)
{
    model.allocate_weights();
    Rng rng(seed);
    const std::vector<TensorShape> shapes = model.output_shapes();
    TensorShape in = model.input;
    for (size_t i = 0; i < model.layers.size(); i++) {
        Layer& l = model.layers[i];
        // Keras' conv fan_in/fan_out include the k x k receptive field
        const int field = l.kind == LayerKind::conv2d ? l.kernel_size * l.kernel_size : 1;
        const int fan_in = l.kind == LayerKind::conv2d ? field * in.channels : int(in.size());
        if (l.kind == LayerKind::conv2d || l.kind == LayerKind::dense)
            glorot_uniform(l.weights[0].data(), l.weights[0].size(), fan_in, field * l.units, rng);
        in = shapes[i];
    }
    return model;
}

}  // namespace hp::train
