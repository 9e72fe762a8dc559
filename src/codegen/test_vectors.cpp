#include "codegen/test_vectors.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.hpp"
#include "data/dataset.hpp"
#include "hp_model.h"
#include "hp_postprocess.h"
#include "hp_preprocess.h"

namespace hp::codegen {

namespace {

unsigned char small_count(float v, const std::string& where, const char* field)
{
    if (!(v >= 0 && v <= 255 && v == std::floor(v)))
        throw Error(where, std::string(field) + " value " + std::to_string(v) + " is not an integer in 0..255");
    return static_cast<unsigned char>(v);
}

TestFrame frame_from_log(const Datalog& log, int f, const std::string& where)
{
    TestFrame t;
    const size_t z0 = size_t(f) * log.zones;
    for (int z = 0; z < log.zones; z++) {
        t.distance_mm.push_back(log.distance_mm[z0 + z]);
        t.signal_per_spad.push_back(log.signal_per_spad[z0 + z]);
        t.target_status.push_back(small_count(log.target_status[z0 + z], where, "target_status"));
        const float nb = log.has_nb_targets() ? log.nb_targets[z0 + z] : 1.0f;
        t.nb_targets.push_back(small_count(std::isnan(nb) ? 1.0f : nb, where, "nb_target_detected"));
    }
    return t;
}

}  // namespace

std::vector<TestFrame> make_test_frames(const Model& model, const DeployOptions& options,
                                        const std::filesystem::path& dataset, int count)
{
    const int zones = model.shape.height * model.shape.width;
    if (count < 3) throw Error(dataset, "need at least 3 test frames");
    DatasetFiles files(dataset, {});
    const std::vector<DatalogFile>& list = files.files();
    if (list.empty()) throw Error(dataset, "no datalogs");

    // Each class in turn: consecutive frames of its recordings, in path order, up to its share.
    std::vector<std::string> classes;
    for (const DatalogFile& f : list)
        if (classes.empty() || classes.back() != f.class_name) classes.push_back(f.class_name);
    const int real = count - 2;
    const int per_class = (real + int(classes.size()) - 1) / int(classes.size());

    std::vector<TestFrame> frames;
    for (const std::string& cls : classes) {
        int taken = 0;
        for (size_t i = 0; i < list.size() && taken < per_class && int(frames.size()) < real; i++) {
            if (list[i].class_name != cls) continue;
            const std::string where = files.display_name(i);
            const Datalog log = files.read(i);
            if (log.zones != zones)
                throw Error(where, std::to_string(log.zones) + " zones, the model takes " + std::to_string(zones));
            for (int f = 0; f < log.frames && taken < per_class && int(frames.size()) < real; f++) {
                if (log.frame_has_nan(f)) continue;
                frames.push_back(frame_from_log(log, f, where));
                taken++;
            }
        }
    }
    if (int(frames.size()) < real)
        throw Error(dataset, "only " + std::to_string(frames.size()) + " usable frames for " + std::to_string(real));

    // Two invalid frames from a real one: no valid zone at all; everything 5 cm away.
    TestFrame none = frames.front(), near = frames.front();
    std::fill(none.target_status.begin(), none.target_status.end(), static_cast<unsigned char>(255));
    for (float& d : near.distance_mm) d = 50.0f;
    frames.insert(frames.begin() + frames.size() / 2, none);
    frames.insert(frames.begin() + frames.size() / 2 + 1, near);

    // What the host runtime makes of them, in order.
    const hp_model_f32 view = model.runtime_view();
    std::vector<float> scratch(hp_model_f32_scratch_floats(&view));
    hp_label_filter filter;
    hp_label_filter_init(&filter);
    const int outputs = model.shape.outputs();
    for (TestFrame& t : frames) {
        std::vector<float> status(t.target_status.begin(), t.target_status.end());
        std::vector<float> nb(t.nb_targets.begin(), t.nb_targets.end());
        t.tensor.assign(size_t(zones) * 2, 0.0f);
        const int result = hp_preprocess_frame(&options.preprocess, zones, t.distance_mm.data(), t.signal_per_spad.data(),
                                               status.data(), nb.data(), t.tensor.data());
        if (result < 0) throw Error(dataset, "preprocessing rejected a test frame");
        t.valid = result == HP_FRAME_KEPT;
        t.scores.assign(size_t(outputs), 0.0f);
        if (hp_model_f32_run(&view, t.tensor.data(), t.scores.data(), scratch.data()) != 0)
            throw Error(dataset, "the host runtime rejected the model");
        std::vector<float> selected = t.valid ? t.scores : std::vector<float>(size_t(outputs), 0.0f);
        t.raw_class = hp_raw_class(&options.postprocess, selected.data(), outputs, t.valid);
        t.filtered_class = hp_label_filter_update(&options.postprocess, &filter, t.raw_class);
    }
    return frames;
}

std::map<std::string, std::string> test_vector_files(const Model& model, const std::vector<TestFrame>& frames)
{
    const int zones = model.shape.height * model.shape.width, outputs = model.shape.outputs();
    std::ostringstream h;
    h << "/* Generated by handposture deploy --test-vectors: frames and the host runtime's results. */\n"
      << "#ifndef HP_TEST_VECTORS_H\n#define HP_TEST_VECTORS_H\n\n"
      << "#define HP_TEST_FRAMES " << frames.size() << "\n#define HP_TEST_ZONES " << zones
      << "\n#define HP_TEST_OUTPUTS " << outputs << "\n#define HP_TEST_INPUT_SIZE " << zones * 2 << "\n\n"
      << "typedef struct {\n"
      << "    float distance_mm[HP_TEST_ZONES];\n    float signal_per_spad[HP_TEST_ZONES];\n"
      << "    unsigned char target_status[HP_TEST_ZONES];\n    unsigned char nb_targets[HP_TEST_ZONES];\n"
      << "    float tensor[HP_TEST_INPUT_SIZE]; /* host preprocessing */\n"
      << "    float scores[HP_TEST_OUTPUTS];    /* host network on tensor */\n"
      << "    unsigned char valid, raw_class, filtered_class;\n} hp_test_frame;\n\n"
      << "extern const hp_test_frame hp_test_frames[HP_TEST_FRAMES];\n\n#endif\n";

    auto floats = [](std::ostringstream& o, const std::vector<float>& v) {
        o << "{";
        for (size_t i = 0; i < v.size(); i++) o << (i ? "," : "") << c_float(v[i]);
        o << "}";
    };
    auto bytes = [](std::ostringstream& o, const std::vector<unsigned char>& v) {
        o << "{";
        for (size_t i = 0; i < v.size(); i++) o << (i ? "," : "") << int(v[i]);
        o << "}";
    };
    std::ostringstream c;
    c << "/* Generated by handposture deploy --test-vectors. */\n#include \"hp_test_vectors.h\"\n\n"
      << "const hp_test_frame hp_test_frames[HP_TEST_FRAMES] = {\n";
    for (const TestFrame& t : frames) {
        c << "  {";
        floats(c, t.distance_mm);
        c << ",\n   ";
        floats(c, t.signal_per_spad);
        c << ",\n   ";
        bytes(c, t.target_status);
        c << ",\n   ";
        bytes(c, t.nb_targets);
        c << ",\n   ";
        floats(c, t.tensor);
        c << ",\n   ";
        floats(c, t.scores);
        c << ",\n   " << t.valid << ", " << t.raw_class << ", " << t.filtered_class << "},\n";
    }
    c << "};\n";
    return {{"hp_test_vectors.h", h.str()}, {"hp_test_vectors.c", c.str()}};
}

}  // namespace hp::codegen
