// Loading + preprocessing ST's public dataset (162 datalogs, 11,448 frames): from the .zip and
// from the unpacked folder, on 1 thread and on every core (argument: threads, 0 = all cores).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <unistd.h>

#include "core/atomic_file.hpp"
#include "data/dataset.hpp"
#include "data/zip_reader.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path kZip = fs::path(HP_SHARED_DIR) / "data/ST_VL53L8CX_handposture_dataset.zip";

// The zip unpacked once into /tmp with our zip reader, removed at exit.
const fs::path& unpacked_folder()
{
    struct Folder {
        fs::path path = fs::temp_directory_path() / ("hp_bench_dataset_" + std::to_string(::getpid()));
        Folder()
        {
            std::vector<unsigned char> bytes = hp::read_file_bytes(kZip);
            hp::ZipReader zip(bytes, kZip.string());
            for (size_t i = 0; i < zip.size(); ++i)
                if (!zip.entry_name(i).ends_with("/")) hp::write_file_atomically(path / zip.entry_name(i), zip.read(i));
        }
        ~Folder()
        {
            std::error_code ec;
            fs::remove_all(path, ec);
        }
    };
    static Folder folder;
    return folder.path;
}

void load(benchmark::State& state, const fs::path& root)
{
    if (!fs::exists(kZip)) {
        state.SkipWithError("no public dataset beside the repository");
        return;
    }
    hp::DatasetOptions options;
    options.threads = int(state.range(0));
    size_t frames = 0;
    for (auto _ : state) {
        hp::Dataset d = hp::load_dataset(root, options);
        frames = d.size();
        benchmark::DoNotOptimize(d.inputs.data());
    }
    state.counters["frames"] = double(frames);
    state.counters["frames/s"] = benchmark::Counter(double(frames), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_LoadZip(benchmark::State& state) { load(state, kZip); }
void BM_LoadFolder(benchmark::State& state)
{
    if (fs::exists(kZip)) load(state, unpacked_folder() / "ST_VL53L8CX_handposture_dataset");
    else load(state, kZip);
}

}  // namespace

BENCHMARK(BM_LoadZip)->ArgName("threads")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LoadFolder)->ArgName("threads")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
