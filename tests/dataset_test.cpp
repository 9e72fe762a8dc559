// Dataset loader: ST's public dataset (counts of SPEC §3 and §5, zip = folder, preprocessing
// against an independent numpy fixture), and small datasets built with our datalog writer.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "data/dataset.hpp"
#include "data/zip_reader.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using hp::test::ScratchDir;

namespace {

const hp::Dataset& public_dataset()
{
    static const hp::Dataset dataset = hp::load_dataset(hp::test::public_dataset_zip(), {});
    return dataset;
}

std::map<std::string, long> count_by(const hp::Dataset& d, bool with_user)
{
    std::map<std::string, long> counts;
    for (size_t i = 0; i < d.size(); ++i) {
        std::string key = d.class_names[size_t(d.labels[i])];
        if (with_user) key += "/" + d.user(i);
        counts[key]++;
    }
    return counts;
}

// A datalog whose every zone sees the target at `distance` with `signal`, status 5.
hp::Datalog uniform_log(int zones, int frames, float distance, float signal, int code)
{
    hp::Datalog log;
    log.zones = zones;
    log.frames = frames;
    size_t n = size_t(zones) * size_t(frames);
    log.distance_mm.assign(n, distance);
    log.signal_per_spad.assign(n, signal);
    log.target_status.assign(n, 5.0f);
    log.valid.assign(n, 1.0f);
    log.nb_targets.assign(n, NAN);
    log.posture_code.assign(size_t(frames), float(code));
    return log;
}

fs::path log_path(const fs::path& root, const std::string& cls, const std::string& user, const std::string& file)
{
    return root / cls / ("log__" + cls + "__" + user + "__1__VL53L5__test__4x4__20240101_000000") / "npz" / file;
}

}  // namespace

TEST(PublicDataset, CountsMatchSpec)
{
    HP_REQUIRE_SHARED();
    const hp::Dataset& d = public_dataset();
    EXPECT_EQ(d.size(), 11443u);
    EXPECT_EQ(d.files.size(), 162u);
    EXPECT_EQ(d.height, 8);
    EXPECT_EQ(d.width, 8);
    EXPECT_EQ(d.dropped.out_of_range, 5);
    EXPECT_EQ(d.dropped.nan_fields, 0);
    EXPECT_EQ(d.dropped.other_class, 0);
    EXPECT_EQ(d.class_names, (std::vector<std::string>{"None", "FlatHand", "Like", "Love", "Dislike", "BreakTime",
                                                       "CrossHands", "Fist"}));
    std::map<std::string, long> expected = {{"None", 382},      {"FlatHand", 1738},  {"Like", 1580},
                                            {"Love", 1274},     {"Dislike", 1686},   {"BreakTime", 1243},
                                            {"CrossHands", 1266}, {"Fist", 2274}};
    EXPECT_EQ(count_by(d, false), expected);
    long read = 0;
    for (const hp::DatalogFile& f : d.files) read += f.frames_read;
    EXPECT_EQ(read, 11448);
}

TEST(PublicDataset, PerClassAndUserCountsMatchSpec)
{
    HP_REQUIRE_SHARED();
    std::map<std::string, std::vector<long>> spec = {
        {"BreakTime", {322, 296, 313, 312}}, {"CrossHands", {321, 316, 323, 306}}, {"Dislike", {753, 304, 307, 322}},
        {"Fist", {1362, 302, 303, 307}},     {"FlatHand", {817, 308, 306, 307}},   {"Like", {660, 303, 312, 305}},
        {"Love", {349, 305, 308, 312}},      {"None", {382, 0, 0, 0}}};
    std::map<std::string, long> expected, users;
    for (const auto& [cls, counts] : spec)
        for (size_t u = 0; u < 4; ++u)
            if (counts[u]) expected[cls + "/User" + std::to_string(u + 1)] = counts[u];
    EXPECT_EQ(count_by(public_dataset(), true), expected);
    for (size_t i = 0; i < public_dataset().size(); ++i) users[public_dataset().user(i)]++;
    EXPECT_EQ(users, (std::map<std::string, long>{{"User1", 4966}, {"User2", 2134}, {"User3", 2172}, {"User4", 2171}}));
}

