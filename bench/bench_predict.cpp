// Host inference speed of ST's pretrained model on the public dataset's 11,443 kept frames:
// one frame at a time through hp_model_f32_run (latency), the whole set through predict_scores
// (the batched pass of hp_model_f32_batch.h) on 1 and 2 threads (throughput), and the whole set
// through hp_model_f32_run frame after frame (the same scores, for comparison).
// bench/inference_vs_ort.sh sets it beside ONNX Runtime (wall-clock times, as ONNX Runtime's side
// measures). Env HP_BENCH_MODEL / HP_BENCH_DATA override the shared model and dataset.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>

#include "data/dataset.hpp"
#include "model/model_file.hpp"
#include "model/predict.hpp"
#include "model/runtime_model.hpp"

namespace {

std::filesystem::path from_env(const char* name, const char* fallback)
{
    const char* v = std::getenv(name);
    return v ? std::filesystem::path(v) : std::filesystem::path(HP_SHARED_DIR) / fallback;
}

struct Setup {
    hp::Model model;
    hp::Dataset data;
    Setup()
        : model(hp::read_keras_h5(
              from_env("HP_BENCH_MODEL", "models/st_pretrained/CNN2D_ST_HandPosture_VL53L8CX_8classes.h5"))),
          data(hp::load_dataset(from_env("HP_BENCH_DATA", "data/ST_VL53L8CX_handposture_dataset.zip"), {}))
    {
    }
};

const Setup& setup()
{
    static const Setup s;
    return s;
}

void BM_SingleFrame(benchmark::State& state)
{
    const Setup& s = setup();
    const hp_model_f32 view = hp::runtime_view(*hp::as_cnn2d_st(s.model));
    std::vector<float> scratch(hp_model_f32_scratch_floats(&view)), scores(size_t(view.outputs));
    size_t i = 0;
    for (auto _ : state) {
        hp_model_f32_run(&view, s.data.input(i), scores.data(), scratch.data());
        benchmark::DoNotOptimize(scores.data());
        if (++i == s.data.size()) i = 0;
    }
    state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_SingleFrame)->UseRealTime();

void BM_Batch(benchmark::State& state)
{
    const Setup& s = setup();
    const int threads = int(state.range(0));
    for (auto _ : state) {
        std::vector<float> scores = hp::predict_scores(s.model, s.data.inputs.data(), s.data.size(), threads);
        benchmark::DoNotOptimize(scores.data());
    }
    state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(s.data.size()));
}
BENCHMARK(BM_Batch)->Arg(1)->Arg(2)->ArgName("threads")->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_FrameByFrame(benchmark::State& state)
{
    const Setup& s = setup();
    const hp_model_f32 view = hp::runtime_view(*hp::as_cnn2d_st(s.model));
    std::vector<float> scratch(hp_model_f32_scratch_floats(&view)), scores(s.data.size() * size_t(view.outputs));
    for (auto _ : state) {
        for (size_t i = 0; i < s.data.size(); i++)
            hp_model_f32_run(&view, s.data.input(i), scores.data() + i * size_t(view.outputs), scratch.data());
        benchmark::DoNotOptimize(scores.data());
    }
    state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(s.data.size()));
}
BENCHMARK(BM_FrameByFrame)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
