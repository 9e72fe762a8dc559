// The int8 kernels of hp_kernels_s8.h on emulated Cortex-M cores (QEMU): random cases (fixed seed,
// values at their extremes too, odd shapes) whose expected outputs the host computes with the
// portable C of the same kernels (hp_runtime), compiled with runtime_s8_qemu_main.c for the
// Cortex-M4F (-O2, -Os) and the Cortex-M7, whose builds take the kernels' asm paths, and for the
// Cortex-M0+ (the portable C on another compiler and target). Every output must be bit-identical
// and nothing written past it. Skipped when arm-none-eabi-gcc or qemu-system-arm is missing.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "hp_kernels_s8.h"
#include "quant/quant_model.hpp"
#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;


// ---- random cases -------------------------------------------------------------------------

struct Random {
    std::mt19937 gen{20261126};
    int64_t uniform(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(gen); }
    // lo or hi with probability p each, else uniform in [lo, hi].
    int64_t extreme(int64_t lo, int64_t hi, double p)
    {
        const double u = std::uniform_real_distribution<double>(0, 1)(gen);
        return u < p ? lo : u < 2 * p ? hi : uniform(lo, hi);
    }
    float real(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(gen); }
};

struct ConvCase {
    std::string name;
    int height, width, filters;
    std::vector<int16_t> input, kernel, expected;  // kernel [F][3][3][2]
    std::vector<int32_t> bias, weights;           // weights: the runtime layout of kernel and bias
    void run()
    {
        weights = hp::conv_weights_runtime_layout(kernel, bias, filters, 2);
        expected.resize(size_t((height - 2) / 2 * ((width - 2) / 2) * filters));
        hp_conv2d_3x3_maxpool2x2_s8(input.data(), height, width, weights.data(), filters, expected.data());
    }
};

struct DenseCase {
    std::string name;
    int inputs4, outputs;
    bool s32;  // hp_dense_s8_s32, else hp_dense_s8
    std::vector<int16_t> input;
    std::vector<int8_t> kernel;
    std::vector<int32_t> bias, multiplier, expected;  // expected: int16 values for hp_dense_s8
};

struct QuantizeCase {
    std::string name;
    int pixels, channels;
    float scale;
    bool in_place;
    std::vector<float> x;
    std::vector<int16_t> expected;
};

// Input values in [-x_range, x_range] clamped to the kernel's input range; the kernel range keeps
// every accumulator inside int32 (the caller's guarantee): 18 products and the bias.
ConvCase conv_case(Random& r, const std::string& name, int height, int width, int filters, int32_t x_range,
                   int32_t k_range, int32_t bias_range, double p_extreme)
{
    ConvCase c{name, height, width, filters, {}, {}, {}, {}, {}};
    const int64_t x_lo = std::max<int64_t>(-x_range, HP_S8_INPUT_MIN), x_hi = std::min<int64_t>(x_range, HP_S8_INPUT_MAX);
    const int64_t x_max = std::max(-x_lo, x_hi);
    const int64_t k_max = std::min<int64_t>({k_range, 32767, (INT32_MAX - bias_range - 32768) / (18 * x_max)});
    for (int i = 0; i < height * width * 2; i++) c.input.push_back(int16_t(r.extreme(x_lo, x_hi, p_extreme)));
    for (int i = 0; i < filters * 18; i++) c.kernel.push_back(int16_t(r.extreme(-k_max, k_max, p_extreme)));
    for (int f = 0; f < filters; f++) c.bias.push_back(int32_t(r.extreme(-bias_range, bias_range, p_extreme)));
    c.run();
    return c;
}

