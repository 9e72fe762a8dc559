// Acceptance of evaluation and prediction against ST's own figures: ST's pretrained VL53L8CX
// model on the public dataset gives 98.96 % (11,324 of 11,443 frames), and every probability
// matches reference/st_vl53l8cx_pretrained_expected.csv within 1e-5 — through the library and
// through the CLI. Also the CLI's export and error paths.
#include <onnx/onnx_pb.h>

#include <fstream>
#include <map>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/postures.hpp"
#include "data/datalog.hpp"
#include "data/dataset.hpp"
#include "data/zip_reader.hpp"
#include "eval/metrics.hpp"
#include "model/model_file.hpp"
#include "model/predict.hpp"
#include "test_support.hpp"

namespace {

using hp::test::shell_quoted;

constexpr long kKeptFrames = 11443;
constexpr long kCorrectFrames = 11324;  // 98.96 %
constexpr double kTolerance = 1e-5;

struct Row {
    int label = -1, pred = -1;
    std::vector<double> p;
};
using Key = std::pair<std::string, int>;  // (file, frame)

std::vector<std::string> split(const std::string& line)
{
    std::vector<std::string> fields;
    std::stringstream ss(line);
    for (std::string f; std::getline(ss, f, ',');) fields.push_back(f);
    return fields;
}

// Rows of a CSV whose first columns are file,frame,label and whose probabilities start at p0.
std::map<Key, Row> read_rows(const std::filesystem::path& path)
{
    std::ifstream in(path);
    EXPECT_TRUE(in) << path;
    std::string line;
    std::getline(in, line);
    const std::vector<std::string> header = split(line);
    const size_t p0 = size_t(std::find(header.begin(), header.end(), "p0") - header.begin());
    const size_t pred = size_t(std::find(header.begin(), header.end(), "pred") - header.begin());
    std::map<Key, Row> rows;
    while (std::getline(in, line)) {
        const std::vector<std::string> f = split(line);
        Row r;
        r.label = std::stoi(f[2]);
        if (pred < header.size()) r.pred = std::stoi(f[pred]);
        for (size_t k = p0; k < f.size(); k++) r.p.push_back(std::stod(f[k]));
        EXPECT_TRUE(rows.emplace(Key{f[0], std::stoi(f[1])}, r).second) << "duplicate row " << f[0] << " " << f[1];
    }
    return rows;
}

std::filesystem::path expected_csv() { return hp::test::shared_dir() / "reference/st_vl53l8cx_pretrained_expected.csv"; }

const hp::Dataset& public_dataset()
{
    static const hp::Dataset ds = hp::load_dataset(hp::test::public_dataset_zip(), {});
    return ds;
}

}  // namespace

TEST(Evaluate, StPretrainedModelMatchesStExpectationsThroughTheLibrary)
{
    HP_REQUIRE_SHARED();
    const hp::Model model = hp::read_keras_h5(hp::test::st_pretrained_h5());
    const hp::Dataset& ds = public_dataset();
    ASSERT_EQ(long(ds.size()), kKeptFrames);
    const std::vector<float> scores = hp::predict_scores(model, ds.inputs.data(), ds.size(), 0);
    ASSERT_EQ(scores.size(), ds.size() * 8);

    const hp::Metrics m = hp::compute_metrics(scores, 8, ds.labels, ds.class_names);
    EXPECT_EQ(m.frames, kKeptFrames);
    long correct = 0;
    for (size_t c = 0; c < 8; c++) correct += m.confusion[c][c];
    EXPECT_EQ(correct, kCorrectFrames);
    EXPECT_NEAR(100 * m.accuracy, 98.96, 0.005);

    const std::map<Key, Row> expected = read_rows(expected_csv());
    ASSERT_EQ(expected.size(), ds.size());
    double worst = 0;
    for (size_t i = 0; i < ds.size(); i++) {
        const Key key{ds.files[size_t(ds.file_index[i])].path, ds.frame_index[i]};
        auto it = expected.find(key);
        ASSERT_NE(it, expected.end()) << key.first << " frame " << key.second << " is not in the reference";
        EXPECT_EQ(ds.labels[i], it->second.label) << key.first << " frame " << key.second;
        for (size_t k = 0; k < 8; k++) {
            const double diff = std::abs(double(scores[i * 8 + k]) - it->second.p[k]);
            worst = std::max(worst, diff);
            ASSERT_LE(diff, kTolerance) << key.first << " frame " << key.second << " p" << k;
        }
    }
    RecordProperty("max_abs_difference", std::to_string(worst));
}

