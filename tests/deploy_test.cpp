// `handposture deploy`: the generated C99 package compiles warning-free on the host and, linked
// with firmware/harness.c, reproduces the host runtime on public frames; ST's configuration
// macros; class names; bad inputs. (The same package in QEMU: tests/qemu_deploy_check.sh.)
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include "codegen/cross.hpp"
#include "codegen/embedded_files.hpp"
#include "codegen/package.hpp"
#include "codegen/test_vectors.hpp"
#include "core/error.hpp"
#include "core/postures.hpp"
#include "data/dataset.hpp"
#include "live/session.hpp"
#include "model/class_names.hpp"
#include "model/model_file.hpp"
#include "model/runtime_model.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace hp;

namespace {


Model random_model(int classes, unsigned seed)
{
    ModelShape shape;
    shape.classes = classes;
    std::vector<std::string> names = st_default_classes();
    names.resize(size_t(classes));
    Model m = cnn2d_st_model(shape, output_order(names));
    hp::test::randomize_weights(m, seed, 0.5f);
    return m;
}

// Writes package + test vectors, compiles them with the host C compiler as strict C99 together
// with firmware/harness.c and runs the harness. Returns its output; fails the test on errors.
std::string build_and_run_host_harness(const Model& model, const fs::path& dir,
                                       const std::vector<codegen::TestFrame>& frames)
{
    codegen::DeployOptions options;
    options.class_names = model.class_names;
    auto files = codegen::package_files(model, options);
    for (auto& [name, text] : codegen::test_vector_files(model, frames)) files["test/" + name] = text;
    codegen::write_package(dir / "pkg", files);
    const std::string cmd = "cd '" + dir.string() + "' && cc -std=c99 -O2 -Wall -Wextra -Wpedantic -Werror " +
                            "-DHP_HOST_BUILD -Ipkg -Ipkg/test pkg/*.c pkg/test/*.c '" + HP_SOURCE_DIR +
                            "/firmware/harness.c' -lm -o harness > build.log 2>&1 && ./harness > run.log 2>&1";
    const int status = std::system(cmd.c_str());
    EXPECT_EQ(status, 0) << hp::test::read_text(dir / "build.log") << hp::test::read_text(dir / "run.log");
    return hp::test::read_text(dir / "run.log");
}

// The same with `count` test frames of the public dataset (codegen::make_test_frames).
std::string build_and_run_host_harness(const Model& model, const fs::path& dir, int count)
{
    codegen::DeployOptions options;
    options.class_names = model.class_names;
    return build_and_run_host_harness(model, dir,
                                      codegen::make_test_frames(model, options, test::public_dataset_zip(), count));
}

// The first `count` frames of a datalog.
Datalog first_frames(const Datalog& log, int count)
{
    Datalog out = log;
    out.frames = count;
    const size_t values = size_t(count) * size_t(log.zones);
    for (std::vector<float>* v : {&out.distance_mm, &out.signal_per_spad, &out.target_status, &out.nb_targets, &out.valid})
        v->resize(values);
    out.posture_code.resize(size_t(count));
    return out;
}

// Frame f of a datalog as the serial link gives it to live mode.
SensorFrame sensor_frame(const Datalog& log, int f)
{
    SensorFrame s;
    s.frame_counter = f;
    s.zones = log.zones;
    const auto zones_of = [&](const std::vector<float>& v) {
        const auto at = v.begin() + long(f) * log.zones;
        return std::vector<float>(at, at + log.zones);
    };
    s.distance_mm = zones_of(log.distance_mm);
    s.signal_per_spad = zones_of(log.signal_per_spad);
    s.target_status = zones_of(log.target_status);
    s.nb_targets = zones_of(log.nb_targets);
    s.valid = zones_of(log.valid);
    return s;
}

}  // namespace