// The (file, frame) pairs we keep are exactly the rows of ST's expected-output table.
TEST(PublicDataset, KeptFramesAreThoseOfTheReferenceTable)
{
    HP_REQUIRE_SHARED();
    std::ifstream csv(hp::test::shared_dir() / "reference/st_vl53l8cx_pretrained_expected.csv");
    ASSERT_TRUE(csv);
    std::string line;
    std::getline(csv, line);
    std::map<std::pair<std::string, int>, int> reference;  // -> label
    while (std::getline(csv, line)) {
        std::stringstream row(line);
        std::string file, frame, label;
        std::getline(row, file, ',');
        std::getline(row, frame, ',');
        std::getline(row, label, ',');
        reference[{file, std::stoi(frame)}] = std::stoi(label);
    }
    const hp::Dataset& d = public_dataset();
    std::map<std::pair<std::string, int>, int> ours;
    for (size_t i = 0; i < d.size(); ++i) ours[{d.files[size_t(d.file_index[i])].path, d.frame_index[i]}] = d.labels[i];
    EXPECT_EQ(ours.size(), d.size());
    EXPECT_EQ(ours, reference);
}

TEST(PublicDataset, ZipAndUnpackedFolderGiveTheSameDataset)
{
    HP_REQUIRE_SHARED();
    ScratchDir dir;
    std::vector<unsigned char> zip_bytes = hp::read_file_bytes(hp::test::public_dataset_zip());
    hp::ZipReader archive(zip_bytes, "public zip");
    for (size_t i = 0; i < archive.size(); ++i)
        if (!archive.entry_name(i).ends_with("/")) hp::write_file_atomically(dir / archive.entry_name(i), archive.read(i));
    hp::DatasetOptions one_thread;
    one_thread.threads = 1;
    hp::Dataset folder = hp::load_dataset(dir / "ST_VL53L8CX_handposture_dataset", one_thread);
    const hp::Dataset& zip = public_dataset();
    EXPECT_EQ(folder.inputs, zip.inputs);
    EXPECT_EQ(folder.labels, zip.labels);
    EXPECT_EQ(folder.file_index, zip.file_index);
    EXPECT_EQ(folder.frame_index, zip.frame_index);
    ASSERT_EQ(folder.files.size(), zip.files.size());
    for (size_t i = 0; i < zip.files.size(); ++i) {
        EXPECT_EQ(folder.files[i].path, zip.files[i].path);
        EXPECT_EQ(folder.files[i].user, zip.files[i].user);
        EXPECT_EQ(folder.files[i].frames_kept, zip.files[i].frames_kept);
    }
}

// Tensors against scripts/make_preprocess_fixture.py (numpy, written once, committed).
TEST(PublicDataset, PreprocessingMatchesNumpyFixture)
{
    HP_REQUIRE_SHARED();
    std::ifstream fixture(hp::test::fixtures_dir() / "preprocess_public_sample.csv");
    ASSERT_TRUE(fixture);
    const hp::Dataset& d = public_dataset();
    std::map<std::pair<std::string, int>, size_t> where;
    for (size_t i = 0; i < d.size(); ++i) where[{d.files[size_t(d.file_index[i])].path, d.frame_index[i]}] = i;
    std::string line;
    std::getline(fixture, line);
    int rows = 0;
    while (std::getline(fixture, line)) {
        std::stringstream row(line);
        std::string file, frame, label, value;
        std::getline(row, file, ',');
        std::getline(row, frame, ',');
        std::getline(row, label, ',');
        auto it = where.find({file, std::stoi(frame)});
        ASSERT_NE(it, where.end()) << file << " frame " << frame;
        EXPECT_EQ(d.labels[it->second], std::stoi(label));
        const float* ours = d.input(it->second);
        for (size_t k = 0; k < d.input_size(); ++k) {
            ASSERT_TRUE(std::getline(row, value, ','));
            double expected = std::stod(value);
            ASSERT_NEAR(ours[k], expected, 1e-6 * std::max(1.0, std::fabs(expected))) << file << " frame " << frame << " [" << k << "]";
        }
        ++rows;
    }
    EXPECT_GE(rows, 40);
}

TEST(PublicDataset, ClassSubsetKeepsOnlyThoseClassesInCodeOrder)
{
    HP_REQUIRE_SHARED();
    hp::DatasetOptions options;
    options.classes = {"Fist", "Like"};
    hp::Dataset d = hp::load_dataset(hp::test::public_dataset_zip(), options);
    EXPECT_EQ(d.class_names, (std::vector<std::string>{"Like", "Fist"}));
    EXPECT_EQ(count_by(d, false), (std::map<std::string, long>{{"Like", 1580}, {"Fist", 2274}}));
}

