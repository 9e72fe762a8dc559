// `handposture deploy --target st-getting-started` with ST's unmodified hand-posture board
// application (../shared/st_getting_started, copied to a scratch folder): the generated Makefile
// builds the whole firmware for a float32 and an int8 model with no undefined symbol and no
// Cube.AI library; ST's own app_network.c runs on a Cortex-M4 in QEMU with frames of public
// datalogs and every frame's validity, scores and posture match the host runtime (scores within
// 1e-5 for float32, bit for bit for int8); bad projects and models get one clear error and
// leave the copy unchanged. Skipped without ST's material or the Cortex-M tools.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/postures.hpp"
#include "data/datalog.hpp"
#include "data/zip_reader.hpp"
#include "hp_postprocess.h"
#include "hp_preprocess.h"
#include "model/model_file.hpp"
#include "quant/model_any.hpp"
#include "quant/quant_file.hpp"
#include "quant/quant_model.hpp"
#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;

fs::path st_app_source() { return hp::test::shared_dir() / "st_getting_started"; }

#define REQUIRE_ST_APP()                                                                          \
    do {                                                                                          \
        HP_REQUIRE_SHARED();                                                                      \
        if (!fs::exists(st_app_source() / "Application")) GTEST_SKIP() << "no " << st_app_source(); \
        if (!hp::test::cortex_tools_available()) GTEST_SKIP() << "no arm-none-eabi-gcc / qemu-system-arm"; \
    } while (0)

fs::path scratch(const std::string& name)
{
    const fs::path p = fs::temp_directory_path() / ("hp-st-app-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
}

fs::path copy_st_app(const fs::path& dir)
{
    fs::remove_all(dir);
    fs::copy(st_app_source(), dir, fs::copy_options::recursive);
    return dir;
}

// Every file under dir (relative path -> bytes).
std::map<std::string, std::string> snapshot(const fs::path& dir)
{
    std::map<std::string, std::string> files;
    if (!fs::exists(dir)) return files;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) files[fs::relative(e.path(), dir).string()] = hp::test::read_text(e.path());
    return files;
}

