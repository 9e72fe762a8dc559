// The layer-list runtime on emulated Cortex-M cores (QEMU): the fixture's convolutions and
// networks (runtime_net_f32.json, PyTorch float64) compiled with runtime_net_f32_qemu_main.c for
// the Cortex-M4F (-O2, -Os, -O0) and the Cortex-M7, whose builds take the convolution's and dense
// layer's Arm paths, and for the Cortex-M0+ build of the portable C. On the M4F and M7 the results
// must also equal the host's bit for bit when the host has fused multiply-add. Then the executed
// instructions of one inference of ST's custom model on the Cortex-M4F, counted from QEMU's
// one-instruction-per-block execution trace. Skipped when arm-none-eabi-gcc or qemu-system-arm is
// missing.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "hp_kernels_f32.h"
#include "net_fixture.hpp"

namespace {

namespace fs = std::filesystem;
using hp::test::json_floats;
using hp::test::net_fixture;
using hp::test::NetCase;
using nlohmann::json;

void write_array(std::ostream& out, const std::string& name, const std::vector<float>& values, float nudge = 0.0f)
{
    out << "static const float " << name << "[] = {";
    char buf[32];
    for (size_t i = 0; i < values.size(); i++) {
        const float v = values[i] + (i == 0 ? nudge : 0.0f);
        std::snprintf(buf, sizeof buf, "%.9ef", double(v));  // 10 significant digits: the same float
        out << (i % 6 ? " " : "\n    ") << buf << (i + 1 < values.size() ? "," : "");
    }
    out << "\n};\n";
}

// "c3_": a prefix of case k's arrays. Appended piece by piece (GCC 12 warns falsely otherwise).
std::string prefix(const char* kind, size_t k)
{
    std::string p = kind;
    p += std::to_string(k);
    p += '_';
    return p;
}

std::string kind_name(hp_layer_kind kind)
{
    switch (kind) {
    case HP_LAYER_CONV2D: return "HP_LAYER_CONV2D";
    case HP_LAYER_MAXPOOL2X2: return "HP_LAYER_MAXPOOL2X2";
    case HP_LAYER_DENSE: return "HP_LAYER_DENSE";
    case HP_LAYER_SOFTMAX: return "HP_LAYER_SOFTMAX";
    default: return "HP_LAYER_SIGMOID";
    }
}

// The convolutions as C arrays with the host's outputs.
void write_convs(std::ostream& c, float nudge)
{
    const json& convs = net_fixture()["convs"];
    for (size_t k = 0; k < convs.size(); k++) {
        const json& t = convs[k];
        const std::string p = prefix("c", k);
        const auto input = json_floats(t["input"]), kernel = json_floats(t["kernel"]), bias = json_floats(t["bias"]);
        std::vector<float> host(t["output"].size());
        hp_conv2d_f32(input.data(), t["height"], t["width"], t["channels"], kernel.data(),
                      bias.empty() ? nullptr : bias.data(), t["filters"], t["kernel_size"], t["padding"], t["relu"],
                      host.data());
        write_array(c, p + "input", input);
        write_array(c, p + "kernel", kernel);
        if (!bias.empty()) write_array(c, p + "bias", bias);
        write_array(c, p + "expected", json_floats(t["output"]), k == 0 ? nudge : 0.0f);
        write_array(c, p + "host", host);
    }
    c << "\nconst hp_conv_case hp_convs[HP_CONV_COUNT] = {\n";
    for (size_t k = 0; k < convs.size(); k++) {
        const json& t = convs[k];
        const std::string p = prefix("c", k);
        c << "    {\"" << t["name"].get<std::string>() << "\", " << t["height"] << ", " << t["width"] << ", "
          << t["channels"] << ", " << t["filters"] << ", " << t["kernel_size"] << ", " << t["padding"] << ", "
          << t["relu"] << ", " << p << "input, " << p << "kernel, " << (t["bias"].is_null() ? "0" : p + "bias")
          << ", " << p << "expected, " << p << "host, " << t["output"].size() << "},\n";
    }
    c << "};\n";
}

// The networks as C arrays and layer lists with the host's scores and scratch size.
void write_nets(std::ostream& c, size_t* max_scratch)
{
    const json& nets = net_fixture()["nets"];
    for (size_t k = 0; k < nets.size(); k++) {
        NetCase n(nets[k]);
        const std::string p = prefix("n", k);
        const size_t scratch_floats = hp_net_f32_scratch_floats(&n.net);
        std::vector<float> scratch(scratch_floats), host(n.scores.size());
        if (hp_net_f32_run(&n.net, n.input.data(), host.data(), scratch.data()) != 0)
            throw std::runtime_error(n.name + ": the host refuses the network");
        *max_scratch = std::max(*max_scratch, scratch_floats);
        write_array(c, p + "input", n.input);
        write_array(c, p + "expected", n.scores);
        write_array(c, p + "host", host);
        for (size_t i = 0; i < n.layers.size(); i++) {
            if (!n.weights[i].empty()) write_array(c, p + "w" + std::to_string(i), n.weights[i]);
            if (!n.biases[i].empty()) write_array(c, p + "b" + std::to_string(i), n.biases[i]);
        }
        c << "static const hp_layer_f32 " << p << "layers[] = {\n";
        for (size_t i = 0; i < n.layers.size(); i++) {
            const hp_layer_f32& l = n.layers[i];
            c << "    {" << kind_name(l.kind) << ", " << l.height << ", " << l.width << ", " << l.channels << ", "
              << l.outputs << ", " << l.kernel_size << ", " << l.padding << ", " << l.relu << ", "
              << (n.weights[i].empty() ? "0" : p + "w" + std::to_string(i)) << ", "
              << (n.biases[i].empty() ? "0" : p + "b" + std::to_string(i)) << "},\n";
        }
        c << "};\n";
    }
    c << "\nconst hp_net_case hp_nets[HP_NET_COUNT] = {\n";
    for (size_t k = 0; k < nets.size(); k++) {
        NetCase n(nets[k]);
        const std::string p = prefix("n", k);
        c << "    {\"" << n.name << "\", {" << n.net.input_height << ", " << n.net.input_width << ", "
          << n.net.input_channels << ", " << n.net.layer_count << ", " << p << "layers, " << n.net.outputs << "}, "
          << p << "input, " << p << "expected, " << p << "host, " << hp_net_f32_scratch_floats(&n.net) << "},\n";
    }
    c << "};\n";
}

// runtime_net_f32_cases.h/.c in dir. nudge moves the first expected value of the first
// convolution, for the check that the harness can fail.
void write_cases(const fs::path& dir, float nudge)
{
    std::ostringstream c;
    c << "#include \"runtime_net_f32_cases.h\"\n\n";
    write_convs(c, nudge);
    size_t max_scratch = 1, max_floats = 1;
    write_nets(c, &max_scratch);
    for (const auto& t : net_fixture()["convs"]) max_floats = std::max(max_floats, t["output"].size());
    for (const auto& t : net_fixture()["nets"]) max_floats = std::max(max_floats, t["scores"].size());
    std::ofstream(dir / "runtime_net_f32_cases.c") << c.str();
    std::ofstream(dir / "runtime_net_f32_cases.h")
        << "#include \"hp_net.h\"\n\n"
           "typedef struct {\n    const char *name;\n    int height, width, channels, filters, kernel_size, "
           "padding, relu;\n    const float *input, *kernel, *bias, *expected, *host;\n    int floats;\n} "
           "hp_conv_case;\n\n"
           "typedef struct {\n    const char *name;\n    hp_net_f32 net;\n    const float *input, *expected, "
           "*host;\n    int scratch_floats;\n} hp_net_case;\n\n"
        << "#define HP_CONV_COUNT " << net_fixture()["convs"].size() << "\n#define HP_NET_COUNT "
        << net_fixture()["nets"].size() << "\n#define HP_NET_MAX_FLOATS " << max_floats
        << "\n#define HP_NET_MAX_SCRATCH " << max_scratch << "\n#define HP_NET_HOST_BITS " << HP_MADD_FUSED
        << "\nextern const hp_conv_case hp_convs[HP_CONV_COUNT];\nextern const hp_net_case hp_nets[HP_NET_COUNT];\n";
}

using hp::test::CortexTarget;

std::string sources(const hp::test::ScratchDir& dir)
{
    const fs::path src = HP_SOURCE_DIR;
    std::string s = "-I'" + (src / "runtime").string() + "' -I'" + dir.path().string() + "' '" +
                    (src / "tests/runtime_net_f32_qemu_main.c").string() + "' '" +
                    (dir / "runtime_net_f32_cases.c").string() + "'";
    for (const char* f : {"hp_net_f32.c", "conv2d_f32.c", "maxpool2x2_f32.c", "dense_f32.c", "dot_f32.c",
                          "relu_f32.c", "softmax_f32.c", "sigmoid_f32.c"})
        s += " '" + (src / "runtime" / f).string() + "'";
    return s;
}

int run_on_target(const hp::test::ScratchDir& dir, const CortexTarget& t, const std::string& opt, float nudge,
                  std::string* output)
{
    write_cases(dir.path(), nudge);
    return hp::test::run_on_qemu(dir.path(), t, opt, sources(dir), output);
}

class RuntimeNetF32Qemu : public ::testing::Test {
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
        EXPECT_NE(output.find("PASS: 12 convs, 4 nets, 0 mismatches"), std::string::npos) << output;
    }
};

