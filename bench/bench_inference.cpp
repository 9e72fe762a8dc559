// Speed of the float32 runtime on random weights and frames (no dataset needed): each kernel of
// ST's 8x8x2 / 8-class model alone, hp_model_f32_run on one frame (latency), and predict_scores
// over 11,443 frames (the size of the public set) on 1 and 2 threads (frames/s).
// bench/bench_predict.cpp measures the same on the real dataset, beside ONNX Runtime.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "hp_kernels_f32.h"
#include "model/model.hpp"
#include "random_model.hpp"
#include "model/predict.hpp"

namespace {

using hp::bench::kFrames;
using Setup = hp::bench::RandomModel;

const Setup& setup()
{
    static const Setup s;
    return s;
}

void BM_Conv2d3x3(benchmark::State& state)
{
    const Setup& s = setup();
    std::vector<float> out(6 * 6 * 8);
    size_t i = 0;
    for (auto _ : state) {
        hp_conv2d_3x3_f32(s.frame(i++), 8, 8, 2, s.view().conv_kernel, s.view().conv_bias, 8, 0,
                          out.data());
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_Conv2d3x3);

void BM_Maxpool2x2(benchmark::State& state)
{
    std::vector<float> in(6 * 6 * 8, 0.5f), out(3 * 3 * 8);
    for (auto _ : state) {
        hp_maxpool2x2_f32(in.data(), 6, 6, 8, out.data());
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
}
BENCHMARK(BM_Maxpool2x2);

void BM_DenseHidden(benchmark::State& state)
{
    const Setup& s = setup();
    std::vector<float> out(32);
    size_t i = 0;
    for (auto _ : state) {
        hp_dense_f32(s.frame(i++), 72, s.view().dense1_kernel, s.view().dense1_bias, 32, 1,
                     out.data());
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_DenseHidden);

void BM_DenseOutputSoftmax(benchmark::State& state)
{
    const Setup& s = setup();
    std::vector<float> out(8);
    size_t i = 0;
    for (auto _ : state) {
        hp_dense_f32(s.frame(i++), 32, s.view().dense2_kernel, s.view().dense2_bias, 8, 0,
                     out.data());
        hp_softmax_f32(out.data(), 8);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_DenseOutputSoftmax);

// One frame at a time, as a microcontroller or a live loop runs it.
void BM_ModelSingleFrame(benchmark::State& state)
{
    const Setup& s = setup();
    const hp_model_f32 view = s.view();
    std::vector<float> scratch(hp_model_f32_scratch_floats(&view)), scores(8);
    size_t i = 0;
    for (auto _ : state) {
        hp_model_f32_run(&view, s.frame(i++), scores.data(), scratch.data());
        benchmark::DoNotOptimize(scores.data());
    }
    state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_ModelSingleFrame);

void BM_PredictScores(benchmark::State& state)
{
    const Setup& s = setup();
    const int threads = int(state.range(0));
    for (auto _ : state) {
        std::vector<float> scores = hp::predict_scores(s.model, s.frames.data(), kFrames, threads);
        benchmark::DoNotOptimize(scores.data());
    }
    state.counters["frames_per_s"] =
        benchmark::Counter(double(kFrames) * double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PredictScores)->Arg(1)->Arg(2)->ArgName("threads")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
