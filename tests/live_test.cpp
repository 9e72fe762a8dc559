// Live mode: the processing session, the replay source, and `handposture live` against a fake
// board on a pseudo-terminal. References: ST's expected probabilities for the public frames
// (reference/st_vl53l8cx_pretrained_expected.csv) and the offline path (preprocess + network
// straight through the runtime, no serial link, no session).
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/postures.hpp"
#include "data/dataset.hpp"
#include "fake_board.hpp"
#include "hp_postprocess.h"
#include "hp_preprocess.h"
#include "live/recorder.hpp"
#include "live/replay_source.hpp"
#include "live/session.hpp"
#include "model/model_file.hpp"
#include "model/runtime_model.hpp"
#include "test_support.hpp"

namespace {

using hp::test::FakeBoard;
using hp::test::FakeBoardOptions;

// --- A model built in code: zero weights, biases that make class 3 win with p ~ 0.9997. ---------

hp::Model biased_model()
{
    hp::Model m = hp::cnn2d_st_model(hp::ModelShape{}, hp::st_default_classes());
    hp::test::st_weights(m).dense2_bias[3] = 10.0f;
    hp::test::st_weights(m).conv_bias[0] = 0.5f;
    for (size_t i = 0; i < hp::test::st_weights(m).dense1_kernel.size(); i += 3) hp::test::st_weights(m).dense1_kernel[i] = 0.01f * float(i % 7);
    return m;
}

hp::SensorFrame flat_frame(float distance, long counter)
{
    hp::SensorFrame f;
    f.frame_counter = counter;
    f.zones = 64;
    f.target_status.assign(64, 5.0f);
    f.nb_targets.assign(64, 1.0f);
    f.distance_mm.assign(64, distance);
    f.signal_per_spad.assign(64, 300.0f);
    f.valid.assign(64, 1.0f);
    f.distance_mm[9] = distance + 30;  // not flat: the conv sees some structure
    return f;
}

TEST(LiveSession, ScoresAreTheRuntimesAndTheFilterFollowsStsRule)
{
    hp::Model model = biased_model();
    hp::LiveSession session(model);
    for (int k = 0; k < 6; ++k) {
        const hp::LiveResult& r = session.process(flat_frame(250, k));
        // Offline: the same frame straight through the runtime.
        hp_preprocess_config pre = HP_PREPROCESS_DEFAULTS;
        hp::SensorFrame f = flat_frame(250, k);
        std::vector<float> input(128), scores(8), scratch(hp::RuntimeModel(model).scratch_floats());
        hp_model_f32 view = hp::runtime_view(*hp::as_cnn2d_st(model));
        ASSERT_EQ(hp_preprocess_frame(&pre, 64, f.distance_mm.data(), f.signal_per_spad.data(), f.target_status.data(),
                                      f.nb_targets.data(), input.data()),
                  HP_FRAME_KEPT);
        ASSERT_EQ(hp_model_f32_run(&view, input.data(), scores.data(), scratch.data()), 0);
        EXPECT_EQ(r.scores, scores);
        EXPECT_TRUE(r.valid);
        EXPECT_EQ(r.frame, k);
        EXPECT_EQ(r.raw_class, 3);
        // ST's label filter shows a new class on the 5th equal frame (SPEC §9, hp_postprocess.h).
        EXPECT_EQ(r.filtered_class, k >= 4 ? 3 : 0) << k;
        EXPECT_GE(r.processing_us, 0.0);
    }
    // Nearest target at 50 mm: out of range, invalid, the network skipped (scores all 0, as ST's
    // firmware), raw class 0, the shown class stays (KEEP_LAST_VALID).
    const hp::LiveResult& r = session.process(flat_frame(50, 6));
    EXPECT_FALSE(r.valid);
    EXPECT_EQ(r.scores, std::vector<float>(8, 0.0f));
    EXPECT_EQ(r.raw_class, 0);
    EXPECT_EQ(r.filtered_class, 3);
    session.count_malformed();
    EXPECT_EQ(session.counters().frames, 7);
    EXPECT_EQ(session.counters().invalid_frames, 1);
    EXPECT_EQ(session.counters().malformed_lines, 1);
    EXPECT_GT(session.counters().fps, 0.0);
}

TEST(LiveSession, FrameOfTheWrongSizeIsAnError)
{
    hp::Model model = biased_model();
    hp::LiveSession session(model);
    hp::SensorFrame f = flat_frame(250, 0);
    f.zones = 16;
    for (auto* v : {&f.target_status, &f.nb_targets, &f.distance_mm, &f.signal_per_spad, &f.valid}) v->resize(16);
    EXPECT_THROW(session.process(f), hp::Error);
}

// --- Public frames, ST's expectations, the offline path. -----------------------------------------

struct Expected {
    std::map<std::pair<std::string, int>, std::vector<double>> probabilities;  // (file, frame) -> p0..p7
};

const Expected& st_expected()
{
    static Expected e = [] {
        Expected out;
        std::ifstream in(hp::test::shared_dir() / "reference/st_vl53l8cx_pretrained_expected.csv");
        std::string line;
        std::getline(in, line);
        while (std::getline(in, line)) {
            std::vector<std::string> cells;
            std::stringstream ss(line);
            for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
            if (cells.size() != 12) continue;
            std::vector<double> p;
            for (int k = 4; k < 12; ++k) p.push_back(std::stod(cells[size_t(k)]));
            out.probabilities[{cells[0], std::stoi(cells[1])}] = p;
        }
        return out;
    }();
    return e;
}

struct PublicFrame {
    std::string file;  // path relative to the dataset root
    int index;         // frame inside its file
    hp::SensorFrame frame;
};

// The first `per_file` frames of a few files of different classes.
std::vector<PublicFrame> public_frames(int files, int per_file)
{
    hp::DatasetFiles dataset(hp::test::public_dataset_zip(), {});
    std::vector<PublicFrame> out;
    size_t step = dataset.files().size() / size_t(files);
    for (int k = 0; k < files; ++k) {
        size_t i = size_t(k) * step + 3;
        hp::Datalog log = dataset.read(i);
        for (int n = 0; n < std::min(per_file, log.frames); ++n) {
            hp::SensorFrame f;
            f.frame_counter = long(out.size());
            f.tick_ms = 100 * f.frame_counter;
            f.board_posture = int(log.posture_code[size_t(n)]);
            f.zones = log.zones;
            size_t at = size_t(n) * size_t(log.zones);
            auto take = [&](const std::vector<float>& v) { return std::vector<float>(v.begin() + long(at), v.begin() + long(at) + log.zones); };
            f.distance_mm = take(log.distance_mm);
            f.signal_per_spad = take(log.signal_per_spad);
            f.target_status = take(log.target_status);
            f.valid = take(log.valid);
            f.nb_targets.assign(size_t(log.zones), 1.0f);  // the public files do not have it; the wire always does
            out.push_back({dataset.files()[i].path, n, f});
        }
    }
    return out;
}

// SPEC §9 line of a public frame (its values are whole numbers already).
std::string wire_line(const hp::SensorFrame& f)
{
    std::string line = "RAN," + std::to_string(f.frame_counter) + ",1," + std::to_string(f.tick_ms);
    for (int i = 4; i < 51; ++i) {
        line += ',';
        if (i == 10) line += std::to_string(f.board_posture);
    }
    auto put = [&](float v) {
        line += ',';
        line += std::to_string(long(std::lround(v)));
    };
    for (int z = 0; z < f.zones; ++z) {
        put(f.target_status[size_t(z)]);
        put(1);
        put(f.distance_mm[size_t(z)]);
        put(f.signal_per_spad[size_t(z)]);
        put(0);
        put(f.valid[size_t(z)]);
    }
    return line;
}

struct Offline {
    bool valid;
    std::vector<float> scores;
};

Offline offline(const hp::Model& model, const hp::SensorFrame& f)
{
    hp_preprocess_config pre = HP_PREPROCESS_DEFAULTS;
    hp_model_f32 view = hp::runtime_view(*hp::as_cnn2d_st(model));
    std::vector<float> input(128), scratch(hp_model_f32_scratch_floats(&view));
    Offline o;
    o.scores.resize(8);
    o.valid = hp_preprocess_frame(&pre, 64, f.distance_mm.data(), f.signal_per_spad.data(), f.target_status.data(),
                                  nullptr, input.data()) == HP_FRAME_KEPT;
    hp_model_f32_run(&view, input.data(), o.scores.data(), scratch.data());
    return o;
}

// ST's output selection written out here: the argmax if its score > 0.9, else 0; invalid -> 0.
int st_raw_class(const std::vector<float>& s, bool valid)
{
    int best = 0;
    for (int k = 1; k < int(s.size()); ++k)
        if (s[size_t(k)] > s[size_t(best)]) best = k;
    return valid && s[size_t(best)] > 0.9f ? best : 0;
}

std::vector<nlohmann::json> json_lines(const std::string& output)
{
    std::vector<nlohmann::json> out;
    std::istringstream in(output);
    for (std::string line; std::getline(in, line);)
        if (!line.empty() && line[0] == '{') out.push_back(nlohmann::json::parse(line));
    return out;
}

// "handposture live: 60 frames (0 invalid), 7 malformed, ..." -> {60, 0, 7}
std::array<long, 3> summary_counts(const std::string& output)
{
    std::array<long, 3> c{-1, -1, -1};
    size_t at = output.find("handposture live: ");
    if (at != std::string::npos)
        std::sscanf(output.c_str() + at, "handposture live: %ld frames (%ld invalid), %ld malformed", &c[0], &c[1], &c[2]);
    return c;
}

// Live results against ST's probabilities (1e-5: ST's CSV has 8 digits) and the offline path (1e-6).
void expect_same_predictions(const std::vector<nlohmann::json>& results, const std::vector<PublicFrame>& frames,
                             const hp::Model& model)
{
    const auto& expected = st_expected().probabilities;
    int with_reference = 0;
    for (const auto& r : results) {
        long k = r["frame"].get<long>();
        ASSERT_GE(k, 0);
        ASSERT_LT(size_t(k), frames.size());
        const PublicFrame& pf = frames[size_t(k)];
        Offline o = offline(model, pf.frame);
        std::vector<float> scores = r["scores"].get<std::vector<float>>();
        ASSERT_EQ(scores.size(), 8u);
        EXPECT_EQ(r["valid"].get<bool>(), o.valid) << k;
        // An invalid frame skips the network: all scores 0 (ST's firmware; hp_pipeline.h).
        for (size_t c = 0; c < 8; ++c) EXPECT_NEAR(scores[c], o.valid ? o.scores[c] : 0.0f, 1e-6) << k;
        EXPECT_EQ(r["raw_class"].get<int>(), st_raw_class(o.scores, o.valid)) << k;
        EXPECT_EQ(r["raw_name"].get<std::string>(), hp::st_default_classes()[size_t(r["raw_class"].get<int>())]);
        auto it = expected.find({pf.file, pf.index});
        EXPECT_EQ(it != expected.end(), o.valid) << pf.file << " " << pf.index;  // ST's CSV lists the kept frames
        if (it != expected.end()) {
            ++with_reference;
            for (size_t c = 0; c < 8; ++c) EXPECT_NEAR(scores[c], it->second[c], 1e-5) << pf.file << " " << pf.index;
        }
    }
    EXPECT_GT(with_reference, int(results.size()) / 2);
}

std::string st_model() { return hp::test::st_pretrained_h5().string(); }

TEST(LiveCli, JsonOnAPtyMatchesStAndTheOfflinePathAndCountsMalformedLines)
{
    HP_REQUIRE_SHARED();
    auto frames = public_frames(3, 20);
    // Frames with damaged lines in between: garbage, a truncated line, a field too many, a
    // non-numeric zone value, an overlong line; blank lines and `ok` are not counted.
    std::vector<std::string> lines;
    int bad = 0;
    for (size_t k = 0; k < frames.size(); ++k) {
        std::string line = wire_line(frames[k].frame);
        lines.push_back(line);
        if (k + 1 == frames.size()) break;
        switch (k % 6) {
        case 0: lines.push_back("\x01\x02garbage\xff"); ++bad; break;
        case 1: lines.push_back(line.substr(0, line.size() / 3)); ++bad; break;
        case 2: lines.push_back(line + ",9"); ++bad; break;
        case 3: lines.push_back(line.substr(0, line.size() - 1) + "x"); ++bad; break;
        case 4: lines.push_back(""); break;
        default: lines.push_back("ok"); break;
        }
        if (k == 10) {
            lines.push_back(std::string(40000, 'A'));  // no end in sight: dropped whole, counted once
            ++bad;
        }
    }
    FakeBoard board(lines);
    auto result = hp::test::run_cli("live --port " + board.port() + " --model " + st_model() + " --json --max-frames " +
                                    std::to_string(frames.size()));
    ASSERT_EQ(result.exit_code, 0) << result.output;
    auto results = json_lines(result.output);
    ASSERT_EQ(results.size(), frames.size());
    for (size_t k = 0; k < results.size(); ++k) EXPECT_EQ(results[k]["frame"].get<long>(), long(k));
    expect_same_predictions(results, frames, hp::read_keras_h5(st_model()));
    auto counts = summary_counts(result.output);
    EXPECT_EQ(counts[0], long(frames.size()));
    EXPECT_EQ(counts[2], bad);
    // The board was set up, started and stopped.
    EXPECT_TRUE(board.wait_for_command("disable"));
    auto commands = board.commands();
    ASSERT_GE(commands.size(), 3u);
    EXPECT_EQ(commands[0], "set gesture_gui=1");
    EXPECT_EQ(commands[1], "enable");
    EXPECT_EQ(commands.back(), "disable");
}

TEST(LiveCli, ReplayOfAnNpzGivesTheSameAsStAndTheOfflinePath)
{
    HP_REQUIRE_SHARED();
    hp::test::ScratchDir dir;
    hp::DatasetFiles dataset(hp::test::public_dataset_zip(), {});
    size_t i = dataset.files().size() / 2;
    auto bytes = dataset.read_bytes(i);
    auto npz = dir / "replay.npz";
    hp::write_file_atomically(npz, bytes);
    hp::Datalog log = hp::read_datalog_file(npz);

    auto result = hp::test::run_cli("live --replay " + npz.string() + " --speed 0 --model " + st_model() + " --json");
    ASSERT_EQ(result.exit_code, 0) << result.output;
    auto results = json_lines(result.output);
    ASSERT_EQ(int(results.size()), log.frames);
    std::vector<PublicFrame> frames;
    for (int n = 0; n < log.frames; ++n) {
        hp::SensorFrame f;
        f.zones = 64;
        size_t at = size_t(n) * 64;
        f.distance_mm.assign(log.distance_mm.begin() + long(at), log.distance_mm.begin() + long(at) + 64);
        f.signal_per_spad.assign(log.signal_per_spad.begin() + long(at), log.signal_per_spad.begin() + long(at) + 64);
        f.target_status.assign(log.target_status.begin() + long(at), log.target_status.begin() + long(at) + 64);
        frames.push_back({dataset.files()[i].path, n, f});
    }
    expect_same_predictions(results, frames, hp::read_keras_h5(st_model()));

    // `handposture predict` on the same file: one row per kept frame, same scores.
    auto csv = dir / "predict.csv";
    auto predicted = hp::test::run_cli("predict --model " + st_model() + " --npz " + npz.string() + " --out " + csv.string());
    ASSERT_EQ(predicted.exit_code, 0) << predicted.output;
    int rows = 0;
    for (const std::vector<std::string>& cells : hp::test::read_csv_rows(csv)) {
        ASSERT_EQ(cells.size(), 12u) << rows;
        int frame = std::stoi(cells[1]);
        ASSERT_LT(size_t(frame), results.size());
        const auto& r = results[size_t(frame)];
        EXPECT_TRUE(r["valid"].get<bool>());
        std::vector<float> p;
        for (size_t c = 0; c < 8; ++c) p.push_back(std::stof(cells[4 + c]));
        for (size_t c = 0; c < 8; ++c) EXPECT_NEAR(r["scores"][c].get<float>(), p[c], 1e-6) << frame;
        EXPECT_EQ(r["raw_class"].get<int>(), p[size_t(std::stoi(cells[3]))] > 0.9f ? std::stoi(cells[3]) : 0) << frame;
        ++rows;
    }
    int valid = 0;
    for (const auto& r : results) valid += r["valid"].get<bool>();
    EXPECT_EQ(rows, valid);
}

// With stdout a pipe (not a terminal) and no --json: one line per change of the filtered
// posture, the changes counted from the --json output of the same replay.
TEST(LiveCli, PipedReplayPrintsOneLinePerPostureChange)
{
    HP_REQUIRE_SHARED();
    hp::test::ScratchDir dir;
    hp::DatasetFiles dataset(hp::test::public_dataset_zip(), {});
    const size_t n = dataset.files().size();
    for (size_t i : {size_t(0), n / 3, 2 * n / 3})  // three classes, so the posture changes
        hp::write_file_atomically(dir / ("logs/" + std::to_string(i) + ".npz"), dataset.read_bytes(i));
    const std::string replay = "live --replay " + (dir / "logs").string() + " --speed 0 --model " + st_model();

    auto json = hp::test::run_cli(replay + " --json");
    ASSERT_EQ(json.exit_code, 0) << json.output;
    auto results = json_lines(json.output);
    std::vector<nlohmann::json> changes;
    for (size_t k = 0; k < results.size(); ++k)
        if (k == 0 || results[k]["filtered_class"] != results[k - 1]["filtered_class"]) changes.push_back(results[k]);
    ASSERT_GE(changes.size(), 3u);

    auto piped = hp::test::run_cli(replay);  // stdout (and stderr) to a pipe
    ASSERT_EQ(piped.exit_code, 0) << piped.output;
    std::vector<std::string> lines;
    for (const std::string& line : hp::test::lines_of(piped.output))
        if (line.rfind("handposture live: ", 0) != 0) lines.push_back(line);  // not the summary on stderr
    ASSERT_EQ(lines.size(), changes.size()) << piped.output;
    for (size_t k = 0; k < lines.size(); ++k) {
        long frame = changes[k]["frame"].get<long>();
        const auto scores = changes[k]["scores"].get<std::vector<double>>();
        const size_t top = size_t(std::max_element(scores.begin(), scores.end()) - scores.begin());
        char score[96] = "invalid frame";
        if (changes[k]["valid"].get<bool>() && top == changes[k]["filtered_class"].get<size_t>())
            std::snprintf(score, sizeof score, "%.2f", scores[top]);
        else if (changes[k]["valid"].get<bool>())
            std::snprintf(score, sizeof score, "top %s %.2f", hp::st_default_classes()[top].c_str(), scores[top]);
        char expected[192];
        std::snprintf(expected, sizeof expected, "t=%.1fs frame %ld posture %s (%s)", double(frame) / 10.0, frame,
                      changes[k]["filtered_name"].get<std::string>().c_str(), score);
        EXPECT_EQ(lines[k], expected);
    }
}

TEST(ReplaySource, PacesFramesAtTheSensorRateOverSpeed)
{
    HP_REQUIRE_SHARED();
    hp::test::ScratchDir dir;
    hp::DatasetFiles dataset(hp::test::public_dataset_zip(), {});
    hp::write_file_atomically(dir / "a/x.npz", dataset.read_bytes(0));
    hp::write_file_atomically(dir / "b/y.npz", dataset.read_bytes(1));
    int expected = dataset.read(0).frames + dataset.read(1).frames;
    hp::ReplaySource source(dir.path(), 10.0);  // 10 ms per frame
    ASSERT_EQ(source.files().size(), 2u);
    auto start = std::chrono::steady_clock::now();
    hp::SensorFrame f;
    int frames = 0;
    for (hp::SourceEvent e; (e = source.next(f)) != hp::SourceEvent::end;) frames += e == hp::SourceEvent::frame;
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(frames, expected);
    EXPECT_GE(seconds, 0.010 * (expected - 1) * 0.95);
    EXPECT_THROW(hp::ReplaySource(dir / "missing", 1), hp::Error);
    EXPECT_THROW(hp::ReplaySource(dir.path(), -1), hp::Error);
}

// Every recorded file of a take, in recording order, as one datalog.
hp::Datalog read_take(const std::filesystem::path& npz_dir, int* files = nullptr)
{
    std::vector<hp::Datalog> logs;
    for (const auto& e : std::filesystem::directory_iterator(npz_dir)) logs.push_back(hp::read_datalog_file(e.path()));
    std::sort(logs.begin(), logs.end(), [](const auto& a, const auto& b) { return a.start_timestamp < b.start_timestamp; });
    if (files) *files = int(logs.size());
    hp::Datalog all;
    all.frames = 0;
    for (const auto& l : logs) {
        all.zones = l.zones;
        all.frames += l.frames;
        for (auto [to, from] : {std::pair{&all.distance_mm, &l.distance_mm}, {&all.signal_per_spad, &l.signal_per_spad},
                                {&all.target_status, &l.target_status}, {&all.nb_targets, &l.nb_targets},
                                {&all.valid, &l.valid}, {&all.posture_code, &l.posture_code}})
            to->insert(to->end(), from->begin(), from->end());
    }
    return all;
}

// The recorded frames are the source frames rounded to integers (what the wire carries).
void expect_recorded(const hp::Datalog& log, const std::vector<PublicFrame>& frames, int count, int label_code)
{
    ASSERT_EQ(log.frames, count);
    ASSERT_EQ(log.zones, 64);
    for (int n = 0; n < count; ++n) {
        const hp::SensorFrame& f = frames[size_t(n)].frame;
        for (int z = 0; z < 64; ++z) {
            size_t at = size_t(n) * 64 + size_t(z);
            ASSERT_EQ(log.distance_mm[at], std::round(f.distance_mm[size_t(z)])) << n << " " << z;
            ASSERT_EQ(log.signal_per_spad[at], std::round(f.signal_per_spad[size_t(z)])) << n << " " << z;
            ASSERT_EQ(log.target_status[at], f.target_status[size_t(z)]);
            ASSERT_EQ(log.valid[at], f.valid[size_t(z)]);
            ASSERT_EQ(log.nb_targets[at], 1.0f);
        }
        ASSERT_EQ(log.posture_code[size_t(n)], float(label_code));
    }
}

TEST(LiveCli, RecordThenReloadGivesTheFramesBack)
{
    HP_REQUIRE_SHARED();
    auto frames = public_frames(2, 10);
    std::vector<std::string> lines;
    for (const auto& f : frames) lines.push_back(wire_line(f.frame));
    FakeBoard board(lines);
    hp::test::ScratchDir dir;
    auto result = hp::test::run_cli("live --port " + board.port() + " --model " + st_model() +
                                    " --json --max-frames 20 --record " + (dir / "rec").string() +
                                    " --label Like --user Tester --rotate 7");
    ASSERT_EQ(result.exit_code, 0) << result.output;
    auto take = dir / "rec/Like";
    ASSERT_TRUE(std::filesystem::is_directory(take)) << result.output;
    std::vector<std::filesystem::path> logs;
    for (const auto& e : std::filesystem::directory_iterator(take)) logs.push_back(e.path());
    ASSERT_EQ(logs.size(), 1u);
    std::string name = logs[0].filename().string();
    EXPECT_EQ(name.rfind("log__Like__Tester__1__VL53L8__handposture_api__8x8__", 0), 0u) << name;
    int files = 0;
    hp::Datalog log = read_take(logs[0] / "npz", &files);
    EXPECT_EQ(files, 3);  // 7 + 7 + 6
    expect_recorded(log, frames, 20, *hp::posture_code("Like"));

    // A second run is the next take.
    FakeBoard board2(lines);
    result = hp::test::run_cli("live --port " + board2.port() + " --model " + st_model() +
                               " --json --max-frames 3 --record " + (dir / "rec").string() + " --label Like --user Tester");
    ASSERT_EQ(result.exit_code, 0) << result.output;
    std::filesystem::path second;
    for (const auto& e : std::filesystem::directory_iterator(take))
        if (e.path().filename().string().rfind("log__Like__Tester__2__", 0) == 0) second = e.path();
    ASSERT_FALSE(second.empty());
    int files2 = 0;
    hp::Datalog log2 = read_take(second / "npz", &files2);
    EXPECT_EQ(files2, 1);
    expect_recorded(log2, frames, 3, *hp::posture_code("Like"));
}

TEST(LiveCli, VanishedDeviceIsReportedAndTheRecordingIsComplete)
{
    HP_REQUIRE_SHARED();
    auto frames = public_frames(1, 15);
    std::vector<std::string> lines;
    for (const auto& f : frames) lines.push_back(wire_line(f.frame));
    FakeBoardOptions options;
    options.vanish_at_end = true;
    FakeBoard board(lines, options);
    hp::test::ScratchDir dir;
    auto result = hp::test::run_cli("live --port " + board.port() + " --model " + st_model() + " --json --record " +
                                    (dir / "rec").string() + " --label Fist --user Tester --rotate 100");
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find(board.port() + ": device vanished"), std::string::npos) << result.output;
    auto results = json_lines(result.output);
    EXPECT_EQ(results.size(), frames.size());
    std::filesystem::path log_dir = *std::filesystem::directory_iterator(dir / "rec/Fist");
    expect_recorded(read_take(log_dir / "npz"), frames, int(results.size()), *hp::posture_code("Fist"));
}