TEST_F(RuntimeNetF32Qemu, CortexM4MatchesPyTorchAndHostAtO2) { expect_pass(hp::test::kCortexM4, "-O2"); }
TEST_F(RuntimeNetF32Qemu, CortexM4MatchesPyTorchAndHostAtOs) { expect_pass(hp::test::kCortexM4, "-Os"); }
TEST_F(RuntimeNetF32Qemu, CortexM4MatchesPyTorchAndHostAtO0) { expect_pass(hp::test::kCortexM4, "-O0"); }
TEST_F(RuntimeNetF32Qemu, CortexM7MatchesPyTorchAndHost) { expect_pass(hp::test::kCortexM7, "-O2"); }

TEST_F(RuntimeNetF32Qemu, CortexM0PlusMatchesPyTorch)
{
    // No FPU, no fused multiply-add: the reference tolerance only, not the host's bits.
    hp::test::ScratchDir dir;
    std::string output;
    write_cases(dir.path(), 0.0f);
    const std::string cases = (dir / "runtime_net_f32_cases.h").string();
    std::string header = hp::test::read_text(cases);
    const std::string bits = "#define HP_NET_HOST_BITS ";
    header.replace(header.find(bits) + bits.size(), 1, "0");
    std::ofstream(cases) << header;
    EXPECT_EQ(hp::test::run_on_qemu(dir.path(), hp::test::kCortexM0Plus, "-O2", sources(dir), &output), 0) << output;
    EXPECT_NE(output.find("PASS: 12 convs, 4 nets, 0 mismatches"), std::string::npos) << output;
}

