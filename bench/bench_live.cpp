// Host processing time of one live frame: parsing its RAN line, and the session's path
// (preprocess + network + postprocess) that `handposture live` reports as processing_us.
// Frames: the first 200 of ST's public dataset, ST's pretrained model.
#include <benchmark/benchmark.h>

#include <cstdio>

#include "data/dataset.hpp"
#include "live/serial_line.hpp"
#include "live/session.hpp"
#include "model/model_file.hpp"

namespace {

const std::filesystem::path kShared = HP_SHARED_DIR;

std::vector<hp::SensorFrame> public_frames(size_t count)
{
    hp::DatasetFiles files(kShared / "data/ST_VL53L8CX_handposture_dataset.zip", {});
    std::vector<hp::SensorFrame> frames;
    for (size_t i = 0; i < files.files().size() && frames.size() < count; ++i) {
        hp::Datalog log = files.read(i);
        for (int n = 0; n < log.frames && frames.size() < count; ++n) {
            hp::SensorFrame f;
            f.frame_counter = long(frames.size());
            f.zones = log.zones;
            size_t at = size_t(n) * size_t(log.zones), end = at + size_t(log.zones);
            f.distance_mm.assign(log.distance_mm.begin() + long(at), log.distance_mm.begin() + long(end));
            f.signal_per_spad.assign(log.signal_per_spad.begin() + long(at), log.signal_per_spad.begin() + long(end));
            f.target_status.assign(log.target_status.begin() + long(at), log.target_status.begin() + long(end));
            f.valid.assign(log.valid.begin() + long(at), log.valid.begin() + long(end));
            f.nb_targets.assign(size_t(log.zones), 1.0f);
            frames.push_back(f);
        }
    }
    return frames;
}

void BM_SessionProcess(benchmark::State& state)
{
    hp::Model model = hp::read_keras_h5(kShared / "models/st_pretrained/CNN2D_ST_HandPosture_VL53L8CX_8classes.h5");
    auto frames = public_frames(200);
    hp::LiveSession session(model);
    size_t i = 0;
    double reported = 0;
    for (auto _ : state) {
        const hp::LiveResult& r = session.process(frames[i]);
        reported += r.processing_us;
        benchmark::DoNotOptimize(r.scores.data());
        i = (i + 1) % frames.size();
    }
    state.counters["processing_us"] = reported / double(state.iterations());  // what `live` reports
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SessionProcess);

void BM_ParseRanLine(benchmark::State& state)
{
    auto frames = public_frames(200);
    std::vector<std::string> lines;
    for (const auto& f : frames) lines.push_back(hp::format_ran_line(f));
    hp::SensorFrame frame;
    size_t i = 0, bytes = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(hp::parse_ran_line(lines[i], frame));
        bytes += lines[i].size();
        i = (i + 1) % lines.size();
    }
    state.SetBytesProcessed(long(bytes));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseRanLine);

}  // namespace

BENCHMARK_MAIN();