TEST(Evaluate, CliPredictCsvMatchesStExpectations)
{
    HP_REQUIRE_SHARED();
    hp::test::ScratchDir dir;
    const auto r = hp::test::run_cli("predict --model " + shell_quoted(hp::test::st_pretrained_h5()) + " --data " +
                                     shell_quoted(hp::test::public_dataset_zip()) + " --out " + shell_quoted(dir / "preds.csv"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::map<Key, Row> ours = read_rows(dir / "preds.csv");
    const std::map<Key, Row> expected = read_rows(expected_csv());
    ASSERT_EQ(ours.size(), expected.size());
    long correct = 0;
    for (const auto& [key, e] : expected) {
        auto it = ours.find(key);
        ASSERT_NE(it, ours.end()) << key.first << " frame " << key.second << " missing from the CLI's CSV";
        const Row& o = it->second;
        EXPECT_EQ(o.label, e.label);
        ASSERT_EQ(o.p.size(), 8u);
        for (size_t k = 0; k < 8; k++) ASSERT_NEAR(o.p[k], e.p[k], kTolerance) << key.first << " frame " << key.second;
        EXPECT_EQ(o.pred, int(std::max_element(o.p.begin(), o.p.end()) - o.p.begin()));
        correct += o.pred == o.label;
    }
    EXPECT_EQ(correct, kCorrectFrames);
}

TEST(Evaluate, CliEvaluateReportsAccuracyJsonAndConfusionImage)
{
    HP_REQUIRE_SHARED();
    hp::test::ScratchDir dir;
    const auto r = hp::test::run_cli("evaluate --model " + shell_quoted(hp::test::st_pretrained_h5()) + " --data " +
                                     shell_quoted(hp::test::public_dataset_zip()) + " --report " + shell_quoted(dir / "report"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("accuracy 98.96 %"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("11324 correct"), std::string::npos) << r.output;

    std::ifstream in(dir / "report/metrics.json");
    ASSERT_TRUE(in);
    const nlohmann::json j = nlohmann::json::parse(in);
    EXPECT_EQ(j["frames"], kKeptFrames);
    EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), double(kCorrectFrames) / double(kKeptFrames));
    EXPECT_EQ(j["class_names"], nlohmann::json(hp::st_default_classes()));
    long total = 0, diagonal = 0;
    for (size_t a = 0; a < 8; a++)
        for (size_t b = 0; b < 8; b++) {
            total += j["confusion"][a][b].get<long>();
            if (a == b) diagonal += j["confusion"][a][b].get<long>();
        }
    EXPECT_EQ(total, kKeptFrames);
    EXPECT_EQ(diagonal, kCorrectFrames);
    EXPECT_EQ(j["per_class"][0]["support"], 382);  // None
    EXPECT_EQ(j["per_class"][7]["support"], 2274);  // Fist

    const std::vector<unsigned char> png = hp::read_file_bytes(dir / "report/confusion_matrix.png");
    ASSERT_GT(png.size(), 8u);
    EXPECT_EQ(std::string(png.begin() + 1, png.begin() + 4), "PNG");

    const auto js = hp::test::run_cli("evaluate --json --threads 1 --model " + shell_quoted(hp::test::st_pretrained_h5()) +
                                      " --data " + shell_quoted(hp::test::public_dataset_zip()));
    ASSERT_EQ(js.exit_code, 0) << js.output;
    EXPECT_EQ(nlohmann::json::parse(js.output)["confusion"], j["confusion"]);
}

TEST(Evaluate, CliPredictOneNpzKeepsStFrameIndices)
{
    HP_REQUIRE_SHARED();
    // A None recording whose frames 9..12 are dropped by the range test.
    const std::string name =
        "data_None__User1__1__VL53L8__handposture_api__8x8__20230503_164753_ends164758.785.npz";
    hp::test::ScratchDir dir;
    const std::vector<unsigned char> zip_bytes = hp::read_file_bytes(hp::test::public_dataset_zip());
    hp::ZipReader zip(zip_bytes, "dataset zip");
    std::string entry;
    for (size_t i = 0; i < zip.size(); i++)
        if (zip.entry_name(i).ends_with("/" + name)) {
            hp::write_file_atomically(dir / name, zip.read(i));
            entry = zip.entry_name(i);
        }
    ASSERT_FALSE(entry.empty());
    const std::string relative = entry.substr(entry.find('/') + 1);  // below the zip's top folder

    const auto r = hp::test::run_cli("predict --model " + shell_quoted(hp::test::st_pretrained_h5()) + " --npz " +
                                     shell_quoted(dir / name) + " --out " + shell_quoted(dir / "one.csv") + " --dump-inputs " +
                                     shell_quoted(dir / "one.bin"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::map<Key, Row> ours = read_rows(dir / "one.csv");
    const std::map<Key, Row> expected = read_rows(expected_csv());
    size_t matched = 0;
    for (const auto& [key, e] : expected) {
        if (key.first != relative) continue;
        auto it = ours.find(Key{name, key.second});
        ASSERT_NE(it, ours.end()) << "frame " << key.second;
        EXPECT_EQ(it->second.label, 0);
        for (size_t k = 0; k < 8; k++) EXPECT_NEAR(it->second.p[k], e.p[k], kTolerance) << "frame " << key.second;
        matched++;
    }
    EXPECT_GT(matched, 0u);
    EXPECT_EQ(ours.size(), matched);
    EXPECT_EQ(ours.count(Key{name, 9}), 0u);
    EXPECT_EQ(std::filesystem::file_size(dir / "one.bin"), matched * 128 * sizeof(float));
}

TEST(Evaluate, CliExportH5RoundTripsAndOnnxParses)
{
    HP_REQUIRE_SHARED();
    hp::test::ScratchDir dir;
    const hp::Model original = hp::read_keras_h5(hp::test::st_pretrained_h5());
    auto r = hp::test::run_cli("export --model " + shell_quoted(hp::test::st_pretrained_h5()) + " --format h5 --out " +
                               shell_quoted(dir / "copy.h5"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const hp::Model copy = hp::read_keras_h5(dir / "copy.h5");
    EXPECT_EQ(copy.input, original.input);
    EXPECT_EQ(copy.layers, original.layers);
    EXPECT_EQ(copy.class_names, hp::st_default_classes());

    r = hp::test::run_cli("export --model " + shell_quoted(dir / "copy.h5") + " --format onnx --out " + shell_quoted(dir / "m.onnx"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::vector<unsigned char> bytes = hp::read_file_bytes(dir / "m.onnx");
    onnx::ModelProto proto;
    ASSERT_TRUE(proto.ParseFromArray(bytes.data(), int(bytes.size())));
    EXPECT_EQ(proto.graph().input(0).name(), "input");
}

TEST(Evaluate, CliErrorsNameTheFileAndExitOne)
{
    hp::test::ScratchDir dir;
    const std::string missing_model = (dir / "nope.h5").string();
    auto r = hp::test::run_cli("evaluate --model " + shell_quoted(missing_model) + " --data " + shell_quoted(dir.path()));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("nope.h5: model file not found"), std::string::npos) << r.output;

    r = hp::test::run_cli("predict --model " + shell_quoted(missing_model) + " --npz x.npz --out " + shell_quoted(dir / "p.csv"));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_FALSE(std::filesystem::exists(dir / "p.csv"));

    r = hp::test::run_cli("export --model " + shell_quoted(missing_model) + " --format onnx --out " + shell_quoted(dir / "m.onnx"));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_FALSE(std::filesystem::exists(dir / "m.onnx"));

    r = hp::test::run_cli("export --model m.h5 --format tflite --out x");
    EXPECT_NE(r.exit_code, 0) << r.output;

    HP_REQUIRE_SHARED();
    const std::string model = shell_quoted(hp::test::st_pretrained_h5());
    r = hp::test::run_cli("evaluate --model " + model + " --data " + shell_quoted(dir / "no_such_dataset"));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("no_such_dataset: dataset not found"), std::string::npos) << r.output;

    r = hp::test::run_cli("evaluate --model " + model + " --data " + shell_quoted(dir.path()) + " --classes None,Fist,Like");
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("--classes list 3 classes but the model has 8"), std::string::npos) << r.output;

    hp::write_text_atomically(dir / "junk.h5", "not an hdf5 file");
    r = hp::test::run_cli("predict --model " + shell_quoted(dir / "junk.h5") + " --data " + shell_quoted(hp::test::public_dataset_zip()) +
                          " --out " + shell_quoted(dir / "p.csv"));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("junk.h5"), std::string::npos) << r.output;

    hp::write_text_atomically(dir / "junk.npz", "not a zip");
    r = hp::test::run_cli("predict --model " + model + " --npz " + shell_quoted(dir / "junk.npz") + " --out " + shell_quoted(dir / "p.csv"));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("junk.npz"), std::string::npos) << r.output;
    EXPECT_FALSE(std::filesystem::exists(dir / "p.csv"));
}

// Datalogs written here: a 4x4 one (wrong size for an 8x8 model) and an 8x8 one whose frames
// carry an unknown and an absurd posture code (label -1, never a crash).
TEST(Evaluate, CliPredictNpzChecksSizesAndUnknownPostures)
{
    HP_REQUIRE_SHARED();
    hp::test::ScratchDir dir;
    auto make = [](int zones, std::vector<float> codes) {
        hp::Datalog log;
        log.zones = zones;
        log.frames = int(codes.size());
        const size_t n = size_t(zones) * codes.size();
        log.distance_mm.assign(n, 250.0f);
        log.signal_per_spad.assign(n, 300.0f);
        log.target_status.assign(n, 5.0f);
        log.nb_targets.assign(n, 1.0f);
        log.valid.assign(n, 1.0f);
        log.posture_code = std::move(codes);
        return log;
    };
    hp::write_datalog_file(dir / "small.npz", make(16, {32, 32}));
    hp::write_datalog_file(dir / "odd.npz", make(64, {32, 99, 1e30f}));
    hp::write_datalog_file(dir / "fist.npz", make(64, {32}));
    const std::string model = shell_quoted(hp::test::st_pretrained_h5());

    auto r = hp::test::run_cli("predict --model " + model + " --npz " + shell_quoted(dir / "small.npz") + " --out " +
                               shell_quoted(dir / "p.csv"));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("small.npz: frames are 4x4x2 but the model expects 8x8x2"), std::string::npos) << r.output;
    EXPECT_FALSE(std::filesystem::exists(dir / "p.csv"));

    r = hp::test::run_cli("predict --model " + model + " --npz " + shell_quoted(dir / "odd.npz") + " " + shell_quoted(dir / "fist.npz") +
                          " --out " + shell_quoted(dir / "p.csv"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::map<Key, Row> rows = read_rows(dir / "p.csv");
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows.at(Key{"fist.npz", 0}).label, 7);
    EXPECT_EQ(rows.at(Key{"odd.npz", 0}).label, 7);  // Fist
    EXPECT_EQ(rows.at(Key{"odd.npz", 1}).label, -1);
    EXPECT_EQ(rows.at(Key{"odd.npz", 2}).label, -1);
}