TEST(PublicDataset, SubsetPicksFrames)
{
    HP_REQUIRE_SHARED();
    const hp::Dataset& d = public_dataset();
    hp::Dataset s = d.subset({5, 2, 11442});
    ASSERT_EQ(s.size(), 3u);
    EXPECT_EQ(s.labels[2], d.labels[11442]);
    EXPECT_EQ(s.frame_index[0], d.frame_index[5]);
    EXPECT_EQ(std::vector<float>(s.input(1), s.input(1) + 128), std::vector<float>(d.input(2), d.input(2) + 128));
    EXPECT_THROW(d.subset({d.size()}), hp::Error);
}

// A 4x4 dataset written with our writer: labels, users, tensors computed by hand, drops counted.
TEST(Dataset, FourByFourBuiltWithTheWriter)
{
    ScratchDir dir;
    hp::Datalog like = uniform_log(16, 3, 200.0f, 100.0f, 21);
    like.posture_code[1] = 32;  // Fist: not configured -> other_class
    like.distance_mm[2 * 16 + 5] = NAN;  // frame 2 has a NaN -> dropped
    hp::write_datalog_file(log_path(dir.path(), "Like", "Anna", "a.npz"), like);
    hp::Datalog none = uniform_log(16, 2, 90.0f, 50.0f, 0);  // frame 0: too near -> out of range
    for (int z = 0; z < 16; ++z) none.target_status[16 + size_t(z)] = 4;  // frame 1: no valid zone -> 4000 mm
    none.target_status[16 + 3] = 9;
    none.distance_mm[16 + 3] = 350;
    hp::write_datalog_file(log_path(dir.path(), "None", "Bob", "b.npz"), none);

    hp::DatasetOptions options;
    options.classes = {"Like", "None"};
    hp::Dataset d = hp::load_dataset(dir.path(), options);
    EXPECT_EQ(d.height, 4);
    EXPECT_EQ(d.width, 4);
    ASSERT_EQ(d.size(), 2u);
    EXPECT_EQ(d.dropped.other_class, 1);
    EXPECT_EQ(d.dropped.nan_fields, 1);
    EXPECT_EQ(d.dropped.out_of_range, 1);
    // Files in class output order: None (code 0) first.
    EXPECT_EQ(d.files[0].user, "Bob");
    EXPECT_EQ(d.files[1].user, "Anna");
    EXPECT_EQ(d.files[1].path, "Like/log__Like__Anna__1__VL53L5__test__4x4__20240101_000000/npz/a.npz");
    EXPECT_EQ(d.labels, (std::vector<int>{0, 1}));
    EXPECT_EQ(d.frame_index, (std::vector<int>{1, 0}));
    for (int z = 0; z < 16; ++z) {
        float distance = z == 3 ? 350.0f : 4000.0f, signal = z == 3 ? 50.0f : 0.0f;
        EXPECT_FLOAT_EQ(d.input(0)[2 * z], (distance - 295.0f) / 196.0f);
        EXPECT_FLOAT_EQ(d.input(0)[2 * z + 1], (signal - 281.0f) / 452.0f);
        EXPECT_FLOAT_EQ(d.input(1)[2 * z], (200.0f - 295.0f) / 196.0f);
        EXPECT_FLOAT_EQ(d.input(1)[2 * z + 1], (100.0f - 281.0f) / 452.0f);
    }
}

TEST(Dataset, NaNValuesDropTheFrame)
{
    ScratchDir dir;
    hp::Datalog log = uniform_log(64, 4, 200.0f, 100.0f, 20);
    log.valid.assign(log.valid.size(), NAN);  // the writer still writes it; all NaN
    hp::write_datalog_file(log_path(dir.path(), "FlatHand", "U", "a.npz"), log);
    hp::write_datalog_file(log_path(dir.path(), "None", "U", "a.npz"), uniform_log(64, 2, 200.0f, 100.0f, 0));
    hp::DatasetOptions options;
    options.classes = {"None", "FlatHand"};
    hp::Dataset d = hp::load_dataset(dir.path(), options);
    EXPECT_EQ(d.size(), 2u);
    EXPECT_EQ(d.dropped.nan_fields, 4);
}