TEST(LiveCli, CtrlCStopsCleanlyAndKeepsWhatWasRecorded)
{
    HP_REQUIRE_SHARED();
    auto frames = public_frames(1, 40);
    std::vector<std::string> lines;
    for (const auto& f : frames) lines.push_back(wire_line(f.frame));
    FakeBoardOptions options;
    options.line_interval_ms = 50;
    FakeBoard board(lines, options);
    hp::test::ScratchDir dir;
    // SIGINT in the middle of the stream, once the board has sent 10 frames; the output goes to
    // a file.
    auto log_path = dir / "output.txt";
    std::string command = "exec " + std::string(HP_CLI) + " live --port " + board.port() + " --model " + st_model() +
                          " --record " + (dir / "rec").string() + " --label Love --user Tester > " + log_path.string() +
                          " 2>&1";
    pid_t pid = 0;
    const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
    ASSERT_EQ(posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char* const*>(argv), environ), 0);
    for (int waited = 0; board.lines_sent() < 10 && waited < 30000; waited += 10)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_GE(board.lines_sent(), 10u);
    kill(pid, SIGINT);
    int status = 0;
    waitpid(pid, &status, 0);
    std::string output;
    {
        std::ifstream in(log_path);
        output.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    ASSERT_TRUE(WIFEXITED(status)) << output;
    EXPECT_EQ(WEXITSTATUS(status), 0) << output;
    // Into a file: one line per posture change, not the view; the first file is of class None.
    EXPECT_EQ(output.rfind("t=0.0s frame ", 0), 0u) << output;
    EXPECT_NE(output.find(" posture None ("), std::string::npos) << output;
    EXPECT_EQ(output.find("distance (mm)"), std::string::npos) << output;
    EXPECT_EQ(output.find("\x1b["), std::string::npos);     // no ANSI codes into a pipe
    auto counts = summary_counts(output);
    ASSERT_GT(counts[0], 3);
    EXPECT_LT(counts[0], 40);
    EXPECT_TRUE(board.wait_for_command("disable"));
    std::filesystem::path log_dir = *std::filesystem::directory_iterator(dir / "rec/Love");
    expect_recorded(read_take(log_dir / "npz"), frames, int(counts[0]), *hp::posture_code("Love"));
}