// Inputs in [x_lo, x_hi] (the network's are [0, 255]), weights int8; padded inputs, rows and
// columns 0 as the layout requires. Multipliers log-uniform in [2^10, 2^31): some outputs clamp
// at 0 or 255, most do not.
DenseCase dense_case(Random& r, const std::string& name, int inputs, int outputs, bool s32, int32_t x_lo,
                     int32_t x_hi, int32_t bias_range, double p_extreme)
{
    const int inputs4 = hp_round4(inputs), outputs4 = hp_round4(outputs);
    DenseCase c{name, inputs4, outputs, s32, {}, {}, {}, {}, {}};
    c.input.assign(size_t(inputs4), 0);
    for (int i = 0; i < inputs; i++) c.input[size_t(i)] = int16_t(r.extreme(x_lo, x_hi, p_extreme));
    // [outputs4 / 4][inputs4 / 4][4 rows][4 stored weights of inputs 4j + (0, 2, 1, 3)]
    c.kernel.assign(size_t(outputs4 * inputs4), 0);
    for (int b = 0; b < outputs4 / 4; b++)
        for (int j = 0; j < inputs4 / 4; j++)
            for (int row = 0; row < 4; row++)
                for (int s = 0; s < 4; s++) {
                    const int in = 4 * j + (s == 1 ? 2 : s == 2 ? 1 : s);
                    if (4 * b + row < outputs && in < inputs)
                        c.kernel[size_t(((b * (inputs4 / 4) + j) * 4 + row) * 4 + s)] = int8_t(r.extreme(-128, 127, p_extreme));
                }
    for (int o = 0; o < outputs; o++) c.bias.push_back(int32_t(r.extreme(-bias_range / 4, bias_range, p_extreme)));
    c.bias.resize(size_t(outputs4), 0);  // biases and multipliers padded to whole blocks
    // Multipliers that bring most accumulators into (0, 300) (some clamp at 255) or, with
    // extremes, log-uniform in [2^10, 2^31) and the ends 1 and 2^31 - 1.
    std::vector<int32_t> acc(static_cast<size_t>(outputs4));
    hp_dense_s8_s32(c.input.data(), inputs4, c.kernel.data(), c.bias.data(), outputs, acc.data());
    for (int o = 0; o < outputs; o++) {
        const double m = p_extreme >= 0.25 ? std::exp2(std::uniform_real_distribution<double>(10, 31)(r.gen))
                                       : std::ldexp(r.real(0.5f, 300.0f), 32) / std::max(1.0, std::fabs(double(acc[size_t(o)])));
        c.multiplier.push_back(int32_t(std::clamp<double>(m, 1, INT32_MAX)));
    }
    if (p_extreme >= 0.25) c.multiplier[0] = INT32_MAX, c.multiplier[size_t(outputs - 1)] = 1;
    c.multiplier.resize(size_t(outputs4), 0);
    if (s32) {
        c.expected.resize(size_t(outputs4));
        hp_dense_s8_s32(c.input.data(), inputs4, c.kernel.data(), c.bias.data(), outputs, c.expected.data());
    } else {
        std::vector<int16_t> out(static_cast<size_t>(outputs4));
        hp_dense_s8(c.input.data(), inputs4, c.kernel.data(), c.bias.data(), outputs, c.multiplier.data(), out.data());
        c.expected.assign(out.begin(), out.end());
    }
    return c;
}

// x * (1 / scale) in float: the product the kernel truncates.
float product(float x, float scale) { return x * (1.0f / scale); }

// The float nearest k / inverse whose product with the inverse is exactly k (if any is), then
// its two neighbours: just below and just above the integer.
void add_around(std::vector<float>& x, double k, float scale)
{
    float v = float(k * double(scale));
    for (int i = 0; i < 8 && product(v, scale) != float(k); i++)
        v = std::nextafter(v, product(v, scale) < float(k) ? INFINITY : -INFINITY);
    x.push_back(v);
    x.push_back(std::nextafter(v, -INFINITY));
    x.push_back(std::nextafter(v, INFINITY));
}

