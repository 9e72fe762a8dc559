// Speed of the int8 runtime on the host, beside float32, on random weights and frames (no
// dataset needed): quantizing a model (calibration on 1,000 frames), hp_model_s8_run on one
// frame (latency) against hp_model_f32_run, and predict_scores over 11,443 frames (the size of
// the public set) on 1 and 2 threads (frames/s).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "hp_model_s8.h"
#include "model/model.hpp"
#include "random_model.hpp"
#include "model/predict.hpp"
#include "quant/quant_model.hpp"

namespace {

using hp::bench::kFrames;

struct Setup : hp::bench::RandomModel {
    hp::QuantModel quant = hp::quantize_model(model, frames.data(), 1000, hp::CalibrationMethod::minmax);
};

const Setup& setup()
{
    static const Setup s;
    return s;
}

void BM_Quantize(benchmark::State& state)
{
    const Setup& s = setup();
    const auto method = state.range(0) ? hp::CalibrationMethod::percentile : hp::CalibrationMethod::minmax;
    for (auto _ : state) benchmark::DoNotOptimize(hp::quantize_model(s.model, s.frames.data(), 1000, method));
}
BENCHMARK(BM_Quantize)->Arg(0)->Arg(1)->ArgNames({"percentile"})->Unit(benchmark::kMillisecond);

void BM_ModelS8Run(benchmark::State& state)
{
    const Setup& s = setup();
    const hp_model_s8 view = s.quant.runtime_view();
    std::vector<uint32_t> scratch((hp_model_s8_scratch_bytes(&view) + 3) / 4);
    float scores[8];
    size_t i = 0;
    for (auto _ : state) {
        hp_model_s8_run(&view, s.frame(i++), scores, scratch.data());
        benchmark::DoNotOptimize(scores);
    }
}
BENCHMARK(BM_ModelS8Run);

void BM_ModelF32Run(benchmark::State& state)
{
    const Setup& s = setup();
    const hp_model_f32 view = s.view();
    std::vector<float> scratch(hp_model_f32_scratch_floats(&view));
    float scores[8];
    size_t i = 0;
    for (auto _ : state) {
        hp_model_f32_run(&view, s.frame(i++), scores, scratch.data());
        benchmark::DoNotOptimize(scores);
    }
}
BENCHMARK(BM_ModelF32Run);

void BM_PredictS8(benchmark::State& state)
{
    const Setup& s = setup();
    for (auto _ : state) benchmark::DoNotOptimize(hp::predict_scores(s.quant, s.frames.data(), kFrames, int(state.range(0))));
    state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(kFrames));
}
BENCHMARK(BM_PredictS8)->Arg(1)->Arg(2)->ArgNames({"threads"})->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_PredictF32(benchmark::State& state)
{
    const Setup& s = setup();
    for (auto _ : state) benchmark::DoNotOptimize(hp::predict_scores(s.model, s.frames.data(), kFrames, int(state.range(0))));
    state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(kFrames));
}
BENCHMARK(BM_PredictF32)->Arg(1)->Arg(2)->ArgNames({"threads"})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