TEST(Deploy, FloatLiteralsReadBackExactly)
{
    for (float v : {0.0f, -0.0f, 1.0f, -2.5f, 1e-20f, 3.4e38f, 0.1f, 123456.789f, -7.0e-5f}) {
        const std::string s = codegen::c_float(v);
        ASSERT_EQ(s.back(), 'f');
        EXPECT_EQ(std::strtof(s.c_str(), nullptr), v) << s;
        EXPECT_NE(s.find_first_of(".e"), std::string::npos) << s;  // "1f" would not be C
    }
}

TEST(Deploy, PackageCopiesTheRuntimeVerbatim)
{
    const Model model = random_model(8, 1);
    codegen::DeployOptions options;
    options.class_names = model.class_names;
    const auto files = codegen::package_files(model, options);
    int copied = 0;
    for (const std::string& name : codegen::package_runtime_files(codegen::float_app_network(model))) {
        ASSERT_TRUE(files.count(name)) << name;
        EXPECT_EQ(files.at(name), hp::test::read_text(fs::path(HP_SOURCE_DIR) / "runtime" / name))
            << name << " differs from runtime/";
        copied++;
    }
    EXPECT_GE(copied, 7);
    // Every package runs the one per-frame pipeline, calling its network directly.
    EXPECT_TRUE(files.count("hp_pipeline.h"));
    EXPECT_NE(files.at("hp_app.c").find("hp_pipeline_frame(&pipeline, &filter,"), std::string::npos);
    EXPECT_NE(files.at("hp_config.h").find("#define HP_CONFIG_PIPELINE_NETWORK hp_run\n"), std::string::npos);
    EXPECT_FALSE(files.count("hp_model_s8.c"));  // int8 runtime is not part of a float package
    for (const char* name : {"hp_app.h", "hp_app.c", "hp_model_data.c", "hp_model_data.h", "ai_model_config.h"})
        EXPECT_TRUE(files.count(name)) << name;
    // No heap; only the C library's math and string functions (and the freestanding headers).
    for (const auto& [name, text] : files) {
        EXPECT_EQ(text.find("malloc"), std::string::npos) << name;
        for (size_t at = text.find("#include <"); at != std::string::npos; at = text.find("#include <", at + 1)) {
            const std::string header = text.substr(at + 10, text.find('>', at) - at - 10);
            EXPECT_TRUE(header == "math.h" || header == "string.h" || header == "stddef.h" || header == "stdint.h")
                << name << " includes <" << header << ">";
        }
    }
}

TEST(Deploy, AiModelConfigHasStMacros)
{
    const Model model = random_model(8, 2);
    codegen::DeployOptions options;
    options.class_names = resolve_class_names(model, {}, "m.h5", "--classes");
    const std::string h = codegen::package_files(model, options).at("ai_model_config.h");
    // ST's generated header for the 8-class VL53L8CX model lists these, in this order.
    EXPECT_NE(h.find("#define NB_CLASSES (8)"), std::string::npos) << h;
    EXPECT_NE(h.find("#define INPUT_HEIGHT (8)"), std::string::npos);
    EXPECT_NE(h.find("#define INPUT_WIDTH (8)"), std::string::npos);
    EXPECT_NE(h.find("#define INPUT_CHANNELS (2)"), std::string::npos);
    EXPECT_NE(h.find("{\"None\", \"FlatHand\", \"Like\", \"Love\", \"Dislike\", \"BreakTime\", \"CrossHands\", \"Fist\"}"),
              std::string::npos) << h;
    EXPECT_NE(h.find("evk_label_table[NB_CLASSES] = {0, 20, 21, 24, 25, 27, 28, 32}"), std::string::npos) << h;
    EXPECT_NE(h.find("#define BACKGROUND_REMOVAL (120)"), std::string::npos);
    EXPECT_NE(h.find("#define MAX_DISTANCE (400)"), std::string::npos);
    EXPECT_NE(h.find("#define MIN_DISTANCE (100)"), std::string::npos);
}