// values_multiple: random values are added until the count is a multiple of it.
QuantizeCase quantize_case(Random& r, const std::string& name, int channels, float scale, bool in_place,
                           bool specials, int random_values, int values_multiple = 1)
{
    QuantizeCase c{name, 0, channels, scale, in_place, {}, {}};
    if (specials) {
        const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
        c.x = {nan, -nan, inf, -inf, 1e30f, -1e30f, std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(),
               0.0f, -0.0f, std::numeric_limits<float>::denorm_min(), -std::numeric_limits<float>::min()};
        for (double k : {0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 100.0, -100.0, 1000.0, -1001.0})
            add_around(c.x, k, scale);
        for (double k : {double(HP_S8_INPUT_MAX) - 1, double(HP_S8_INPUT_MAX), double(HP_S8_INPUT_MAX) + 1,
                         double(HP_S8_INPUT_MIN) - 1, double(HP_S8_INPUT_MIN), double(HP_S8_INPUT_MIN) + 1, 32767.0,
                         32768.0, -32768.0, -32769.0, 65536.0, -65536.0})
            add_around(c.x, k, scale);
    }
    const float range = 1.25f * float(HP_S8_INPUT_MAX) * scale;
    for (int i = 0; i < random_values; i++) c.x.push_back(r.real(-range, range));
    while (c.x.size() % size_t(channels * values_multiple)) c.x.push_back(r.real(-range, range));
    c.pixels = int(c.x.size()) / channels;
    c.expected.resize(size_t(2 * c.pixels));
    hp_quantize_f32_s16(c.x.data(), c.pixels, channels, scale, c.expected.data());
    return c;
}

struct Cases {
    std::vector<ConvCase> conv;
    std::vector<DenseCase> dense;
    std::vector<QuantizeCase> quantize;
    size_t runs() const { return conv.size() + dense.size() + quantize.size(); }
};

Cases make_cases()
{
    Random r;
    Cases c;
    const int32_t xmax = std::max(-HP_S8_INPUT_MIN, HP_S8_INPUT_MAX);
    // ST's network: 8x8 input, 8 filters; outputs mostly in (0, 255) with small ranges.
    c.conv.push_back(conv_case(r, "conv_st_8x8_8", 8, 8, 8, 2048, 300, 1 << 20, 0.0));
    c.conv.push_back(conv_case(r, "conv_st_8x8_8_extremes", 8, 8, 8, xmax, 32767, 1 << 26, 0.3));
    c.conv.push_back(conv_case(r, "conv_6x5_4", 6, 5, 4, 1024, 600, 1 << 18, 0.05));
    c.conv.push_back(conv_case(r, "conv_4x7_8", 4, 7, 8, xmax, 32767, 1 << 24, 0.2));
    c.conv.push_back(conv_case(r, "conv_9x10_8", 9, 10, 8, 4096, 200, 1 << 20, 0.02));
    // Width 8 (ST's) with other heights and filter counts: 2 to 16 and odd ones, 18.
    c.conv.push_back(conv_case(r, "conv_4x8_2", 4, 8, 2, 2048, 300, 1 << 20, 0.05));
    c.conv.push_back(conv_case(r, "conv_11x8_6", 11, 8, 6, 2048, 300, 1 << 20, 0.05));
    c.conv.push_back(conv_case(r, "conv_8x8_16_extremes", 8, 8, 16, xmax, 32767, 1 << 26, 0.3));
    c.conv.push_back(conv_case(r, "conv_8x8_3", 8, 8, 3, 2048, 300, 1 << 20, 0.05));
    c.conv.push_back(conv_case(r, "conv_6x8_18", 6, 8, 18, 2048, 300, 1 << 20, 0.05));
    ConvCase one = conv_case(r, "conv_8x8_1ch", 8, 8, 8, 2048, 300, 1 << 20, 0.0);  // channel 1 all 0
    for (size_t i = 1; i < one.input.size(); i += 2) one.input[i] = 0;
    for (size_t i = 1; i < one.kernel.size(); i += 2) one.kernel[i] = 0;
    one.run();
    c.conv.push_back(one);
    c.dense.push_back(dense_case(r, "dense_st_72x32", 72, 32, false, 0, 255, 1 << 20, 0.0));
    c.dense.push_back(dense_case(r, "dense_72x32_extremes", 72, 32, false, 0, 255, (1 << 30), 0.3));
    c.dense.push_back(dense_case(r, "dense_13x5", 13, 5, false, 0, 255, 1 << 18, 0.1));
    c.dense.push_back(dense_case(r, "dense_4x1", 4, 1, false, 0, 255, 1 << 16, 0.1));
    c.dense.push_back(dense_case(r, "dense_12x7", 12, 7, false, 0, 255, 1 << 18, 0.1));
    c.dense.push_back(dense_case(r, "dense_40x6", 40, 6, false, 0, 255, 1 << 18, 0.1));
    // every step count mod 8 of the asm's eight-step loop, over one and several rounds
    for (int steps : {3, 5, 6, 7, 9, 11, 15, 16, 17, 23})
        c.dense.push_back(dense_case(r, "dense_" + std::to_string(4 * steps) + "x5", 4 * steps, 5, steps % 2 == 1, 0, 255,
                                     1 << 18, 0.1));
    c.dense.push_back(dense_case(r, "dense_s32_st_32x8", 32, 8, true, 0, 255, 1 << 20, 0.0));
    c.dense.push_back(dense_case(r, "dense_s32_32x8_extremes", 32, 8, true, 0, 255, 1 << 30, 0.3));
    c.dense.push_back(dense_case(r, "dense_s32_13x5", 13, 5, true, 0, 255, 1 << 20, 0.1));
    c.dense.push_back(dense_case(r, "dense_s32_20x3", 20, 3, true, -32768, 32767, 1 << 20, 0.3));
    c.dense.push_back(dense_case(r, "dense_s32_8x9", 8, 9, true, 0, 255, 1 << 20, 0.1));
    c.dense.push_back(dense_case(r, "dense_s32_4x2", 4, 2, true, -32768, 32767, 1 << 20, 0.3));
    c.quantize.push_back(quantize_case(r, "quantize_st_8x8x2", 2, 0.0123f, true, false, 128));
    c.quantize.push_back(quantize_case(r, "quantize_specials_2ch", 2, 0.5f, false, true, 7));
    c.quantize.push_back(quantize_case(r, "quantize_specials_1ch", 1, 0.0625f, false, true, 3));
    c.quantize.push_back(quantize_case(r, "quantize_specials_2ch_3", 2, 3.0f, true, true, 0));
    c.quantize.push_back(quantize_case(r, "quantize_specials_1ch_0.1", 1, 0.1f, true, true, 40));
    c.quantize.push_back(quantize_case(r, "quantize_13x2", 2, 0.7f, false, false, 26));
    // Two channels, 48 pixels (a multiple of 8 and 16): the Cortex-M4F/M7 block loop meets the specials.
    c.quantize.push_back(quantize_case(r, "quantize_specials_48x2", 2, 0.5f, false, true, 0, 8));
    c.quantize.push_back(quantize_case(r, "quantize_specials_48x2_in_place", 2, 0.1f, true, true, 0, 16));
    return c;
}

