// Loading a dataset: every datalog read and preprocessed (in parallel over files, merged in file
// order, so the result does not depend on the number of threads).
#include "data/dataset.hpp"

#include <atomic>
#include <cmath>
#include <exception>
#include <map>
#include <thread>

#include "core/error.hpp"
#include "core/postures.hpp"

namespace hp {

namespace {

struct FileResult {
    int zones = 0;
    std::vector<float> inputs, raw;
    std::vector<int> labels, frames;
    DropCounts dropped;
    int frames_read = 0;
    std::exception_ptr error;
};

// Frame at `at`'s planes as Dataset::raw holds them.
void append_raw(const Datalog& log, size_t at, const float* nb, std::vector<float>& raw)
{
    const size_t zones = size_t(log.zones);
    for (const std::vector<float>* plane : {&log.distance_mm, &log.signal_per_spad, &log.target_status})
        raw.insert(raw.end(), plane->begin() + long(at), plane->begin() + long(at + zones));
    if (nb)
        raw.insert(raw.end(), nb, nb + zones);
    else
        raw.insert(raw.end(), zones, NAN);
}

void preprocess_file(const Datalog& log, const std::map<int, int>& label_of_code, const hp_preprocess_config& config,
                     FileResult& result)
{
    const size_t zones = size_t(log.zones);
    const bool nb_known = log.has_nb_targets();
    std::vector<float> tensor(zones * 2);
    result.zones = log.zones;
    result.frames_read = log.frames;
    for (int n = 0; n < log.frames; ++n) {
        if (log.frame_has_nan(n)) {
            result.dropped.nan_fields++;
            continue;
        }
        float code = log.posture_code[size_t(n)];
        auto label = label_of_code.end();
        if (code == std::floor(code) && std::fabs(code) < 1e6f) label = label_of_code.find(int(code));
        if (label == label_of_code.end()) {
            result.dropped.other_class++;
            continue;
        }
        size_t at = size_t(n) * zones;
        const float* nb = nb_known ? log.nb_targets.data() + at : nullptr;
        int status = hp_preprocess_frame(&config, log.zones, log.distance_mm.data() + at, log.signal_per_spad.data() + at,
                                         log.target_status.data() + at, nb, tensor.data());
        if (status != HP_FRAME_KEPT) {
            result.dropped.out_of_range++;
            continue;
        }
        result.inputs.insert(result.inputs.end(), tensor.begin(), tensor.end());
        append_raw(log, at, nb, result.raw);
        result.labels.push_back(label->second);
        result.frames.push_back(n);
    }
}

}  // namespace

Dataset load_dataset(const std::filesystem::path& root, const DatasetOptions& options)
{
    DatasetFiles source(root, options.classes, options.missing_classes);
    Dataset dataset;
    dataset.class_names = source.class_names();
    dataset.files = source.files();
    dataset.missing_classes = source.missing_classes();
    std::map<int, int> label_of_code;
    for (size_t i = 0; i < dataset.class_names.size(); ++i)
        label_of_code[*posture_code(dataset.class_names[i])] = int(i);

    const size_t count = dataset.files.size();
    std::vector<FileResult> results(count);
    std::atomic<size_t> next{0};
    auto work = [&] {
        for (size_t i; (i = next++) < count;) {
            try {
                preprocess_file(source.read(i), label_of_code, options.preprocess, results[i]);
            } catch (...) {
                results[i].error = std::current_exception();
            }
        }
    };
    size_t threads = options.threads > 0 ? size_t(options.threads) : std::max(1u, std::thread::hardware_concurrency());
    threads = std::min(threads, std::max<size_t>(count, 1));
    std::vector<std::thread> pool;
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (std::thread& t : pool) t.join();

    size_t total = 0;
    for (const FileResult& r : results) {
        if (r.error) std::rethrow_exception(r.error);
        total += r.labels.size();
    }
    int zones = results.empty() ? 64 : results[0].zones;
    for (size_t i = 0; i < count; ++i)
        if (results[i].zones != zones)
            throw Error(root, "mixed zone layouts: " + dataset.files[0].path + " has " + std::to_string(zones) +
                                  " zones, " + dataset.files[i].path + " has " + std::to_string(results[i].zones));
    dataset.height = dataset.width = hp_grid_side(zones);
    dataset.preprocess = options.preprocess;
    dataset.inputs.reserve(total * dataset.input_size());
    dataset.labels.reserve(total);
    for (size_t i = 0; i < count; ++i) {
        FileResult& r = results[i];
        dataset.inputs.insert(dataset.inputs.end(), r.inputs.begin(), r.inputs.end());
        dataset.raw.insert(dataset.raw.end(), r.raw.begin(), r.raw.end());
        dataset.labels.insert(dataset.labels.end(), r.labels.begin(), r.labels.end());
        dataset.frame_index.insert(dataset.frame_index.end(), r.frames.begin(), r.frames.end());
        dataset.file_index.insert(dataset.file_index.end(), r.labels.size(), int(i));
        dataset.files[i].frames_read = r.frames_read;
        dataset.files[i].frames_kept = int(r.labels.size());
        dataset.dropped.nan_fields += r.dropped.nan_fields;
        dataset.dropped.out_of_range += r.dropped.out_of_range;
        dataset.dropped.other_class += r.dropped.other_class;
        r = FileResult{};
    }
    return dataset;
}

Dataset Dataset::subset(const std::vector<size_t>& indices) const
{
    Dataset out;
    out.height = height;
    out.width = width;
    out.class_names = class_names;
    out.files = files;
    out.dropped = dropped;
    out.preprocess = preprocess;
    out.inputs.reserve(indices.size() * input_size());
    for (size_t i : indices) {
        if (i >= size()) throw Error("dataset: subset index " + std::to_string(i) + " out of range");
        out.inputs.insert(out.inputs.end(), input(i), input(i) + input_size());
        if (!raw.empty()) out.raw.insert(out.raw.end(), raw_frame(i), raw_frame(i) + raw_size());
        out.labels.push_back(labels[i]);
        out.file_index.push_back(file_index[i]);
        out.frame_index.push_back(frame_index[i]);
    }
    return out;
}

void Dataset::append(const Dataset& other)
{
    if (other.height != height || other.width != width || other.class_names != class_names ||
        other.preprocess.distance_mode != preprocess.distance_mode || other.raw.empty() != raw.empty())
        throw Error("dataset: frames to append differ in size, classes, distance mode or raw frames");
    const int file_offset = int(files.size());
    files.insert(files.end(), other.files.begin(), other.files.end());
    inputs.insert(inputs.end(), other.inputs.begin(), other.inputs.end());
    raw.insert(raw.end(), other.raw.begin(), other.raw.end());
    labels.insert(labels.end(), other.labels.begin(), other.labels.end());
    for (int f : other.file_index) file_index.push_back(f + file_offset);
    frame_index.insert(frame_index.end(), other.frame_index.begin(), other.frame_index.end());
}

}  // namespace hp