TEST_F(RuntimeNetF32Qemu, WrongExpectationFails)
{
    hp::test::ScratchDir dir;
    std::string output;
    EXPECT_EQ(run_on_target(dir, hp::test::kCortexM4, "-O2", 1e-3f, &output), 1) << output;
    EXPECT_NE(output.find("8x8x2_k1_valid_f16_bias_relu reference [0]"), std::string::npos) << output;
    EXPECT_NE(output.find("FAIL: 12 convs, 4 nets, 1 mismatches"), std::string::npos) << output;
}

// Multiply-accumulates of ST's custom model with P outputs: two 3x3 "same" convolutions on 8x8x2
// and 4x4x16, then dense 128 -> 64 -> 32 -> P.
long custom_model_macs(long classes)
{
    return 8 * 8 * 16 * 9 * 2 + 4 * 4 * 32 * 9 * 16 + 128 * 64 + 64 * 32 + 32 * classes;
}

// Executed instructions from hp_net_f32_run's first instruction until control is back in main,
// in total and by function: the trace has one line per instruction (-singlestep), named by the
// function holding it.
long count_instructions(const fs::path& trace, std::map<std::string, long>* by_function)
{
    std::ifstream in(trace);
    std::string line;
    long count = 0;
    bool inside = false;
    while (std::getline(in, line)) {
        if (line.rfind("Trace ", 0) != 0) continue;
        const size_t close = line.find(']');
        if (close == std::string::npos) continue;
        std::string symbol = line.substr(close + 1);
        symbol.erase(0, symbol.find_first_not_of(' '));
        if (!inside && symbol != "hp_net_f32_run") continue;
        if (inside && symbol == "main") return count;
        inside = true;
        count++;
        (*by_function)[symbol]++;
    }
    return -1;
}