TEST(Dataset, MixedZoneLayoutsAreAnError)
{
    ScratchDir dir;
    hp::write_datalog_file(log_path(dir.path(), "None", "U", "a.npz"), uniform_log(16, 2, 200.0f, 100.0f, 0));
    hp::write_datalog_file(log_path(dir.path(), "Like", "U", "a.npz"), uniform_log(64, 2, 200.0f, 100.0f, 21));
    hp::DatasetOptions options;
    options.classes = {"None", "Like"};
    try {
        hp::load_dataset(dir.path(), options);
        FAIL() << "no error";
    } catch (const hp::Error& e) {
        EXPECT_NE(std::string(e.what()).find("mixed zone layouts"), std::string::npos) << e.what();
    }
}

TEST(Dataset, FolderErrorsNameTheProblem)
{
    ScratchDir dir;
    hp::DatasetOptions options;
    options.classes = {"None", "Like"};
    auto message = [&](const fs::path& root) -> std::string {
        try {
            hp::load_dataset(root, options);
        } catch (const hp::Error& e) {
            return e.what();
        }
        return "no error";
    };
    EXPECT_NE(message(dir / "absent").find("absent: no such file or folder"), std::string::npos);
    hp::write_datalog_file(log_path(dir.path(), "None", "U", "a.npz"), uniform_log(16, 2, 200.0f, 100.0f, 0));
    EXPECT_NE(message(dir.path()).find("Like: no folder for class 'Like'"), std::string::npos) << message(dir.path());
    fs::create_directories(dir / "Like/log__Like__U__1/npz");
    EXPECT_NE(message(dir.path()).find("Like: class folder has no datalogs"), std::string::npos);
    options.classes = {"None", "Nope"};
    EXPECT_NE(message(dir.path()).find("unknown class 'Nope' (known: None, FlatHand"), std::string::npos);
}

TEST(Dataset, DefaultPathFollowsEnvironment)
{
    ::setenv("HP_DATASET", "/some/where.zip", 1);
    EXPECT_EQ(hp::default_dataset_path(), fs::path("/some/where.zip"));
    ::unsetenv("HP_DATASET");
    EXPECT_TRUE(hp::default_dataset_path().string().ends_with("shared/data/ST_VL53L8CX_handposture_dataset.zip"));
}

// Through the CLI: every bad input is one line "handposture: error: <file>: <problem>" on
// stderr and exit code 1.
namespace {

using hp::test::shell_quoted;

// stderr of `handposture <args>` (stdout is dropped), and its exit code.
hp::test::CommandResult cli_errors(const std::string& args)
{
    std::string command = std::string(HP_CLI) + " " + args + " 2>&1 >/dev/null";
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) return {-1, "popen failed"};
    std::string output;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
    int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

}  // namespace

TEST(DatasetCli, BadDatalogsAreOneClearErrorNamingTheFile)
{
    const std::pair<const char*, const char*> cases[] = {
        {"bad_crc.npz", "entry 'a.npy': CRC error"},
        {"not_a_zip.npz", "not a zip archive"},
        {"truncated.npz", "bad.npz: truncated or damaged zip archive"},
        {"datalog_bad_header.npz", "zone_head.npy: bad npy header"},
        {"datalog_bad_dtype.npz", "zone_data.npy: unsupported dtype '<c16'"},
        {"datalog_wrong_shape.npz", "zone_data.npy: shape needs 6144 bytes of data, the file has 4096"},
        {"datalog_32_zones.npz", "zone_data has 32 zones; expected 16 (4x4) or 64 (8x8)"},
        {"datalog_frames_differ.npz", "zone_data has 3 frames but glob_data has 4"},
    };
    for (const auto& [fixture, problem] : cases) {
        ScratchDir dir;
        hp::write_datalog_file(log_path(dir.path(), "None", "U", "good.npz"), uniform_log(64, 2, 200.0f, 100.0f, 0));
        fs::path bad = log_path(dir.path(), "Like", "U", "bad.npz");
        fs::create_directories(bad.parent_path());
        fs::copy_file(hp::test::fixtures_dir() / "npz" / fixture, bad);
        hp::test::CommandResult r = cli_errors("dataset info --classes None,Like --data " + shell_quoted(dir.path()));
        EXPECT_EQ(r.exit_code, 1) << fixture << ": " << r.output;
        std::string expected = "handposture: error: " + bad.string() + ": ";
        EXPECT_EQ(r.output.rfind(expected, 0), 0u) << fixture << ": " << r.output;
        EXPECT_NE(r.output.find(problem), std::string::npos) << fixture << ": " << r.output;
        EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    }
}