TEST(Deploy, ClassNamesComeFromConfigThenModelThenStDefault)
{
    Model model = random_model(3, 3);
    model.class_names.clear();
    EXPECT_THROW(resolve_class_names(model, {}, "m.h5", "--classes"), Error);  // 3 classes, no names
    const std::vector<std::string> config = output_order({"Fist", "None", "Like"});
    EXPECT_EQ(resolve_class_names(model, config, "m.h5", "--classes"), (std::vector<std::string>{"None", "Like", "Fist"}));
    model.class_names = {"None", "FlatHand", "Fist"};
    EXPECT_EQ(resolve_class_names(model, {}, "m.h5", "--classes"), model.class_names);
    EXPECT_THROW(resolve_class_names(model, {"None", "Like"}, "m.h5", "--classes"), Error);  // count mismatch
    Model eight = random_model(8, 3);
    eight.class_names.clear();
    EXPECT_EQ(resolve_class_names(eight, {}, "m.h5", "--classes"), st_default_classes());
}

TEST(Deploy, PackageWriteIsAtomic)
{
    test::ScratchDir dir;
    codegen::write_package(dir / "out", {{"a.c", "int a;\n"}, {"hp_app.h", ""}});
    codegen::write_package(dir / "out", {{"b.c", "int b;\n"}, {"hp_app.h", ""}});  // replaces the whole package
    EXPECT_FALSE(fs::exists(dir / "out" / "a.c"));
    EXPECT_TRUE(fs::exists(dir / "out" / "b.c"));
    EXPECT_FALSE(fs::exists(dir / "out.tmp"));
    EXPECT_THROW(codegen::write_package("/", {{"a.c", "int a;\n"}}), Error);
    EXPECT_THROW(codegen::write_package(dir / "out" / "..", {{"a.c", "int a;\n"}}), Error);  // not a package
    EXPECT_TRUE(fs::exists(dir / "out" / "b.c"));
    {
        std::ofstream file(dir / "plain");
        file << "x";
    }
    EXPECT_THROW(codegen::write_package(dir / "plain", {{"a.c", "int a;\n"}}), Error);  // a file, not a folder
    EXPECT_EQ(hp::test::read_text(dir / "plain"), "x");
    fs::create_directories(dir / "ro");
    fs::permissions(dir / "ro", fs::perms::owner_read | fs::perms::owner_exec);
    if (::geteuid() != 0) {
        EXPECT_THROW(codegen::write_package(dir / "ro" / "pkg", {{"a.c", "int a;\n"}}), Error);
        EXPECT_FALSE(fs::exists(dir / "ro" / "pkg"));
    }
    fs::permissions(dir / "ro", fs::perms::owner_all);
}

TEST(Deploy, HostBuildOfPackageMatchesHostRuntime)
{
    HP_REQUIRE_SHARED();
    test::ScratchDir dir;
    Model st = read_keras_h5(test::st_pretrained_h5());
    st.class_names = st_default_classes();
    const std::string out = build_and_run_host_harness(st, dir.path(), 200);
    EXPECT_NE(out.find("PASS: 200 frames"), std::string::npos) << out;
}

