// The float32 runtime on emulated Cortex-M cores (QEMU): the fixture's cases (runtime_f32.json,
// PyTorch float64 outputs) compiled with runtime_f32_qemu_main.c for the Cortex-M4F (-O2, -Os, -O0)
// and the Cortex-M7, whose builds take the kernels' Arm paths, and for the Cortex-M0+ build of the
// portable C. Skipped when arm-none-eabi-gcc or qemu-system-arm is missing.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;


void write_array(std::ostream& out, const std::string& name, const json& values, float nudge = 0.0f)
{
    out << "static const float " << name << "[] = {";
    char buf[32];
    for (size_t i = 0; i < values.size(); i++) {
        const float v = values[i].get<float>() + (i == 0 ? nudge : 0.0f);
        std::snprintf(buf, sizeof buf, "%.8ef", double(v));  // 9 significant digits: the same float
        out << (i % 6 ? " " : "\n    ") << buf << (i + 1 < values.size() ? "," : "");
    }
    out << "\n};\n";
}

// "c3_": the prefix of case k's arrays. Appended piece by piece: GCC 12 warns falsely
// (-Wrestrict) on "c" + std::to_string(k) once inlined.
std::string case_prefix(size_t k)
{
    std::string prefix = "c";
    prefix += std::to_string(k);
    prefix += '_';
    return prefix;
}

// runtime_f32_cases.h/.c in dir: the fixture's cases as C arrays. nudge moves the first expected
// score of the first case, for the check that the harness can fail.
void write_cases(const fs::path& dir, float nudge)
{
    std::ifstream in(hp::test::fixtures_dir() / "runtime_f32.json");
    const json cases = json::parse(in)["cases"];
    size_t max_floats = 0, max_scratch = 0;
    std::ostringstream c;
    c << "#include \"runtime_f32_cases.h\"\n\n";
    for (size_t k = 0; k < cases.size(); k++) {
        const json& t = cases[k];
        const std::string p = case_prefix(k);
        for (const char* a : {"input", "conv_kernel", "conv_bias", "dense1_kernel", "dense1_bias", "dense2_kernel",
                              "dense2_bias", "pool", "hidden_linear", "hidden", "logits"})
            write_array(c, p + a, t[a]);
        write_array(c, p + "scores", t["scores"], k == 0 ? nudge : 0.0f);
        max_floats = std::max({max_floats, t["pool"].size(), t["hidden"].size(), t["scores"].size()});
        max_scratch = std::max(max_scratch, t["pool"].size() + t["hidden"].size());
    }
    c << "\nconst hp_case hp_cases[HP_CASE_COUNT] = {\n";
    for (size_t k = 0; k < cases.size(); k++) {
        const json& t = cases[k];
        const std::string p = case_prefix(k);
        c << "    {\"" << t["name"].get<std::string>() << "\", {" << t["height"] << ", " << t["width"] << ", "
          << t["channels"] << ", " << t["filters"] << ", " << t["units"] << ", " << t["outputs"] << ", " << p
          << "conv_kernel, " << p << "conv_bias, " << p << "dense1_kernel, " << p << "dense1_bias, " << p
          << "dense2_kernel, " << p << "dense2_bias}, " << p << "input, " << p << "pool, " << p
          << "hidden_linear, " << p << "hidden, " << p << "logits, " << p << "scores},\n";
    }
    c << "};\n";
    std::ofstream(dir / "runtime_f32_cases.c") << c.str();
    std::ofstream(dir / "runtime_f32_cases.h")
        << "#include \"hp_model.h\"\n\ntypedef struct {\n    const char *name;\n    hp_model_f32 model;\n"
           "    const float *input, *pool, *hidden_linear, *hidden, *logits, *scores;\n} hp_case;\n\n"
        << "#define HP_CASE_COUNT " << cases.size() << "\n#define HP_CASE_MAX_FLOATS " << max_floats
        << "\n#define HP_CASE_MAX_SCRATCH " << max_scratch << "\nextern const hp_case hp_cases[HP_CASE_COUNT];\n";
}

using hp::test::CortexTarget;

// Builds the harness with the fixture (nudged or not) for a target and runs it in QEMU; returns
// the exit code, the harness's output in `output`.
int run_on_target(const hp::test::ScratchDir& dir, const CortexTarget& t, const std::string& opt, float nudge,
                  std::string* output)
{
    write_cases(dir.path(), nudge);
    const fs::path src = HP_SOURCE_DIR;
    std::string sources = "-I'" + (src / "runtime").string() + "' -I'" + dir.path().string() + "' '" +
                          (src / "tests/runtime_f32_qemu_main.c").string() + "' '" +
                          (dir / "runtime_f32_cases.c").string() + "'";
    for (const char* f : {"hp_model_f32.c", "conv2d_3x3_relu_maxpool2x2_f32.c", "dense_f32.c", "dot_f32.c",
                          "relu_f32.c", "softmax_f32.c", "sigmoid_f32.c"})
        sources += " '" + (src / "runtime" / f).string() + "'";
    return hp::test::run_on_qemu(dir.path(), t, opt, sources, output);
}

class RuntimeF32Qemu : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!hp::test::cortex_tools_available()) GTEST_SKIP() << "needs arm-none-eabi-gcc and qemu-system-arm";
    }
    void expect_pass(const CortexTarget& t, const std::string& opt)
    {
        hp::test::ScratchDir dir;
        std::string output;
        EXPECT_EQ(run_on_target(dir, t, opt, 0.0f, &output), 0) << t.name << " " << opt << ":\n" << output;
        EXPECT_NE(output.find("PASS: 6 cases, 0 mismatches"), std::string::npos) << output;
    }
};

TEST_F(RuntimeF32Qemu, CortexM4MatchesPyTorchAtO2) { expect_pass(hp::test::kCortexM4, "-O2"); }
TEST_F(RuntimeF32Qemu, CortexM4MatchesPyTorchAtOs) { expect_pass(hp::test::kCortexM4, "-Os"); }
TEST_F(RuntimeF32Qemu, CortexM4MatchesPyTorchAtO0) { expect_pass(hp::test::kCortexM4, "-O0"); }
TEST_F(RuntimeF32Qemu, CortexM7MatchesPyTorch) { expect_pass(hp::test::kCortexM7, "-O2"); }
TEST_F(RuntimeF32Qemu, CortexM0PlusMatchesPyTorch) { expect_pass(hp::test::kCortexM0Plus, "-O2"); }

TEST_F(RuntimeF32Qemu, WrongExpectationFails)
{
    hp::test::ScratchDir dir;
    std::string output;
    EXPECT_EQ(run_on_target(dir, hp::test::kCortexM4, "-O2", 1e-3f, &output), 1) << output;
    EXPECT_NE(output.find("st_8x8x2_8classes scores [0]"), std::string::npos) << output;
    EXPECT_NE(output.find("FAIL: 6 cases, 1 mismatches"), std::string::npos) << output;
}

}  // namespace