TEST(DatasetCli, BadDatasetsAreOneClearError)
{
    ScratchDir dir;
    hp::write_datalog_file(log_path(dir.path(), "None", "U", "a.npz"), uniform_log(16, 2, 200.0f, 100.0f, 0));
    fs::create_directories(dir / "Like/log__Like__U__1/npz");
    fs::copy_file(hp::test::fixtures_dir() / "npz/not_a_zip.npz", dir / "data.zip");
    fs::copy_file(hp::test::fixtures_dir() / "npz/truncated.npz", dir / "cut.zip");
    const std::pair<std::string, std::string> cases[] = {
        {"dataset info --data " + shell_quoted(dir / "absent"), (dir / "absent").string() + ": no such file or folder"},
        {"dataset info --data " + shell_quoted(dir / "None"), (dir / "None").string() + ": no class folder (expected"},
        {"dataset convert --classes None,Like --data " + shell_quoted(dir.path()) + " --out " + shell_quoted(dir / "out"),
         (dir / "Like").string() + ": class folder has no datalogs"},
        {"dataset convert --classes None,Love --data " + shell_quoted(dir.path()) + " --out " + shell_quoted(dir / "out"),
         (dir / "Love").string() + ": no folder for class 'Love'"},
        {"dataset info --classes None,Nope --data " + shell_quoted(dir.path()), "class_names: unknown class 'Nope' (known: None,"},
        {"dataset info --data " + shell_quoted(dir / "data.zip"), (dir / "data.zip").string() + ": not a zip archive"},
        {"dataset info --data " + shell_quoted(dir / "cut.zip"), (dir / "cut.zip").string() + ": truncated or damaged zip"},
        {"dataset show --classes None,Like --data " + shell_quoted(dir.path()) + " --file a.npz --frame 0",
         (dir / "Like").string() + ": class folder has no datalogs"},
        {"dataset show --classes None,FlatHand --data " + shell_quoted(dir.path()) + " --file b.npz --frame 0",
         (dir / "FlatHand").string() + ": no folder for class 'FlatHand'"},
    };
    for (const auto& [args, message] : cases) {
        hp::test::CommandResult r = cli_errors(args);
        EXPECT_EQ(r.exit_code, 1) << args << ": " << r.output;
        EXPECT_EQ(r.output.rfind("handposture: error: " + message, 0), 0u) << args << ": " << r.output;
    }
}

// What `live --record` writes: one posture's folder. `dataset info` describes it (the two-class
// minimum is training's), and lists a class asked for that has no folder as missing.
TEST(DatasetCli, InfoDescribesAFolderOfOnePosture)
{
    HP_REQUIRE_SHARED();
    ScratchDir dir;
    const hp::Dataset& reference = public_dataset();
    hp::DatasetFiles zip(hp::test::public_dataset_zip(), {});
    long read = 0, kept = 0;
    int copied = 0;
    for (size_t i = 0; i < zip.files().size() && copied < 3; ++i) {
        if (zip.files()[i].class_name != "Like") continue;
        hp::write_file_atomically(dir / ("rec/" + zip.files()[i].path), zip.read_bytes(i));
        EXPECT_EQ(reference.files[i].frames_read, zip.read(i).frames);
        read += reference.files[i].frames_read;
        kept += reference.files[i].frames_kept;
        ++copied;
    }
    ASSERT_EQ(copied, 3);

    hp::test::CommandResult r = hp::test::run_cli("dataset info --json --data " + shell_quoted(dir / "rec") + " 2>&1");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    nlohmann::json j = nlohmann::json::parse(r.output);
    EXPECT_EQ(j["classes"], nlohmann::json::array({"Like"}));
    EXPECT_TRUE(j["missing_classes"].empty()) << j["missing_classes"];
    EXPECT_EQ(j["files"], 3);
    EXPECT_EQ(j["frames_read"], read);
    EXPECT_EQ(j["frames_kept"], kept);
    EXPECT_EQ(j["per_class"]["Like"], kept);

    r = hp::test::run_cli("dataset info --json --classes Dislike,Like --data " + shell_quoted(dir / "rec") + " 2>&1");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    j = nlohmann::json::parse(r.output);
    EXPECT_EQ(j["classes"], nlohmann::json::array({"Like", "Dislike"}));
    EXPECT_EQ(j["missing_classes"]["Dislike"], "no folder for class 'Dislike'");
    EXPECT_EQ(j["per_class"]["Dislike"], 0);
    EXPECT_EQ(j["per_class"]["Like"], kept);

    r = hp::test::run_cli("dataset info --classes Dislike --data " + shell_quoted(dir / "rec"));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("missing:     Dislike: no folder for class 'Dislike'"), std::string::npos) << r.output;

    // Training is where one class is not enough.
    r = cli_errors("train --epochs 1 --classes Like --data " + shell_quoted(dir / "rec") + " --out " + shell_quoted(dir / "model"));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("at least 2 classes"), std::string::npos) << r.output;
}