// One recording, with frames made invalid in three ways, through live mode, `predict` and the
// package built for the host: the same valid frames, the same scores, the same classes.
static void expect_live_predict_and_package_agree(const Model& st, const fs::path& model_file, const test::ScratchDir& dir)
{
    DatasetFiles dataset(test::public_dataset_zip(), {});
    Datalog log = first_frames(dataset.read(dataset.files().size() / 3), 40);
    for (int f = 0; f < log.frames; f++) ASSERT_FALSE(log.frame_has_nan(f)) << f;
    const auto zones_of = [&](std::vector<float>& v, int f) { return v.begin() + long(f) * log.zones; };
    std::fill(zones_of(log.target_status, 10), zones_of(log.target_status, 11), 255.0f);  // no valid zone
    std::fill(zones_of(log.distance_mm, 11), zones_of(log.distance_mm, 12), 50.0f);       // too near
    // No target counted (the public recordings have no counts: the other frames leave them unknown).
    std::fill(zones_of(log.nb_targets, 25), zones_of(log.nb_targets, 26), 0.0f);
    const fs::path npz = dir / "frames.npz";
    write_datalog_file(npz, log);

    // Live mode, frame by frame; the package's test vectors expect what it gave.
    LiveSession session(st);
    const hp_model_f32 view = hp::runtime_view(*hp::as_cnn2d_st(st));
    std::vector<float> scratch(hp_model_f32_scratch_floats(&view));
    std::vector<LiveResult> live;
    std::vector<codegen::TestFrame> vectors;
    int valid = 0;
    for (int f = 0; f < log.frames; f++) {
        const SensorFrame frame = sensor_frame(log, f);
        live.push_back(session.process(frame));
        const LiveResult& r = live.back();
        codegen::TestFrame t;
        t.distance_mm = frame.distance_mm;
        t.signal_per_spad = frame.signal_per_spad;
        t.target_status.assign(frame.target_status.begin(), frame.target_status.end());
        for (float nb : frame.nb_targets) t.nb_targets.push_back(std::isnan(nb) ? 1 : static_cast<unsigned char>(nb));
        t.tensor = session.input();
        t.scores.resize(8);  // the package's hp_run on the tensor: the network alone, valid frame or not
        ASSERT_EQ(hp_model_f32_run(&view, t.tensor.data(), t.scores.data(), scratch.data()), 0);
        if (r.valid) EXPECT_EQ(r.scores, t.scores) << f;
        else EXPECT_EQ(r.scores, std::vector<float>(8, 0.0f)) << f;
        t.valid = r.valid;
        t.raw_class = r.raw_class;
        t.filtered_class = r.filtered_class;
        vectors.push_back(t);
        valid += r.valid;
    }
    for (int f : {10, 11, 25}) EXPECT_FALSE(live[size_t(f)].valid) << f;
    ASSERT_GT(valid, 30);

    const std::string out = build_and_run_host_harness(st, dir.path(), vectors);
    EXPECT_NE(out.find("PASS: 40 frames (" + std::to_string(valid) + " valid)"), std::string::npos) << out;

    // `predict` (evaluation's path: dataset preprocessing, batch inference): one row per valid frame.
    const fs::path csv = dir / "predict.csv";
    const auto predicted = test::run_cli("predict --model " + model_file.string() + " --npz " +
                                         npz.string() + " --out " + csv.string());
    ASSERT_EQ(predicted.exit_code, 0) << predicted.output;
    int predicted_rows = 0;
    for (const std::vector<std::string>& cells : test::read_csv_rows(csv)) {
        ASSERT_EQ(cells.size(), 12u) << predicted_rows;
        const size_t f = size_t(std::stoi(cells[1]));
        ASSERT_LT(f, live.size());
        EXPECT_TRUE(live[f].valid) << f;
        for (size_t c = 0; c < 8; c++) EXPECT_NEAR(std::stof(cells[4 + c]), live[f].scores[c], 1e-6) << f;
        predicted_rows++;
    }
    EXPECT_EQ(predicted_rows, valid);
}

TEST(Deploy, LivePredictAndPackageAgreeOnTheSameFrames)
{
    HP_REQUIRE_SHARED();
    test::ScratchDir dir;
    Model st = read_keras_h5(test::st_pretrained_h5());
    st.class_names = st_default_classes();
    expect_live_predict_and_package_agree(st, test::st_pretrained_h5(), dir);
}