int run_shell(const std::string& command, std::string* output)
{
    const fs::path log = fs::temp_directory_path() / ("hp-st-app-log-" + std::to_string(::getpid()));
    const int status = std::system((command + " >'" + log.string() + "' 2>&1").c_str());
    *output = hp::test::read_text(log);
    fs::remove(log);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string deploy_args(const fs::path& app, const fs::path& model)
{
    return "deploy --model '" + model.string() + "' --target st-getting-started --project '" + app.string() + "'";
}

hp::test::CommandResult deploy_into(const fs::path& app, const fs::path& model)
{
    return hp::test::run_cli(deploy_args(app, model));
}

// ---- public frames in ST's sensor result format ---------------------------------------------

// Frames as the VL53LMZ driver gives them: distance in 14.2 and signal in 21.11 fixed point.
struct SensorFrames {
    size_t count = 0;
    std::vector<int16_t> distance;   // [count][64]
    std::vector<uint32_t> signal;    // [count][64]
    std::vector<uint8_t> status, nb;  // [count][64]

    // Frame f as floats, converted as ST's AI_CopyInputData does (value / 4.0, value / 2048.0).
    void floats(size_t f, float* d, float* s, float* st, float* n) const
    {
        for (size_t z = 0; z < 64; z++) {
            d[z] = float(distance[f * 64 + z] / 4.0);
            s[z] = float(signal[f * 64 + z] / 2048.0);
            st[z] = status[f * 64 + z];
            n[z] = nb[f * 64 + z];
        }
    }
};

// True when ST's frame validation (strict comparisons, app_network.c) and the training
// semantics of hp_preprocess.h (inclusive) may disagree: the nearest valid target exactly at
// 100 or 400 mm, or a valid zone exactly 120 mm behind it. Such frames are left out.
bool on_st_boundary(const float* d, const float* st, const float* n)
{
    float nearest = 4000.0f;
    for (int z = 0; z < 64; z++)
        if (n[z] > 0 && (st[z] == 5 || st[z] == 9) && d[z] < nearest) nearest = d[z];
    if (nearest == 100.0f || nearest == 400.0f) return true;
    for (int z = 0; z < 64; z++)
        if (n[z] > 0 && (st[z] == 5 || st[z] == 9) && d[z] == nearest + 120.0f) return true;
    return false;
}

// Frames of every 16th datalog of ST's public VL53L8CX dataset (several postures), in order.
SensorFrames public_frames(size_t max_frames)
{
    const auto bytes = hp::read_file_bytes(hp::test::public_dataset_zip());
    hp::ZipReader zip(bytes, hp::test::public_dataset_zip().string());
    SensorFrames out;
    size_t npz = 0;
    for (size_t i = 0; i < zip.size() && out.count < max_frames; i++) {
        const std::string name = zip.entry_name(i);
        if (!name.ends_with(".npz") || npz++ % 16 != 0) continue;
        const auto entry = zip.read(i);
        const hp::Datalog log = hp::read_datalog(entry, name);
        if (log.zones != 64) continue;
        for (int f = 0; f < log.frames && out.count < max_frames; f++) {
            if (log.frame_has_nan(f)) continue;
            SensorFrames one;
            one.count = 1;
            for (int z = 0; z < 64; z++) {
                const size_t k = size_t(f) * 64 + size_t(z);
                one.distance.push_back(int16_t(std::lround(log.distance_mm[k] * 4)));
                one.signal.push_back(uint32_t(std::lround(log.signal_per_spad[k] * 2048)));
                one.status.push_back(uint8_t(log.target_status[k]));
                one.nb.push_back(log.has_nb_targets() ? uint8_t(log.nb_targets[k]) : uint8_t(1));
            }
            float d[64], s[64], st[64], n[64];
            one.floats(0, d, s, st, n);
            if (on_st_boundary(d, st, n)) continue;
            out.count++;
            out.distance.insert(out.distance.end(), one.distance.begin(), one.distance.end());
            out.signal.insert(out.signal.end(), one.signal.begin(), one.signal.end());
            out.status.insert(out.status.end(), one.status.begin(), one.status.end());
            out.nb.insert(out.nb.end(), one.nb.begin(), one.nb.end());
        }
    }
    return out;
}

template <class T>
void c_rows(std::ostringstream& o, const char* type, const char* name, const std::vector<T>& v, size_t count)
{
    o << "static const " << type << " " << name << "[ST_FRAMES][ST_ZONES] = {\n";
    for (size_t f = 0; f < count; f++) {
        o << "  {";
        for (size_t z = 0; z < 64; z++) o << (z ? "," : "") << long(v[f * 64 + z]);
        o << "},\n";
    }
    o << "};\n";
}

std::string frames_header(const SensorFrames& f)
{
    std::ostringstream o;
    o << "#include <stdint.h>\n#define ST_FRAMES " << f.count << "\n#define ST_ZONES 64\n";
    c_rows(o, "int16_t", "st_distance_mm", f.distance, f.count);
    c_rows(o, "uint32_t", "st_signal_per_spad", f.signal, f.count);
    c_rows(o, "uint8_t", "st_target_status", f.status, f.count);
    c_rows(o, "uint8_t", "st_nb_targets", f.nb, f.count);
    return o.str();
}

// ---- host reference ---------------------------------------------------------------------------

struct FrameResult {
    int valid = 0;
    int posture = 0;
    std::vector<float> scores;
};

// The host runtime on the same frames: hp_preprocess (ST's defaults), the network (valid
// frames only, else scores 0 as ST's firmware), hp_postprocess's output selection and filter.
std::vector<FrameResult> host_results(const hp::AnyModel& model, const SensorFrames& frames)
{
    const hp_preprocess_config pre = HP_PREPROCESS_DEFAULTS;
    const hp_postprocess_config post = HP_POSTPROCESS_DEFAULTS;
    hp_label_filter filter;
    hp_label_filter_init(&filter);
    const int outputs = model.model.outputs();
    std::vector<FrameResult> out;
    for (size_t f = 0; f < frames.count; f++) {
        float d[64], s[64], st[64], n[64], tensor[128];
        frames.floats(f, d, s, st, n);
        FrameResult r;
        r.valid = hp_preprocess_frame(&pre, 64, d, s, st, n, tensor) == HP_FRAME_KEPT;
        r.scores = r.valid ? hp::predict_scores(model, tensor, 1, 1) : std::vector<float>(size_t(outputs), 0.0f);
        r.posture = hp_label_filter_update(&post, &filter, hp_raw_class(&post, r.scores.data(), outputs, r.valid));
        out.push_back(r);
    }
    return out;
}

// Tensors of the valid frames (for calibrating an int8 model).
std::vector<float> valid_tensors(const SensorFrames& frames, size_t* count)
{
    const hp_preprocess_config pre = HP_PREPROCESS_DEFAULTS;
    std::vector<float> tensors;
    *count = 0;
    for (size_t f = 0; f < frames.count; f++) {
        float d[64], s[64], st[64], n[64], tensor[128];
        frames.floats(f, d, s, st, n);
        if (hp_preprocess_frame(&pre, 64, d, s, st, n, tensor) != HP_FRAME_KEPT) continue;
        tensors.insert(tensors.end(), tensor, tensor + 128);
        ++*count;
    }
    return tensors;
}

// ST's pretrained model quantized on the frames, written as an .hpq.
fs::path int8_model(const fs::path& dir, const SensorFrames& frames)
{
    size_t count = 0;
    const std::vector<float> tensors = valid_tensors(frames, &count);
    const hp::Model model = hp::read_any_model(hp::test::st_pretrained_h5()).model;
    const hp::QuantModel q = hp::quantize_model(model, tensors.data(), count, hp::CalibrationMethod::minmax);
    const fs::path path = dir / "st_pretrained_int8.hpq";
    hp::write_quant_model(path, q);
    return path;
}

float from_bits(const std::string& hex)
{
    const uint32_t u = uint32_t(std::stoul(hex, nullptr, 16));
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

// Deploys `model` into `app`, runs ST's app_network.c in QEMU on `frames` and compares every
// frame with the host runtime.
void check_st_path_on_qemu(const fs::path& app, const fs::path& model_path, const SensorFrames& frames, bool int8)
{
    const auto deployed = deploy_into(app, model_path);
    ASSERT_EQ(deployed.exit_code, 0) << deployed.output;
    const fs::path work = app / "qemu";
    fs::create_directories(work);
    std::ofstream(work / "st_frames.h") << frames_header(frames);
    std::string sources = "'" + (fs::path(HP_SOURCE_DIR) / "tests/st_app_qemu_main.c").string() + "' '" +
                          (app / "Application/NUCLEO-F401RE/Src/app_network.c").string() + "'";
    for (const char* dir : {"Application/Network/Src", "Middlewares/handposture"})
        for (const auto& e : fs::directory_iterator(app / dir))
            if (e.path().extension() == ".c") sources += " '" + e.path().string() + "'";
    for (const char* inc : {"Application/Network/Inc", "Application/NUCLEO-F401RE/Inc", "Middlewares/handposture",
                            "Middlewares/ST/STM32_AI_Runtime/Inc", "Drivers/BSP/Components/VL53LMZ",
                            "Drivers/BSP/NUCLEO-F401RE", "Drivers/CMSIS/Include", "Drivers/STM32F4xx_HAL_Driver/Inc",
                            "Drivers/CMSIS/Device/ST/STM32F4xx/Include"})
        sources += " -I'" + (app / inc).string() + "'";
    sources += " -I'" + work.string() + "'";
    std::string output;
    // ST's code is gnu11 (anonymous unions in ai_platform.h); its Network_* functions do not
    // use their parameter.
    const int code = hp::test::run_on_qemu(work, hp::test::kCortexM4, "-O2 -DUSE_HAL_DRIVER -DSTM32F401xE", sources,
                                           &output, "-std=gnu11 -Wall -Wextra -Wno-unused-parameter -Werror");
    ASSERT_EQ(code, 0) << output.substr(0, 4000);

    const hp::AnyModel model = hp::read_any_model(model_path);
    const std::vector<FrameResult> expected = host_results(model, frames);
    std::istringstream lines(output);
    std::string line;
    size_t seen = 0, valid = 0, postures = 0;
    while (std::getline(lines, line)) {
        std::istringstream in(line);
        std::string word;
        size_t f;
        FrameResult got;
        if (!(in >> word) || word != "frame") continue;
        in >> f >> word >> got.valid >> word >> got.posture >> word;
        ASSERT_LT(f, expected.size()) << line;
        const FrameResult& want = expected[f];
        EXPECT_EQ(got.valid, want.valid) << "frame " << f;
        EXPECT_EQ(got.posture, want.posture) << "frame " << f;
        for (size_t i = 0; i < want.scores.size(); i++) {
            std::string hex;
            ASSERT_TRUE(in >> hex) << line;
            const float score = from_bits(hex);
            if (int8)
                EXPECT_EQ(score, want.scores[i]) << "frame " << f << " score " << i;
            else
                EXPECT_NEAR(score, want.scores[i], 1e-5) << "frame " << f << " score " << i;
        }
        seen++;
        valid += size_t(want.valid);
        postures += want.posture != 0;
    }
    EXPECT_EQ(seen, frames.count) << output.substr(0, 2000);
    // The frames exercise the network and the filter, not only invalid frames.
    EXPECT_GT(valid, frames.count / 2);
    EXPECT_GT(postures, frames.count / 4);
}

// What deploy may add or replace in ST's application; everything else stays byte for byte.
bool deploy_may_write(const std::string& path)
{
    return path.starts_with("Application/Network/") || path == "Application/NUCLEO-F401RE/Inc/ai_model_config.h" ||
           path.starts_with("Middlewares/handposture/") || path == "Makefile" || path.starts_with("build/");
}

// Builds the application with the generated Makefile and checks the image: linked (so no
// undefined symbol), none of Cube.AI's library in it, ST's other files untouched.
void check_firmware_builds(const fs::path& app, const std::map<std::string, std::string>& before, std::string* log)
{
    ASSERT_EQ(run_shell("make -C '" + app.string() + "'", log), 0) << *log;
    for (const char* ext : {".elf", ".bin", ".hex"})
        EXPECT_TRUE(fs::exists(app / ("build/handposture" + std::string(ext)))) << ext;
    EXPECT_NE(log->find("firmware: flash "), std::string::npos) << *log;
    EXPECT_NE(log->find("network (Application/Network, Middlewares/handposture): flash "), std::string::npos) << *log;
    std::string symbols;
    ASSERT_EQ(run_shell("arm-none-eabi-nm '" + (app / "build/handposture.elf").string() + "'", &symbols), 0);
    EXPECT_EQ(symbols.find(" U "), std::string::npos) << "undefined symbols in the image";
    EXPECT_EQ(symbols.find("ai_platform_"), std::string::npos) << "Cube.AI runtime code in the image";
    EXPECT_NE(symbols.find(" ai_network_run"), std::string::npos);
    EXPECT_NE(symbols.find(" Network_Inference"), std::string::npos);
    EXPECT_EQ(hp::test::read_text(app / "Makefile").find("NetworkRuntime"), std::string::npos);
    EXPECT_FALSE(fs::exists(app / "Middlewares/ST/STM32_AI_Runtime/Lib"));
    const auto after = snapshot(app);
    for (const auto& [path, bytes] : before) {
        if (!deploy_may_write(path)) {
            EXPECT_TRUE(after.count(path) && after.at(path) == bytes) << path << " changed";
        }
    }
    for (const auto& [path, bytes] : after)
        EXPECT_TRUE(before.count(path) || deploy_may_write(path)) << path << " added";
}

}  // namespace

TEST(StApp, BuildsStApplicationWithFloatAndInt8Networks)
{
    REQUIRE_ST_APP();
    const fs::path dir = scratch("build");
    const fs::path app = copy_st_app(dir / "app");
    const auto before = snapshot(app);
    std::string log;

    const auto float_deploy = deploy_into(app, hp::test::st_pretrained_h5());
    ASSERT_EQ(float_deploy.exit_code, 0) << float_deploy.output;
    EXPECT_TRUE(fs::exists(app / "Middlewares/handposture/hp_model_f32.c"));
    check_firmware_builds(app, before, &log);
    if (HasFailure()) return;

    // The same copy again with an int8 model: the runtime folder is replaced, not mixed.
    const fs::path int8 = int8_model(dir, public_frames(300));
    const auto int8_deploy = deploy_into(app, int8);
    ASSERT_EQ(int8_deploy.exit_code, 0) << int8_deploy.output;
    EXPECT_TRUE(fs::exists(app / "Middlewares/handposture/hp_model_s8.c"));
    EXPECT_FALSE(fs::exists(app / "Middlewares/handposture/hp_model_f32.c"));
    check_firmware_builds(app, before, &log);
    fs::remove_all(dir);
}

TEST(StApp, StNetworkCodePathOnCortexM4MatchesHostFloat)
{
    REQUIRE_ST_APP();
    const fs::path dir = scratch("qemu-f32");
    check_st_path_on_qemu(copy_st_app(dir / "app"), hp::test::st_pretrained_h5(), public_frames(400), false);
    if (!HasFailure()) fs::remove_all(dir);
}

TEST(StApp, StNetworkCodePathOnCortexM4MatchesHostInt8)
{
    REQUIRE_ST_APP();
    const fs::path dir = scratch("qemu-s8");
    const SensorFrames frames = public_frames(400);
    check_st_path_on_qemu(copy_st_app(dir / "app"), int8_model(dir, frames), frames, true);
    if (!HasFailure()) fs::remove_all(dir);
}

// The generated API against X-CUBE-AI's semantics (st_app_api_main.c), built on the host for a
// float32 and an int8 model; the scores it prints against the host runtime's.
TEST(StApp, GeneratedApiKeepsCubeAiSemantics)
{
    REQUIRE_ST_APP();
    const fs::path dir = scratch("api");
    const fs::path app = copy_st_app(dir / "app");
    for (const fs::path& model_path : {hp::test::st_pretrained_h5(), int8_model(dir, public_frames(300))}) {
        const auto deployed = deploy_into(app, model_path);
        ASSERT_EQ(deployed.exit_code, 0) << deployed.output;
        std::string build = "cc -std=gnu11 -Wall -Wextra -Werror -O2 '" +
                            (fs::path(HP_SOURCE_DIR) / "tests/st_app_api_main.c").string() + "'";
        for (const char* inc : {"Application/Network/Inc", "Middlewares/handposture", "Middlewares/ST/STM32_AI_Runtime/Inc"})
            build += " -I'" + (app / inc).string() + "'";
        for (const char* src : {"Application/Network/Src", "Middlewares/handposture"})
            for (const auto& e : fs::directory_iterator(app / src))
                if (e.path().extension() == ".c") build += " '" + e.path().string() + "'";
        std::string output;
        ASSERT_EQ(run_shell(build + " -lm -o '" + (dir / "api").string() + "' && '" + (dir / "api").string() + "'", &output), 0)
            << model_path << ":\n" << output;
        EXPECT_NE(output.find("PASS: 0 failures"), std::string::npos) << output;

        const hp::AnyModel model = hp::read_any_model(model_path);
        std::vector<float> input(128);
        for (size_t i = 0; i < input.size(); i++) input[i] = float(int(i % 7) - 3) / 3.0f;
        const std::vector<float> want = hp::predict_scores(model, input.data(), 1, 1);
        std::istringstream in(output.substr(output.find("scores") + 6));
        for (size_t i = 0; i < want.size(); i++) {
            float got = NAN;
            in >> got;
            EXPECT_NEAR(got, want[i], 1e-6) << model_path << " score " << i;
        }
    }
    fs::remove_all(dir);
}

// --config reaches ST's ai_model_config.h: the preprocessing distances app_network.c compiles in.
TEST(StApp, ConfigSetsTheApplicationsDistances)
{
    REQUIRE_ST_APP();
    const fs::path dir = scratch("config");
    const fs::path app = copy_st_app(dir / "app");
    std::ofstream(dir / "user_config.yaml")
        << "dataset:\n  class_names: [None, Like, Dislike, FlatHand, Fist, Love, BreakTime, CrossHands]\n"
        << "preprocessing:\n  Max_distance: 350\n  Min_distance: 120\n  Background_distance: 90\n";
    const auto r = hp::test::run_cli(deploy_args(app, hp::test::st_pretrained_h5()) + " --config '" +
                                     (dir / "user_config.yaml").string() + "'");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::string header = hp::test::read_text(app / "Application/NUCLEO-F401RE/Inc/ai_model_config.h");
    EXPECT_NE(header.find("#define MAX_DISTANCE (350)"), std::string::npos) << header;
    EXPECT_NE(header.find("#define MIN_DISTANCE (120)"), std::string::npos) << header;
    EXPECT_NE(header.find("#define BACKGROUND_REMOVAL (90)"), std::string::npos) << header;
    EXPECT_NE(header.find("#define NB_CLASSES (8)"), std::string::npos) << header;
    fs::remove_all(dir);
}

// One bad input: exit 1, one message naming `names` and saying `problem`, the copy unchanged.
void expect_refused(const fs::path& app, const hp::test::CommandResult& r, const std::string& names,
                    const std::string& problem, const std::map<std::string, std::string>& before)
{
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find(names), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(problem), std::string::npos) << r.output;
    EXPECT_EQ(snapshot(app), before) << r.output;
}