TEST(DatasetCli, ShowNamesTheFrameAndWritesThePng)
{
    ScratchDir dir;
    hp::write_datalog_file(log_path(dir.path(), "None", "U", "a.npz"), uniform_log(16, 2, 200.0f, 100.0f, 0));
    hp::write_datalog_file(log_path(dir.path(), "Like", "U", "b.npz"), uniform_log(16, 2, 250.0f, 100.0f, 21));
    hp::test::CommandResult r = hp::test::run_cli("dataset show --data " + shell_quoted(dir.path()) + " --file b.npz --frame 1");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("frame 1 of 2, 4x4 zones, posture 21 (Like), 16 valid zones; preprocessing: kept"),
              std::string::npos) << r.output;
    EXPECT_NE(r.output.find(" 250 250 250 250"), std::string::npos) << r.output;
    // fontconfig (loaded by cairo for the PNG's text) keeps its caches until exit, which
    // LeakSanitizer reports; leak checking stays on for the run above.
    const char* asan = std::getenv("ASAN_OPTIONS");
    std::string saved = asan ? asan : "";
    ::setenv("ASAN_OPTIONS", (saved + (saved.empty() ? "" : ":") + "detect_leaks=0").c_str(), 1);
    r = hp::test::run_cli("dataset show --data " + shell_quoted(dir.path()) + " --file b.npz --frame 1 --png " + shell_quoted(dir / "f.png"));
    if (asan)
        ::setenv("ASAN_OPTIONS", saved.c_str(), 1);
    else
        ::unsetenv("ASAN_OPTIONS");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    std::vector<unsigned char> png = hp::read_file_bytes(dir / "f.png");
    ASSERT_GT(png.size(), 8u);
    EXPECT_EQ(png[1], 'P');
    r = cli_errors("dataset show --data " + shell_quoted(dir.path()) + " --file b.npz --frame 2");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("b.npz: no frame 2 (the file has 2)"), std::string::npos) << r.output;
    r = cli_errors("dataset show --data " + shell_quoted(dir.path()) + " --file c.npz --frame 0");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("no datalog 'c.npz'"), std::string::npos) << r.output;
}