// A model of relative distances: each path takes the mode from the model (live's session, the
// package's hp_app.c, predict's dataset preprocessing), so they agree again; and the tensor is
// not the absolute one.
TEST(Deploy, LivePredictAndPackageAgreeForARelativeDistanceModel)
{
    HP_REQUIRE_SHARED();
    test::ScratchDir dir;
    Model relative = read_keras_h5(test::st_pretrained_h5());
    relative.class_names = st_default_classes();
    relative.distance_mode = HP_DISTANCE_RELATIVE;
    write_keras_h5(dir / "relative.h5", relative);
    expect_live_predict_and_package_agree(relative, dir / "relative.h5", dir);
    const std::string app = test::read_text(dir / "pkg/hp_app.c");
    EXPECT_NE(app.find(".distance_mode = HP_DISTANCE_RELATIVE"), std::string::npos);
}

TEST(Deploy, HostBuildOfTwoClassSigmoidPackage)
{
    HP_REQUIRE_SHARED();
    test::ScratchDir dir;
    const std::string out = build_and_run_host_harness(random_model(2, 5), dir.path(), 40);
    EXPECT_NE(out.find("PASS: 40 frames"), std::string::npos) << out;
}

TEST(Deploy, CliTakesClassesAndPreprocessingFromUserConfig)
{
    HP_REQUIRE_SHARED();
    test::ScratchDir dir;
    {
        std::ofstream cfg(dir / "user_config.yaml");
        cfg << "dataset:\n  class_names: [None, Like, Dislike, FlatHand, Fist, Love, BreakTime, CrossHands]\n"
               "preprocessing:\n  Max_distance: 350\n  Min_distance: 150\n  Background_distance: 120\n";
    }
    const auto r = test::run_cli("deploy --model '" + test::st_pretrained_h5().string() + "' --out '" +
                                 (dir / "pkg").string() + "' --target generic --config '" +
                                 (dir / "user_config.yaml").string() + "' --threshold 0.8 --filter-n 2");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::string h = hp::test::read_text(dir / "pkg" / "ai_model_config.h");
    EXPECT_NE(h.find("#define MAX_DISTANCE (350)"), std::string::npos) << h;
    EXPECT_NE(h.find("#define MIN_DISTANCE (150)"), std::string::npos) << h;
    EXPECT_NE(h.find("{\"None\", \"FlatHand\", \"Like\", \"Love\", \"Dislike\", \"BreakTime\", \"CrossHands\", \"Fist\"}"),
              std::string::npos) << h;
    const std::string app = hp::test::read_text(dir / "pkg" / "hp_app.c");
    EXPECT_NE(app.find("hp_postprocess_config postprocess = {.score_threshold = 0.800000012f, .label_filter_n = 2, .keep_last_valid = 1}"),
              std::string::npos) << app;
    EXPECT_NE(app.find("hp_preprocess_config preprocess = {.max_distance = 350.0f, .min_distance = 150.0f, .background_distance = 120.0f, .distance_mode = HP_DISTANCE_ABSOLUTE}"),
              std::string::npos) << app;
    EXPECT_NE(hp::test::read_text(dir / "pkg" / "README.md").find("Not measured"), std::string::npos);  // generic target
}

TEST(Deploy, CliBadInputsFailCleanly)
{
    test::ScratchDir dir;
    auto r = test::run_cli("deploy --model '" + (dir / "none.h5").string() + "' --out '" + (dir / "pkg").string() + "'");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("none.h5: no such file"), std::string::npos) << r.output;
    {
        std::ofstream junk(dir / "junk.h5");
        junk << "not an hdf5 file";
    }
    r = test::run_cli("deploy --model '" + (dir / "junk.h5").string() + "' --out '" + (dir / "pkg").string() + "'");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("junk.h5"), std::string::npos) << r.output;
    r = test::run_cli("deploy --model '" + (dir / "junk.h5").string() + "' --out '" + (dir / "pkg").string() +
                      "' --target cortex-a53");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("cortex-a53"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(dir / "pkg"));
    EXPECT_FALSE(fs::exists(dir / "pkg.tmp"));
    // bench without the cross tools: one clear error naming them.
    const std::string cli = HP_CLI;
    const std::string cmd = "PATH=/nonexistent '" + cli + "' bench --target cortex-m4 --model '" +
                            (dir / "junk.h5").string() + "' > '" + (dir / "bench.log").string() + "' 2>&1";
    EXPECT_EQ(WEXITSTATUS(std::system(cmd.c_str())), 1);
    const std::string log = hp::test::read_text(dir / "bench.log");
    EXPECT_NE(log.find("needs arm-none-eabi-gcc"), std::string::npos) << log;
    EXPECT_NE(log.find("qemu-system-arm"), std::string::npos) << log;
}