// ---- C source of the cases ---------------------------------------------------------------

template <class T>
void write_ints(std::ostream& out, const char* type, const std::string& name, const std::vector<T>& v)
{
    out << "static const " << type << " " << name << "[" << std::max<size_t>(v.size(), 1)
        << "] __attribute__((aligned(4))) = {";
    for (size_t i = 0; i < v.size(); i++) {
        const long long x = v[i];
        out << (i % 12 ? " " : "\n    ");
        if (x == INT32_MIN) out << "(-2147483647 - 1)";
        else out << x;
        out << (i + 1 < v.size() ? "," : "");
    }
    out << (v.empty() ? "0" : "") << "\n};\n";
}

void write_floats(std::ostream& out, const std::string& name, const std::vector<float>& v)
{
    out << "static const float " << name << "[] = {";
    char buf[48];
    for (size_t i = 0; i < v.size(); i++) {
        const float x = v[i];
        if (std::isnan(x)) std::snprintf(buf, sizeof buf, "%sNAN", std::signbit(x) ? "-" : "");
        else if (std::isinf(x)) std::snprintf(buf, sizeof buf, "%sINFINITY", x < 0 ? "-" : "");
        else std::snprintf(buf, sizeof buf, "%af", double(x));  // hexadecimal: the same float exactly
        out << (i % 4 ? " " : "\n    ") << buf << (i + 1 < v.size() ? "," : "");
    }
    out << "\n};\n";
}