TEST(LiveCli, ReconnectWaitsForTheDeviceToComeBack)
{
    HP_REQUIRE_SHARED();
    auto frames = public_frames(1, 10);
    std::vector<std::string> first, second;
    for (size_t k = 0; k < frames.size(); ++k) (k < 5 ? first : second).push_back(wire_line(frames[k].frame));
    hp::test::ScratchDir dir;
    auto link = dir / "ttyBOARD";  // the device node that goes away and comes back
    FakeBoardOptions options;
    options.vanish_at_end = true;
    auto board = std::make_unique<FakeBoard>(first, options);
    std::filesystem::create_symlink(board->port(), link);
    hp::test::CommandResult result;
    std::thread live([&] {
        result = hp::test::run_cli("live --port " + link.string() + " --reconnect --model " + st_model() +
                                   " --json --max-frames 10");
    });
    for (int waited = 0; !board->vanished() && waited < 5000; waited += 10)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(board->vanished());
    std::filesystem::remove(link);
    std::this_thread::sleep_for(std::chrono::milliseconds(700));  // gone for a while
    FakeBoard again(second);
    std::filesystem::create_symlink(again.port(), link);
    live.join();
    ASSERT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("device vanished, waiting for it to come back"), std::string::npos);
    auto results = json_lines(result.output);
    ASSERT_EQ(results.size(), 10u);
    for (size_t k = 0; k < 10; ++k) EXPECT_EQ(results[k]["frame"].get<long>(), long(k));
    EXPECT_TRUE(again.wait_for_command("enable"));
}

TEST(LiveCli, BadArgumentsAreErrors)
{
    hp::test::ScratchDir dir;
    auto r = hp::test::run_cli("live --port /nonexistent/tty --model " + st_model());
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("/nonexistent/tty"), std::string::npos) << r.output;
    r = hp::test::run_cli("live --model " + st_model());
    EXPECT_EQ(r.exit_code, 2) << r.output;  // a usage error
    EXPECT_EQ(r.output.rfind("handposture live: give either --port DEV or --replay FILE|DIR\nusage: handposture live ", 0),
              0u)
        << r.output;
    r = hp::test::run_cli("live --replay " + (dir / "none.npz").string() + " --model " + st_model());
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("none.npz"), std::string::npos) << r.output;
    EXPECT_THROW(hp::DatalogRecorder(dir.path(), "NoSuchPosture", "u", 10), hp::Error);
    EXPECT_THROW(hp::DatalogRecorder(dir.path(), "Like", "a__b", 10), hp::Error);
    EXPECT_THROW(hp::DatalogRecorder(dir.path(), "Like", "u", 0), hp::Error);
}

}  // namespace