TEST(StApp, BadProjectsAndModelsAreRefusedWithTheCopyUnchanged)
{
    REQUIRE_ST_APP();
    const fs::path dir = scratch("bad");
    const fs::path model = hp::test::st_pretrained_h5();

    const fs::path empty = dir / "empty";
    fs::create_directories(empty);
    expect_refused(empty, deploy_into(empty, model), empty.string(), "no Application/ folder", {});

    const fs::path other = copy_st_app(dir / "other");
    fs::rename(other / "Application/NUCLEO-F401RE", other / "Application/B-U585I-IOT02A");
    expect_refused(other, deploy_into(other, model), "B-U585I-IOT02A", "another board", snapshot(other));

    const fs::path newer = copy_st_app(dir / "newer");
    const fs::path app_network = newer / "Application/NUCLEO-F401RE/Src/app_network.c";
    std::ofstream(app_network, std::ios::app) << "\nvoid later(void) { ai_network_get_context(0); }\n";
    expect_refused(newer, deploy_into(newer, model), app_network.string(), "uses ai_network_get_context",
                   snapshot(newer));

    const fs::path app = copy_st_app(dir / "app");
    const auto before = snapshot(app);
    hp::ModelShape small;
    small.height = small.width = 4;
    const fs::path small_model = dir / "4x4.h5";
    hp::write_keras_h5(small_model, hp::cnn2d_st_model(small, hp::st_default_classes()));
    expect_refused(app, deploy_into(app, small_model), small_model.string(),
                   "does not fit the application's sensor frame", before);

    expect_refused(app, hp::test::run_cli(deploy_args(app, model) + " --threshold 0.8"), "--threshold",
                   "THRESHOLD_NN_OUTPUT", before);

    std::string output;
    const int code = run_shell("env PATH=/nonexistent " + std::string(HP_CLI) + " " + deploy_args(app, model), &output);
    expect_refused(app, {code, output}, "arm-none-eabi-gcc", "on PATH", before);

    const auto flash = hp::test::run_cli("flash --project '" + app.string() + "'");
    EXPECT_EQ(flash.exit_code, 1) << flash.output;
    EXPECT_NE(flash.output.find("no Makefile of handposture deploy"), std::string::npos) << flash.output;
    fs::remove_all(dir);
}