// runtime_s8_cases.h/.c in dir. nudge is added to the first expected output of dense_st_72x32,
// for the check that the harness can fail.
void write_cases(const Cases& cases, const fs::path& dir, int nudge)
{
    std::ostringstream c;
    size_t max_words = 0;
    c << "#include <math.h>\n\n#include \"runtime_s8_cases.h\"\n\n";
    for (size_t k = 0; k < cases.conv.size(); k++) {
        const ConvCase& t = cases.conv[k];
        const std::string p = "conv" + std::to_string(k) + "_";
        write_ints(c, "int16_t", p + "input", t.input);
        write_ints(c, "int32_t", p + "weights", t.weights);
        write_ints(c, "int16_t", p + "expected", t.expected);
        max_words = std::max(max_words, t.expected.size());
    }
    for (size_t k = 0; k < cases.dense.size(); k++) {
        DenseCase t = cases.dense[k];
        const std::string p = "dense" + std::to_string(k) + "_";
        if (t.name == "dense_st_72x32") t.expected[0] += nudge;
        write_ints(c, "int16_t", p + "input", t.input);
        write_ints(c, "int8_t", p + "kernel", t.kernel);
        write_ints(c, "int32_t", p + "bias", t.bias);
        if (!t.s32) write_ints(c, "int32_t", p + "multiplier", t.multiplier);
        if (t.s32) write_ints(c, "int32_t", p + "expected", t.expected);
        else write_ints(c, "int16_t", p + "expected", std::vector<int16_t>(t.expected.begin(), t.expected.end()));
        max_words = std::max(max_words, t.expected.size());
    }
    for (size_t k = 0; k < cases.quantize.size(); k++) {
        const QuantizeCase& t = cases.quantize[k];
        const std::string p = "quantize" + std::to_string(k) + "_";
        write_floats(c, p + "x", t.x);
        write_ints(c, "int16_t", p + "expected", t.expected);
        max_words = std::max(max_words, t.x.size());
    }
    c << "\nconst hp_conv_case hp_conv_cases[HP_CONV_CASES] = {\n";
    for (size_t k = 0; k < cases.conv.size(); k++) {
        const ConvCase& t = cases.conv[k];
        const std::string p = "conv" + std::to_string(k) + "_";
        c << "    {\"" << t.name << "\", " << t.height << ", " << t.width << ", " << t.filters << ", " << p << "input, "
          << p << "weights, " << p << "expected},\n";
    }
    c << "};\n\nconst hp_dense_case hp_dense_cases[HP_DENSE_CASES] = {\n";
    for (size_t k = 0; k < cases.dense.size(); k++) {
        const DenseCase& t = cases.dense[k];
        const std::string p = "dense" + std::to_string(k) + "_";
        c << "    {\"" << t.name << "\", " << t.inputs4 << ", " << t.outputs << ", " << p << "input, " << p << "kernel, "
          << p << "bias, " << (t.s32 ? "0, " + p + "expected, 0" : p + "multiplier, 0, " + p + "expected") << "},\n";
    }
    c << "};\n\nconst hp_quantize_case hp_quantize_cases[HP_QUANTIZE_CASES] = {\n";
    for (size_t k = 0; k < cases.quantize.size(); k++) {
        const QuantizeCase& t = cases.quantize[k];
        const std::string p = "quantize" + std::to_string(k) + "_";
        char scale[32];
        std::snprintf(scale, sizeof scale, "%af", double(t.scale));
        c << "    {\"" << t.name << "\", " << t.pixels << ", " << t.channels << ", " << scale << ", " << t.in_place
          << ", " << p << "x, " << p << "expected},\n";
    }
    c << "};\n";
    std::ofstream(dir / "runtime_s8_cases.c") << c.str();
    std::ofstream(dir / "runtime_s8_cases.h")
        << "#include <stdint.h>\n\n"
           "typedef struct {\n    const char *name;\n    int height, width, filters;\n"
           "    const int16_t *input;\n    const int32_t *weights;\n    const int16_t *expected;\n} hp_conv_case;\n\n"
           "/* multiplier 0: hp_dense_s8_s32 (expected32), else hp_dense_s8 (expected16) */\n"
           "typedef struct {\n    const char *name;\n    int inputs4, outputs;\n    const int16_t *input;\n"
           "    const int8_t *kernel;\n    const int32_t *bias, *multiplier, *expected32;\n"
           "    const int16_t *expected16;\n} hp_dense_case;\n\n"
           "typedef struct {\n    const char *name;\n    int pixels, channels;\n    float scale;\n    int in_place;\n"
           "    const float *x;\n    const int16_t *expected;\n} hp_quantize_case;\n\n"
        << "#define HP_CONV_CASES " << cases.conv.size() << "\n#define HP_DENSE_CASES " << cases.dense.size()
        << "\n#define HP_QUANTIZE_CASES " << cases.quantize.size() << "\n#define HP_CASE_MAX_WORDS " << max_words
        << "\nextern const hp_conv_case hp_conv_cases[HP_CONV_CASES];\n"
           "extern const hp_dense_case hp_dense_cases[HP_DENSE_CASES];\n"
           "extern const hp_quantize_case hp_quantize_cases[HP_QUANTIZE_CASES];\n";
}