TEST(DatasetCli, ShowScalesColorsToTheFrameShown)
{
    ScratchDir dir;
    // Frame 1 holds distances far from a hand's (2224 to 3015 mm) and three invalid zones (status 4,
    // 255) whose distances lie outside that range; frame 0 holds other distances.
    hp::Datalog log = uniform_log(16, 2, 500.0f, 100.0f, 21);
    for (int z = 0; z < 16; ++z) {
        log.distance_mm[16 + size_t(z)] = 2224.0f + 52.0f * float(z) + (z == 15 ? 11.0f : 0.0f);
        log.signal_per_spad[16 + size_t(z)] = 10.5f + float(z);
    }
    for (int z : {0, 7}) log.target_status[16 + size_t(z)] = 255;
    log.target_status[16 + 9] = 4;
    log.target_status[16 + 3] = 9;
    float low = INFINITY, high = -INFINITY;
    for (int z = 0; z < 16; ++z) {
        float status = log.target_status[16 + size_t(z)];
        if (status != 5 && status != 9) continue;
        low = std::min(low, log.distance_mm[16 + size_t(z)]);
        high = std::max(high, log.distance_mm[16 + size_t(z)]);
    }
    hp::write_datalog_file(log_path(dir.path(), "Like", "U", "b.npz"), log);
    hp::write_datalog_file(log_path(dir.path(), "None", "U", "a.npz"), uniform_log(16, 1, 200.0f, 100.0f, 0));
    hp::test::CommandResult r = hp::test::run_cli("dataset show --data " + hp::test::shell_quoted(dir.path()) + " --file b.npz --frame 1");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    char expected[128];
    std::snprintf(expected, sizeof expected, "distance (mm): %.0f to %.0f, - invalid\n", double(low), double(high));
    EXPECT_NE(r.output.find(expected), std::string::npos) << expected << " in\n" << r.output;
    EXPECT_NE(r.output.find("signal (kcps/SPAD): 11.50 to 25.50, - invalid\n"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("target_status: codes 4, 5, 9, 255\n"), std::string::npos) << r.output;
}

TEST(DatasetCli, InfoListsRecordingsOnRequest)
{
    ScratchDir dir;
    hp::write_datalog_file(log_path(dir.path(), "None", "U", "a.npz"), uniform_log(16, 2, 200.0f, 100.0f, 0));
    hp::write_datalog_file(log_path(dir.path(), "Like", "U", "b.npz"), uniform_log(16, 3, 250.0f, 100.0f, 21));
    const std::string args = "dataset info --classes None,Like --data " + hp::test::shell_quoted(dir.path());
    hp::test::CommandResult summary = hp::test::run_cli(args);
    ASSERT_EQ(summary.exit_code, 0) << summary.output;
    EXPECT_NE(summary.output.find("frames:      5 read, 5 kept"), std::string::npos) << summary.output;
    EXPECT_EQ(summary.output.find("frames per recording"), std::string::npos) << summary.output;
    EXPECT_NE(summary.output.find("--recordings lists the frames of each of the 2 recordings"), std::string::npos);
    hp::test::CommandResult listed = hp::test::run_cli(args + " --recordings");
    ASSERT_EQ(listed.exit_code, 0) << listed.output;
    size_t table = listed.output.find("frames per recording");
    ASSERT_NE(table, std::string::npos) << listed.output;
    EXPECT_NE(listed.output.find("3/3  log__Like__U__", table), std::string::npos) << listed.output;
    EXPECT_NE(listed.output.find("2/2  log__None__U__", table), std::string::npos) << listed.output;
}

TEST(DatasetCli, InfoJsonOfThePublicDataset)
{
    HP_REQUIRE_SHARED();
    hp::test::CommandResult r =
        hp::test::run_cli("dataset info --json --data " + shell_quoted(hp::test::public_dataset_zip()) + " 2>/dev/null");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    nlohmann::json j = nlohmann::json::parse(r.output);
    EXPECT_EQ(j["frames_kept"], 11443);
    EXPECT_EQ(j["frames_read"], 11448);
    EXPECT_EQ(j["dropped"]["out_of_range"], 5);
    EXPECT_EQ(j["zones"], 64);
    EXPECT_EQ(j["per_class"]["Fist"], 2274);
    EXPECT_EQ(j["per_user"]["User3"], 2172);
    EXPECT_EQ(j["per_class_user"]["Dislike"]["User1"], 753);
    EXPECT_EQ(j["recordings"], j["per_recording"].size());
}

// Dataset::append: the frames follow in order, each still names its own recording.
TEST(DatasetAppend, FramesFollowWithTheirFiles)
{
    const hp::Dataset a = hp::test::quadrant_dataset(6, 1, 8, 0.1f, 2), b = hp::test::quadrant_dataset(5, 2, 8, 0.1f, 3);
    hp::Dataset joined = a;
    joined.append(b);
    ASSERT_EQ(joined.size(), a.size() + b.size());
    ASSERT_EQ(joined.files.size(), a.files.size() + b.files.size());
    for (size_t i = 0; i < b.size(); i++) {
        const size_t j = a.size() + i;
        EXPECT_EQ(joined.labels[j], b.labels[i]);
        EXPECT_EQ(joined.user(j), b.user(i));
        EXPECT_EQ(joined.recording(j), b.recording(i));
        EXPECT_TRUE(std::equal(b.input(i), b.input(i) + b.input_size(), joined.input(j)));
    }
    for (size_t i = 0; i < a.size(); i++) EXPECT_EQ(joined.user(i), a.user(i));
    hp::Dataset smaller = hp::test::quadrant_dataset(4, 3, 4, 0.1f, 2);
    EXPECT_THROW(joined.append(smaller), hp::Error);
}