TEST_F(RuntimeNetF32Qemu, CustomModelInstructionsPerMacOnCortexM4)
{
    hp::test::ScratchDir dir;
    write_cases(dir.path(), 0.0f);
    const fs::path elf = dir / "bench.elf", log = dir / "bench.log", trace = dir / "trace.log";
    const fs::path firmware = fs::path(HP_SOURCE_DIR) / "firmware";
    const std::string build = std::string("arm-none-eabi-gcc ") + hp::test::kCortexM4.cflags +
                              " -O2 -std=c99 -Wall -Wextra -Wpedantic -Werror -DHP_NET_BENCH "
                              "-ffunction-sections -fdata-sections '" +
                              (firmware / "startup.c").string() + "' " + sources(dir) +
                              " --specs=rdimon.specs -nostartfiles -Wl,--gc-sections -L'" + firmware.string() +
                              "' -T" + hp::test::kCortexM4.linker_script + " -lm -o '" + elf.string() + "' >'" +
                              log.string() + "' 2>&1";
    ASSERT_EQ(std::system(build.c_str()), 0) << hp::test::read_text(log);
    const std::string run = std::string("timeout 300 qemu-system-arm -M ") + hp::test::kCortexM4.machine +
                            " -nographic -semihosting-config enable=on,target=native -singlestep -d exec,nochain -D '" +
                            trace.string() + "' -kernel '" + elf.string() + "' >'" + log.string() + "' 2>&1";
    ASSERT_EQ(std::system(run.c_str()), 0) << hp::test::read_text(log);
    ASSERT_NE(hp::test::read_text(log).find("bench: 0"), std::string::npos) << hp::test::read_text(log);
    std::map<std::string, long> by_function;
    const long instructions = count_instructions(trace, &by_function);
    ASSERT_GT(instructions, 0) << "no hp_net_f32_run in the trace";
    const long macs = custom_model_macs(net_fixture()["nets"][0]["outputs"].get<long>());
    const double per_mac = double(instructions) / double(macs);
    std::printf("ST custom model on the Cortex-M4F (-O2): %ld instructions per inference, %ld MACs, %.3f per MAC\n",
                instructions, macs, per_mac);
    for (const auto& [function, n] : by_function) std::printf("  %-28s %ld\n", function.c_str(), n);
    RecordProperty("instructions", std::to_string(instructions));
    // The kernels' goal: 2 instructions per multiply-accumulate for the whole model.
    EXPECT_LE(per_mac, 2.0);
    // At least one instruction per multiply-add: the count is of the whole inference.
    EXPECT_GE(per_mac, 1.0);
}

}  // namespace