// ---- build and run -----------------------------------------------------------------------

using hp::test::CortexTarget;

// The int8 kernel sources: runtime/*_s8.c but the model (hp_*), one kernel per file.
std::string kernel_sources()
{
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(fs::path(HP_SOURCE_DIR) / "runtime")) {
        const std::string name = e.path().filename().string();
        if (name.size() > 5 && name.compare(name.size() - 5, 5, "_s8.c") == 0 && name.rfind("hp_", 0) != 0)
            files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
    std::string s;
    for (const auto& f : files) s += " '" + f + "'";
    return s;
}

// Builds the harness with the cases (nudged or not) for a target and runs it in QEMU; returns
// the exit code, the harness's output in `output`.
const Cases& cases()
{
    static const Cases c = make_cases();
    return c;
}

int run_on_target(const CortexTarget& t, const std::string& opt, int nudge, std::string* output)
{
    hp::test::ScratchDir dir;
    write_cases(cases(), dir.path(), nudge);
    const fs::path src = HP_SOURCE_DIR;
    const std::string sources = "-I'" + (src / "runtime").string() + "' -I'" + dir.path().string() + "' '" +
                                (src / "tests/runtime_s8_qemu_main.c").string() + "' '" +
                                (dir / "runtime_s8_cases.c").string() + "'" + kernel_sources();
    return hp::test::run_on_qemu(dir.path(), t, opt, sources, output);
}

class RuntimeS8Qemu : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!hp::test::cortex_tools_available()) GTEST_SKIP() << "needs arm-none-eabi-gcc and qemu-system-arm";
    }
    void expect_pass(const CortexTarget& t, const std::string& opt)
    {
        std::string output;
        EXPECT_EQ(run_on_target(t, opt, 0, &output), 0) << t.name << " " << opt << ":\n" << output;
        const std::string summary = "PASS: " + std::to_string(cases().runs()) + " kernel runs, 0 mismatches";
        EXPECT_NE(output.find(summary), std::string::npos) << output;
    }
};

TEST_F(RuntimeS8Qemu, CortexM4MatchesHostAtO2) { expect_pass(hp::test::kCortexM4, "-O2"); }
TEST_F(RuntimeS8Qemu, CortexM4MatchesHostAtOs) { expect_pass(hp::test::kCortexM4, "-Os"); }
TEST_F(RuntimeS8Qemu, CortexM7MatchesHost) { expect_pass(hp::test::kCortexM7, "-O2"); }
TEST_F(RuntimeS8Qemu, CortexM0PlusMatchesHost) { expect_pass(hp::test::kCortexM0Plus, "-O2"); }

TEST_F(RuntimeS8Qemu, WrongExpectationFails)
{
    std::string output;
    EXPECT_EQ(run_on_target(hp::test::kCortexM4, "-O2", 1, &output), 1) << output;
    EXPECT_NE(output.find("dense_st_72x32 [0]"), std::string::npos) << output;
    const std::string summary = "FAIL: " + std::to_string(cases().runs()) + " kernel runs, 1 mismatches";
    EXPECT_NE(output.find(summary), std::string::npos) << output;
}

}  // namespace