TEST(Deploy, FourByFourPackageCompilesStrictly)
{
    test::ScratchDir dir;
    ModelShape shape;
    shape.height = shape.width = 4;
    Model m = cnn2d_st_model(shape, st_default_classes());
    codegen::DeployOptions options;
    options.class_names = m.class_names;
    codegen::write_package(dir / "pkg", codegen::package_files(m, options));
    const std::string app = hp::test::read_text(dir / "pkg" / "hp_app.h");
    EXPECT_NE(app.find("#define HP_APP_ZONES 16"), std::string::npos) << app;
    const std::string cmd = "cd '" + dir.path().string() +
                            "' && cc -std=c99 -Wall -Wextra -Wpedantic -Werror -c pkg/*.c > build.log 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << hp::test::read_text(dir / "build.log");
}

TEST(Deploy, CortexM4TimingTableFollowsTheTrm)
{
    using codegen::cortex_m4_cycles;
    // Cortex-M4 TRM r0p1 Table 3-1 (P = 2 taken as the refill) and Table 7-1.
    EXPECT_EQ(cortex_m4_cycles("adds", "r0, r1, r2", false, false).first, 1);
    EXPECT_EQ(cortex_m4_cycles("mla", "r0, r1, r2, r3", false, false).first, 1);
    EXPECT_EQ(cortex_m4_cycles("ldr", "r0, [r1, #4]", false, false).first, 2);
    EXPECT_EQ(cortex_m4_cycles("ldr.w", "r0, [r1, #4]", false, true).first, 1);  // pipelined after a load
    EXPECT_EQ(cortex_m4_cycles("ldrd", "r0, r1, [r2]", false, false).first, 3);
    EXPECT_EQ(cortex_m4_cycles("push", "{r4, r5, r6, lr}", false, false).first, 5);
    EXPECT_EQ(cortex_m4_cycles("pop", "{r4, r5, pc}", true, false).first, 6);  // 1 + N + P
    EXPECT_EQ(cortex_m4_cycles("bne.n", "8a4c <x>", true, false).first, 3);
    EXPECT_EQ(cortex_m4_cycles("bne.n", "8a4c <x>", false, false).first, 1);
    EXPECT_EQ(cortex_m4_cycles("bls.n", "8a4c <x>", false, false).second, "branch");
    EXPECT_EQ(cortex_m4_cycles("bl", "8a4c <hp_run>", true, false).first, 3);
    EXPECT_EQ(cortex_m4_cycles("vmla.f32", "s0, s1, s2", false, false).first, 3);
    EXPECT_EQ(cortex_m4_cycles("vfma.f32", "s0, s1, s2", false, false).first, 3);
    EXPECT_EQ(cortex_m4_cycles("vadd.f32", "s0, s1, s2", false, false).first, 1);
    EXPECT_EQ(cortex_m4_cycles("vdiv.f32", "s0, s1, s2", false, false).first, 14);
    EXPECT_EQ(cortex_m4_cycles("vldr", "s15, [r3, #4]", false, false).first, 2);
    EXPECT_EQ(cortex_m4_cycles("vldmia", "r3!, {s8-s15}", false, false).first, 9);
    EXPECT_EQ(cortex_m4_cycles("vpush", "{d8-d9}", false, false).first, 5);  // two D = four S registers
    EXPECT_EQ(cortex_m4_cycles("vmov", "r0, r1, d0", false, false).first, 2);
    EXPECT_EQ(cortex_m4_cycles("vmov", "s0, r0", false, false).first, 1);
}
