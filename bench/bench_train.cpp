// Training speed: one epoch (forward, backward and Adam over 9,154 frames of 8x8x2, batch 32,
// dropout 0.2) of the training engine, without validation. `bench/train_vs_pytorch.sh` compares
// whole trainings with PyTorch.
#include <benchmark/benchmark.h>

#include <vector>

#include "train/adam.hpp"
#include "train/init.hpp"
#include "train/network.hpp"

using namespace hp::train;

static void BM_TrainEpoch(benchmark::State& state)
{
    const int frames = 9154, B = 32;
    hp::ModelShape shape;
    hp::Model model = initial_model(shape, std::vector<std::string>(8, "x"), 42);
    Rng rng(1);
    std::vector<float> x(size_t(frames) * 128);
    for (float& v : x) v = 2 * rng.uniform01() - 1;
    std::vector<int> labels(static_cast<size_t>(frames));
    for (int& l : labels) l = int(rng.below(8));
    Network net(shape, B);
    Adam adam;
    adam.reset(model.weights);
    hp::ModelWeights grads = model.weights;
    for (auto _ : state) {
        for (int first = 0; first < frames; first += B) {
            int count = std::min(B, frames - first), correct = 0;
            net.forward_backward(model.weights, x.data() + size_t(first) * 128, labels.data() + first, count, 0.2f, rng,
                                 grads, correct);
            adam.step(model.weights, grads);
        }
        benchmark::DoNotOptimize(model.weights.conv_kernel.data());
    }
    state.SetItemsProcessed(state.iterations() * frames);
}
BENCHMARK(BM_TrainEpoch)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
