// int8 quantization: requantization and kernels against the numpy emulation of TFLite's integer
// arithmetic (scripts/make_quant_fixture.py), the Cortex-M DSP path against the portable one,
// the quantized file format, and the int8 model's accuracy against the float model.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>
#include <zlib.h>

#include "core/error.hpp"
#include "core/postures.hpp"
#include "data/dataset.hpp"
#include "model/cnn2d_st.hpp"
#include "model/model_file.hpp"
#include "model/predict.hpp"
#include "hp_kernels_s8.h"
#include "hp_model_s8.h"
#include "quant/quant_file.hpp"
#include "quant/quant_model.hpp"
#include "quant/model_any.hpp"
#include "codegen/deploy_any.hpp"
#include "codegen/int8_package.hpp"
#include "test_support.hpp"

using nlohmann::json;

namespace {

const json& fixture()
{
    static const json j = [] {
        std::ifstream in(hp::test::fixtures_dir() / "quant_fixture.json");
        return json::parse(in);
    }();
    return j;
}

template <class T>
std::vector<T> vec(const json& j)
{
    return j.get<std::vector<T>>();
}

}  // namespace

TEST(QuantKernels, SmmulrMatchesReference)
{
    size_t n = 0;
    for (const json& c : fixture()["smmulr"]) {
        ASSERT_EQ(hp_smmulr(c[0], c[1]), c[2].get<int32_t>()) << c;
        n++;
    }
    EXPECT_GT(n, 2000u);
}

// Non-finite values are strings in the fixture (JSON has no NaN or infinity).
static float fixture_float(const json& v)
{
    return v.is_string() ? std::strtof(v.get<std::string>().c_str(), nullptr) : v.get<float>();
}

TEST(QuantKernels, QuantizeInputMatchesReference)
{
    const json& c = fixture()["quantize_input"];
    std::vector<float> x;
    for (const json& v : c["x"]) x.push_back(fixture_float(v));
    const float scale = c["scale"].get<float>();
    const std::vector<int> want = vec<int>(c["q"]);
    ASSERT_EQ(x.size() % 2, 0u);
    EXPECT_TRUE(std::isnan(x[2]));
    for (int channels : {1, 2}) {  // one channel gets a zero channel after each pixel
        const int pixels = int(x.size()) / channels, padded = channels + (channels & 1);
        std::vector<int16_t> q(size_t(pixels * padded), 99);
        hp_quantize_f32_s16(x.data(), pixels, channels, scale, q.data());
        for (int p = 0; p < pixels; p++) {
            for (int k = 0; k < channels; k++)
                ASSERT_EQ(q[size_t(p * padded + k)], want[size_t(p * channels + k)]) << "channels " << channels << " x " << x[size_t(p * channels + k)];
            if (padded > channels) {
                ASSERT_EQ(q[size_t(p * padded + channels)], 0);
            }
        }
        // in place: the float buffer itself receives the int16 values
        std::vector<float> buffer(x);
        hp_quantize_f32_s16(buffer.data(), pixels, channels, scale, reinterpret_cast<int16_t*>(buffer.data()));
        EXPECT_EQ(std::memcmp(buffer.data(), q.data(), q.size() * 2), 0) << "channels " << channels;
    }
}

TEST(QuantKernels, RuntimeLayoutsHoldEveryWeight)
{
    // 3 filters, 2 channels: blocks of 2 filters, the last block (filter 2 and a zero one) first
    std::vector<int16_t> conv(3 * 9 * 2);
    for (size_t i = 0; i < conv.size(); i++) conv[i] = int16_t(i % 2 ? -int(i) : int(i) + 100);
    const std::vector<int32_t> bias = {-7, 8, 90000};
    const std::vector<int32_t> w = hp::conv_weights_runtime_layout(conv, bias, 3, 2);
    ASSERT_EQ(w.size(), 40u);
    auto word = [](int16_t distance, int16_t signal) { return int32_t(uint32_t(uint16_t(distance)) | uint32_t(uint16_t(signal)) << 16); };
    // block 1 (filters 2, 3) at words 0..19: taps 4..8, 0..2, biases, tap 3, f0 before f1
    EXPECT_EQ(w[0], word(conv[(2 * 9 + 4) * 2], conv[(2 * 9 + 4) * 2 + 1]));  // filter 2 tap 4
    EXPECT_EQ(w[1], 0);                                                        // filter 3: padding
    EXPECT_EQ(w[10], word(conv[(2 * 9 + 0) * 2], conv[(2 * 9 + 0) * 2 + 1]));  // filter 2 tap 0
    EXPECT_EQ(w[16], 90000 + 32768);                                           // filter 2 bias + 2^15
    EXPECT_EQ(w[17], 0);
    EXPECT_EQ(w[18], word(conv[(2 * 9 + 3) * 2], conv[(2 * 9 + 3) * 2 + 1]));  // filter 2 tap 3
    // block 0 (filters 0, 1) at words 20..39
    EXPECT_EQ(w[20 + 9], word(conv[(1 * 9 + 8) * 2], conv[(1 * 9 + 8) * 2 + 1]));  // filter 1 tap 8
    EXPECT_EQ(w[20 + 14], word(conv[(0 * 9 + 2) * 2], conv[(0 * 9 + 2) * 2 + 1]));  // filter 0 tap 2
    EXPECT_EQ(w[20 + 16], -7 + 32768);
    EXPECT_EQ(w[20 + 17], 8 + 32768);
    // every tap word appears once, and only where hp_conv_weight_index says
    for (int f = 0; f < 3; f++)
        for (int t = 0; t < 9; t++)
            EXPECT_EQ(w[size_t(hp_conv_weight_index(f, t, 3))], word(conv[size_t((f * 9 + t) * 2)], conv[size_t((f * 9 + t) * 2 + 1)]));
    const std::vector<int32_t> one = hp::conv_weights_runtime_layout({1, 2, 3, 4, 5, 6, 7, 8, -9}, {0}, 1, 1);
    EXPECT_EQ(one[size_t(hp_conv_weight_index(0, 8, 1))], word(-9, 0));  // one channel: signal 0
    std::vector<int16_t> dense(5 * 6);  // 5 outputs, 6 inputs
    for (size_t i = 0; i < dense.size(); i++) dense[i] = int16_t(i + 1);
    const std::vector<int8_t> d = hp::dense_kernel_runtime_layout(dense, 5, 6);
    ASSERT_EQ(d.size(), 8u * 8u);
    EXPECT_EQ(std::vector<int8_t>(d.begin(), d.begin() + 8), (std::vector<int8_t>{1, 3, 2, 4, 7, 9, 8, 10}));
    EXPECT_EQ(d[16], 5);   // row 0, inputs 4..7 (6, 7 padded)
    EXPECT_EQ(d[17], 0);
    EXPECT_EQ(d[18], 6);
    EXPECT_EQ(d[32], 25);  // row 4 starts the second block of rows
    EXPECT_EQ(d[36], 0);   // row 5: padding
}

namespace {

// Values -> a dense input vector padded with zeros to `size`.
std::vector<int16_t> padded(const std::vector<int16_t>& v, size_t size)
{
    std::vector<int16_t> out(std::max(size, v.size()), 0);
    std::copy(v.begin(), v.end(), out.begin());
    return out;
}

}  // namespace

TEST(QuantKernels, ConvMaxpoolMatchesReference)
{
    size_t cases = 0;
    for (const json& c : fixture()["conv"]) {
        int h = c["height"], w = c["width"], ch = c["channels"], f = c["filters"];
        // [pixels][channels] -> [pixels][2]: a second channel 0 when there is one
        const std::vector<int16_t> x = vec<int16_t>(c["input"]);
        std::vector<int16_t> in(size_t(h * w * 2), 0);
        for (size_t p = 0; p < size_t(h * w); p++)
            for (size_t k = 0; k < size_t(ch); k++) in[2 * p + k] = x[p * size_t(ch) + k];
        std::vector<int32_t> bias = vec<int32_t>(c["bias"]);  // as the kernel takes it: bias + 2^15
        for (int32_t& b : bias) b -= 32768;
        const std::vector<int32_t> k = hp::conv_weights_runtime_layout(vec<int16_t>(c["kernel"]), bias, f, ch);
        const std::vector<int16_t> want = vec<int16_t>(c["output"]);
        std::vector<int16_t> out(want.size(), 99);
        hp_conv2d_3x3_maxpool2x2_s8(in.data(), h, w, k.data(), f, out.data());
        EXPECT_EQ(out, want) << h << "x" << w << "x" << ch << " f" << f;
        cases++;
    }
    EXPECT_EQ(cases, 5u);
}

TEST(QuantKernels, DenseMatchesReference)
{
    for (const json& c : fixture()["dense"]) {
        int n_in = c["inputs"], n_out = c["outputs"];
        const std::vector<int16_t> in = padded(vec<int16_t>(c["input"]), size_t(hp_round4(n_in)));
        const std::vector<int8_t> k = hp::dense_kernel_runtime_layout(vec<int16_t>(c["kernel"]), n_out, n_in);
        std::vector<int32_t> bias = vec<int32_t>(c["bias"]), mult = vec<int32_t>(c["multiplier"]);
        bias.resize(size_t(hp_round4(n_out)), 0);  // padded to whole blocks of 4 rows
        mult.resize(bias.size(), 0);
        std::vector<int16_t> out(size_t(hp_round4(n_out)), 99);
        hp_dense_s8(in.data(), hp_round4(n_in), k.data(), bias.data(), n_out, mult.data(), out.data());
        EXPECT_EQ(std::vector<int16_t>(out.begin(), out.begin() + n_out), vec<int16_t>(c["output"])) << n_in << "->" << n_out;
        for (size_t o = size_t(n_out); o < out.size(); o++) EXPECT_EQ(out[o], 0);  // padding
    }
}

TEST(QuantKernels, DenseS32MatchesReference)
{
    for (const json& c : fixture()["dense_s32"]) {
        int n_in = c["inputs"], n_out = c["outputs"];
        const std::vector<int16_t> in = padded(vec<int16_t>(c["input"]), size_t(hp_round4(n_in)));
        const std::vector<int8_t> k = hp::dense_kernel_runtime_layout(vec<int16_t>(c["kernel"]), n_out, n_in);
        std::vector<int32_t> bias = vec<int32_t>(c["bias"]);
        bias.resize(size_t(hp_round4(n_out)), 0);  // padded to whole blocks of 4 rows
        std::vector<int32_t> out(bias.size(), 99);
        hp_dense_s8_s32(in.data(), hp_round4(n_in), k.data(), bias.data(), n_out, out.data());
        EXPECT_EQ(std::vector<int32_t>(out.begin(), out.begin() + n_out), vec<int32_t>(c["output"])) << n_in << "->" << n_out;
        for (size_t o = size_t(n_out); o < out.size(); o++) EXPECT_EQ(out[o], 0);  // padding
    }
}

namespace {

// The weights of a CNN2D_ST_HandPosture layer list (conv, hidden dense, output dense).
struct StWeights {
    std::vector<float>&conv_kernel, &conv_bias, &dense1_kernel, &dense1_bias, &dense2_kernel, &dense2_bias;
};

StWeights weights_of(hp::Model& m)
{
    std::vector<hp::Layer*> w;
    for (hp::Layer& l : m.layers)
        if (l.kind == hp::LayerKind::conv2d || l.kind == hp::LayerKind::dense) w.push_back(&l);
    return {w.at(0)->weights[0], w.at(0)->weights[1], w.at(1)->weights[0],
            w.at(1)->weights[1], w.at(2)->weights[0], w.at(2)->weights[1]};
}

hp::ModelShape shape_of(const hp::Model& m) { return hp::as_cnn2d_st(m).value().shape; }

// CNN2D_ST_HandPosture of `shape` with zero weights.
hp::Model st_model(const hp::ModelShape& shape, std::vector<std::string> names)
{
    return hp::cnn2d_st_model(shape, std::move(names), 0.2f);
}

// A float model with random weights and random frames to calibrate it on.
hp::Model random_model(unsigned seed, int classes = 8)
{
    hp::ModelShape shape;
    shape.classes = classes;
    std::vector<std::string> names = hp::st_default_classes();
    names.resize(size_t(classes));
    hp::Model m = st_model(shape, classes == 8 ? names : std::vector<std::string>{});
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, 0.3f);
    const StWeights w = weights_of(m);
    for (auto* v : {&w.conv_kernel, &w.conv_bias, &w.dense1_kernel, &w.dense1_bias, &w.dense2_kernel, &w.dense2_bias})
        for (float& x : *v) x = g(rng);
    return m;
}

std::vector<float> random_frames(size_t count, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::vector<float> frames(count * 128);
    for (float& v : frames) v = g(rng);
    return frames;
}

std::string error_of(std::vector<unsigned char> bytes)
{
    try {
        hp::parse_quant_model(bytes, "m.hpq");
    } catch (const hp::Error& e) {
        return e.what();
    }
    return "no error";
}

// Rewrites the trailing CRC-32 so a deliberately changed file gets past the checksum.
void fix_crc(std::vector<unsigned char>& bytes)
{
    uint32_t crc = uint32_t(crc32(0L, bytes.data(), uInt(bytes.size() - 4)));
    for (int i = 0; i < 4; i++) bytes[bytes.size() - 4 + size_t(i)] = (unsigned char)(crc >> (8 * i));
}

}  // namespace

TEST(QuantModel, CalibrationCoversObservedRanges)
{
    hp::Model m = random_model(1);
    std::vector<float> frames = random_frames(300, 2);
    hp::QuantModel minmax = hp::quantize_model(m, frames.data(), 300, hp::CalibrationMethod::minmax);
    hp::QuantModel pct = hp::quantize_model(m, frames.data(), 300, hp::CalibrationMethod::percentile);
    float lo = *std::min_element(frames.begin(), frames.end()), hi = *std::max_element(frames.begin(), frames.end());
    // minmax: the int16 symmetric grid covers [lo, hi], with at least 11 bits of it used
    const float x_max = std::max(-lo, hi);
    EXPECT_LE(x_max / minmax.input_scale, 32767.5f);
    EXPECT_GE(x_max / minmax.input_scale, 2048.0f);
    EXPECT_EQ(minmax.conv.output_zero_point, -128);  // ReLU output: [0, max]
    // percentile clips the tails, so its steps are finer
    EXPECT_LT(pct.input_scale, minmax.input_scale);
    EXPECT_LE(pct.conv.output_scale, minmax.conv.output_scale);
    EXPECT_EQ(pct.calibration_frames, 300u);
    EXPECT_EQ(pct.method, hp::CalibrationMethod::percentile);
    EXPECT_THROW(hp::parse_calibration_method("kl"), hp::Error);
}

TEST(QuantModel, Int8AgreesWithFloatOnRandomModel)
{
    hp::Model m = random_model(3);
    std::vector<float> frames = random_frames(500, 4);
    hp::QuantModel q = hp::quantize_model(m, frames.data(), 500, hp::CalibrationMethod::minmax);
    std::vector<float> s8 = hp::predict_scores(q, frames.data(), 500, 2);
    const std::vector<float> all_f32 = hp::predict_scores(m, frames.data(), 500, 1);
    int agree = 0;
    for (size_t n = 0; n < 500; n++) {
        const std::vector<float> f32(all_f32.begin() + long(n) * 8, all_f32.begin() + long(n + 1) * 8);
        const float* s = s8.data() + n * 8;
        agree += std::max_element(f32.begin(), f32.end()) - f32.begin() == std::max_element(s, s + 8) - s;
        for (int o = 0; o < 8; o++) EXPECT_NEAR(s[o], f32[size_t(o)], 0.1f);
    }
    EXPECT_GE(agree, 470);
    // threads do not change results
    EXPECT_EQ(hp::predict_logits(q, frames.data(), 500, 1), hp::predict_logits(q, frames.data(), 500, 3));
}

// The deploy package quantizes its float tensor in place (the scratch is the tensor's memory):
// same logits and scores as with the input apart.
TEST(QuantModel, InputInsideScratchGivesTheSameResult)
{
    hp::Model m = random_model(13);
    std::vector<float> frames = random_frames(50, 14);
    hp::QuantModel q = hp::quantize_model(m, frames.data(), 50, hp::CalibrationMethod::minmax);
    const hp_model_s8 view = q.runtime_view();
    const size_t words = std::max(hp_model_s8_scratch_bytes(&view), size_t(128 * 4)) / 4;
    const std::vector<int32_t> want = hp::predict_logits(q, frames.data(), 50, 1);
    const std::vector<float> want_scores = hp::predict_scores(q, frames.data(), 50, 1);
    for (size_t n = 0; n < 50; n++) {
        std::vector<uint32_t> memory(words);
        std::memcpy(memory.data(), frames.data() + n * 128, 128 * 4);
        int32_t logits[8];
        ASSERT_EQ(hp_model_s8_run_logits(&view, reinterpret_cast<const float*>(memory.data()), logits, memory.data()), 0);
        EXPECT_EQ(std::vector<int32_t>(logits, logits + 8), std::vector<int32_t>(want.begin() + long(n) * 8, want.begin() + long(n + 1) * 8));
        std::memcpy(memory.data(), frames.data() + n * 128, 128 * 4);
        float scores[8];
        ASSERT_EQ(hp_model_s8_run(&view, reinterpret_cast<const float*>(memory.data()), scores, memory.data()), 0);
        EXPECT_EQ(std::vector<float>(scores, scores + 8), std::vector<float>(want_scores.begin() + long(n) * 8, want_scores.begin() + long(n + 1) * 8));
    }
}

// The conv weights' one scale must make the requantization a shift by 16, and each dense
// multiplier must match its scales: the reader rejects a model where either does not hold.
TEST(QuantModel, ConvScaleAndDenseMultipliersAreChecked)
{
    hp::Model m = random_model(15);
    std::vector<float> frames = random_frames(50, 16);
    const hp::QuantModel q = hp::quantize_model(m, frames.data(), 50, hp::CalibrationMethod::minmax);
    for (float ws : q.conv.weight_scales)
        EXPECT_NEAR(double(q.input_scale) * ws / q.conv.output_scale, std::ldexp(1.0, -16), 1e-6 * std::ldexp(1.0, -16));
    auto error = [](const hp::QuantModel& bad) {
        try {
            bad.validate("m.hpq");
        } catch (const hp::Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    hp::QuantModel bad = q;
    bad.conv.weight_scales[3] *= 1.001f;
    EXPECT_NE(error(bad).find("conv weight scale does not match"), std::string::npos) << error(bad);
    bad = q;
    bad.dense1.multiplier[5] += 1;
    EXPECT_NE(error(bad).find("dense multiplier of channel 5 does not match"), std::string::npos) << error(bad);
    bad = q;
    bad.dense1.output_zero_point = -127;
    EXPECT_NE(error(bad).find("dense output zero point -127"), std::string::npos) << error(bad);
}

// A dense channel so large that input_scale * weight_scale / output_scale would reach 1/2 (its
// output is always cut by ReLU, so the output range stays small): the quantizer coarsens the
// output scale until every SMMULR multiplier is below 2^31, and the model stays valid.
TEST(QuantModel, HugeDenseChannelCoarsensItsOutputScale)
{
    hp::Model m = random_model(17);
    const size_t units = size_t(shape_of(m).dense_units), flat = size_t(shape_of(m).flat_size());
    const StWeights w = weights_of(m);
    for (size_t i = 0; i < flat; i++) w.dense1_kernel[i * units + 3] *= 1e6f;
    w.dense1_bias[3] = -1e9f;
    std::vector<float> frames = random_frames(50, 18);
    const hp::QuantModel q = hp::quantize_model(m, frames.data(), 50, hp::CalibrationMethod::minmax);
    for (int32_t mult : q.dense1.multiplier) EXPECT_GE(mult, 0);
    EXPECT_GT(q.dense1.multiplier[3], 1 << 30);
    EXPECT_NO_THROW(q.validate("m.hpq"));
}

// A conv filter with huge weights, always cut by ReLU through a huge negative bias: the input
// and weight steps cannot both fit their limits, so the quantizer coarsens the conv output scale
// and clips that bias at -2^30; the model stays valid (no accumulator can overflow, checked by
// validate) and the filter's pooled outputs are all 0, as in float.
TEST(QuantModel, HugeConvFilterCoarsensTheConvOutputScale)
{
    hp::Model m = random_model(19);
    const size_t filters = size_t(shape_of(m).conv_filters);
    const StWeights w = weights_of(m);
    for (size_t i = 0; i < w.conv_kernel.size() / filters; i++) w.conv_kernel[i * filters + 3] *= 1e4f;
    w.conv_bias[3] = -1e9f;
    std::vector<float> frames = random_frames(50, 20);
    const hp::QuantModel q = hp::quantize_model(m, frames.data(), 50, hp::CalibrationMethod::minmax);
    EXPECT_NO_THROW(q.validate("m.hpq"));
    EXPECT_EQ(q.conv.bias[3], -(1 << 30));
    const hp::QuantModel plain = hp::quantize_model(random_model(19), frames.data(), 50, hp::CalibrationMethod::minmax);
    EXPECT_GT(q.conv.output_scale, plain.conv.output_scale);  // coarser than the calibrated range asks
    const hp_model_s8 view = q.runtime_view();
    std::vector<int16_t> pooled(size_t(shape_of(m).flat_size()));
    for (size_t n = 0; n < 50; n++) {
        std::vector<int16_t> in(128);
        hp_quantize_f32_s16(frames.data() + n * 128, 64, 2, q.input_scale, in.data());
        hp_conv2d_3x3_maxpool2x2_s8(in.data(), 8, 8, view.conv_weights, int(filters), pooled.data());
        for (size_t p = 3; p < pooled.size(); p += filters) ASSERT_EQ(pooled[p], 0) << "frame " << n;
    }
}

TEST(QuantModel, TwoClassModelUsesOneSigmoidOutput)
{
    hp::Model m = random_model(5, 2);
    std::vector<float> frames = random_frames(100, 6);
    hp::QuantModel q = hp::quantize_model(m, frames.data(), 100, hp::CalibrationMethod::minmax);
    EXPECT_EQ(q.dense2.kernel.size(), 32u);
    std::vector<float> s = hp::predict_scores(q, frames.data(), 100, 1);
    ASSERT_EQ(s.size(), 100u);
    for (float v : s) EXPECT_TRUE(v >= 0.0f && v <= 1.0f);
}

TEST(QuantFile, RoundTripKeepsEveryField)
{
    hp::test::ScratchDir dir;
    hp::Model m = random_model(7);
    m.distance_mode = HP_DISTANCE_RELATIVE;
    std::vector<float> frames = random_frames(200, 8);
    hp::QuantModel q = hp::quantize_model(m, frames.data(), 200, hp::CalibrationMethod::percentile);
    hp::write_quant_model(dir / "m.hpq", q);
    EXPECT_TRUE(hp::is_quant_model_file(dir / "m.hpq"));
    hp::QuantModel back = hp::read_quant_model(dir / "m.hpq");
    EXPECT_EQ(back, q);
    EXPECT_EQ(back.distance_mode, HP_DISTANCE_RELATIVE);
    EXPECT_EQ(hp::read_any_model(dir / "m.hpq").model.distance_mode, HP_DISTANCE_RELATIVE);
    EXPECT_EQ(back.class_names, hp::st_default_classes());
    EXPECT_EQ(hp::predict_logits(back, frames.data(), 200), hp::predict_logits(q, frames.data(), 200));
    // size: header + 3 layers + names + CRC, nothing else
    EXPECT_EQ(std::filesystem::file_size(dir / "m.hpq"), hp::serialize_quant_model(q).size());
    EXPECT_FALSE(hp::is_quant_model_file(hp::test::fixtures_dir() / "quant_fixture.json"));
}

TEST(QuantFile, BadFilesGiveClearErrors)
{
    hp::Model m = random_model(9);
    std::vector<float> frames = random_frames(50, 10);
    const std::vector<unsigned char> good =
        hp::serialize_quant_model(hp::quantize_model(m, frames.data(), 50, hp::CalibrationMethod::minmax));
    EXPECT_EQ(error_of(good), "no error");

    auto has = [](const std::string& message, const std::string& part) {
        return message.rfind("m.hpq: ", 0) == 0 && message.find(part) != std::string::npos;
    };
    EXPECT_PRED2(has, error_of({}), "bad magic");
    EXPECT_PRED2(has, error_of({'H', 'D', 'F'}), "bad magic");
    auto cut = good;
    cut.resize(good.size() / 2);
    EXPECT_PRED2(has, error_of(cut), "CRC-32");
    fix_crc(cut);
    EXPECT_PRED2(has, error_of(cut), "truncated");
    auto flipped = good;
    flipped[200] ^= 0x10;
    EXPECT_PRED2(has, error_of(flipped), "CRC-32 mismatch");
    auto version = good;
    version[8] = 9;
    EXPECT_PRED2(has, error_of(version), "unsupported format version 9");
    auto height = good;
    height[12] = 200;
    fix_crc(height);
    EXPECT_PRED2(has, error_of(height), "input height 200 is outside [4, 64]");
    auto extra = good;
    extra.insert(extra.end() - 4, {1, 2, 3});
    fix_crc(extra);
    EXPECT_PRED2(has, error_of(extra), "unexpected bytes");
    auto mode = good;  // the distance mode is the last field before the CRC
    mode[mode.size() - 8] = 7;
    fix_crc(mode);
    EXPECT_PRED2(has, error_of(mode), "unknown distance mode 7");
    // conv layer at 12 + 6*4 + 8 + 4 = 48: output scale, zero point, 8 weight scales, 8 biases
    auto weight_scale = good;
    weight_scale[48 + 8] ^= 1;
    fix_crc(weight_scale);
    EXPECT_PRED2(has, error_of(weight_scale), "conv weight scale does not match");
    auto bias = good;  // conv bias of filter 0 near INT32_MAX
    std::memset(bias.data() + 48 + 8 + 32, 0xff, 3);
    bias[48 + 8 + 32 + 3] = 0x7f;
    fix_crc(bias);
    EXPECT_PRED2(has, error_of(bias), "conv channel 0: the int32 accumulator could overflow");
    auto scale = good;
    std::memset(scale.data() + 48, 0xff, 4);  // conv output scale NaN
    fix_crc(scale);
    EXPECT_PRED2(has, error_of(scale), "conv output scale is not a finite positive number");
    auto zero_point = good;
    zero_point[48 + 4] = 0;  // -128 -> -256
    fix_crc(zero_point);
    EXPECT_PRED2(has, error_of(zero_point), "conv output zero point -256");

    hp::test::ScratchDir dir;
    try {
        hp::read_quant_model(dir / "missing.hpq");
        FAIL() << "no error for a missing file";
    } catch (const hp::Error& e) {
        EXPECT_NE(std::string(e.what()).find("missing.hpq"), std::string::npos);
    }
}

// ST's pretrained model on the public dataset: int8 loses at most 0.5 point of accuracy.
TEST(QuantModel, StModelInt8WithinHalfPointOfFloat)
{
    HP_REQUIRE_SHARED();
    hp::Model model = hp::read_keras_h5(hp::test::st_pretrained_h5());
    hp::Dataset data = hp::load_dataset(hp::test::public_dataset_zip(), {});
    ASSERT_EQ(data.size(), 11443u);
    std::vector<float> frames;
    for (size_t i : hp::calibration_subset(data.size(), 1000))
        frames.insert(frames.end(), data.input(i), data.input(i) + data.input_size());
    auto accuracy = [&](const std::vector<float>& scores) {
        size_t correct = 0;
        for (size_t n = 0; n < data.size(); n++) {
            const float* s = scores.data() + n * 8;
            correct += std::max_element(s, s + 8) - s == data.labels[n];
        }
        return double(correct) / double(data.size());
    };
    const std::vector<float> f32 = hp::predict_scores(model, data.inputs.data(), data.size(), 1);
    const double float_accuracy = accuracy(f32);
    EXPECT_NEAR(float_accuracy, 0.9896, 0.0005);  // SPEC: 98.96 %
    for (auto method : {hp::CalibrationMethod::minmax, hp::CalibrationMethod::percentile}) {
        hp::QuantModel q = hp::quantize_model(model, frames.data(), 1000, method);
        const double int8_accuracy = accuracy(hp::predict_scores(q, data.inputs.data(), data.size()));
        std::printf("%s: float %.4f int8 %.4f\n", hp::calibration_method_name(method), float_accuracy, int8_accuracy);
        EXPECT_GE(int8_accuracy, float_accuracy - 0.005) << hp::calibration_method_name(method);
    }
}

namespace {

int shell(const std::string& command) { return std::system(command.c_str()); }

using hp::test::read_text;

}  // namespace

// An int8 package of ST's model, built for Cortex-M4 at -O2 and -Os and Cortex-M7 (kernels on their
// asm paths) and for Cortex-M0+ (portable C) and run in QEMU, gives the host runtime's int32
// logits bit for bit on 240 public frames and 16 tensors of truncation edges; the same on the host.
TEST(QuantDeploy, QemuCortexMMatchesHostBitExactly)
{
    HP_REQUIRE_SHARED();
    if (shell("command -v arm-none-eabi-gcc >/dev/null && command -v qemu-system-arm >/dev/null") != 0)
        GTEST_SKIP() << "needs arm-none-eabi-gcc and qemu-system-arm";
    hp::Model model = hp::read_keras_h5(hp::test::st_pretrained_h5());
    hp::Dataset data = hp::load_dataset(hp::test::public_dataset_zip(), {});
    std::vector<float> calibration, tensors;
    for (size_t i : hp::calibration_subset(data.size(), 1000))
        calibration.insert(calibration.end(), data.input(i), data.input(i) + data.input_size());
    const std::vector<size_t> picked = hp::calibration_subset(data.size(), 240);
    for (size_t i : picked) tensors.insert(tensors.end(), data.input(i), data.input(i) + data.input_size());
    hp::QuantModel q = hp::quantize_model(model, calibration.data(), 1000, hp::CalibrationMethod::minmax);
    // 16 tensors of truncation edges: x * (1 / scale) exactly an integer across the int16 range and
    // beyond (the clamp), and the floats just above and below those, which the host (C cast) and
    // the Cortex-M4F (VCVT to fixed point, SSAT16) must both truncate toward zero
    const float inverse = 1.0f / q.input_scale;
    size_t exact = 0;
    for (size_t n = 0; n < 16; n++)
        for (size_t i = 0; i < data.input_size(); i++) {
            const float t = float(int((n * 3701 + i * 1103) % 70000) - 35000);
            float x = t / inverse;
            exact += x * inverse == t;
            if (i % 3 == 1) x = std::nextafter(x, 1e9f);
            if (i % 3 == 2) x = std::nextafter(x, -1e9f);
            tensors.push_back(x);
        }
    EXPECT_GT(exact, 16 * data.input_size() / 2);
    const size_t count = picked.size() + 16;

    hp::codegen::DeployOptions options;
    options.class_names = data.class_names;
    hp::test::ScratchDir dir;
    hp::codegen::write_package(dir / "pkg", hp::codegen::quant_package_files(q, options));
    for (const auto& [name, text] : hp::codegen::quant_test_vector_files(q, tensors, count)) {
        std::ofstream out(dir / name);
        out << text;
    }
    const std::string fw = std::string(HP_SOURCE_DIR) + "/firmware";
    const std::string sources = "'" + fw + "/harness_s8.c' '" + (dir / "hp_s8_vectors.c").string() + "' '" +
                                (dir / "pkg").string() + "'/*.c -I'" + (dir / "pkg").string() + "' -I'" +
                                dir.path().string() + "'";
    // the Cortex-M4 asm paths at -O2 and -Os, the Cortex-M7's, and the portable C on a Cortex-M0+
    const std::pair<const hp::test::CortexTarget*, const char*> builds[] = {
        {&hp::test::kCortexM4, "-O2"}, {&hp::test::kCortexM4, "-Os"}, {&hp::test::kCortexM7, "-O2"},
        {&hp::test::kCortexM0Plus, "-O2"}};
    for (const auto& [target, opt] : builds) {
        std::string output;
        EXPECT_EQ(hp::test::run_on_qemu(dir.path(), *target, opt, sources, &output), 0) << target->name << opt << output;
        EXPECT_NE(output.find("PASS: int8 " + std::to_string(count) + " frames, 0 logits differ"), std::string::npos)
            << target->name << " " << opt << ": " << output;
    }

    const std::string warnings = " -std=c99 -O2 -Wall -Wextra -Wpedantic -Werror ";
    const std::string host = "cd '" + dir.path().string() + "' && cc -DHP_HOST_BUILD" + warnings + sources +
                             " -lm -o harness > host_build.log 2>&1 && ./harness > host.log 2>&1";
    EXPECT_EQ(shell(host), 0) << read_text(dir / "host_build.log") << read_text(dir / "host.log");
    EXPECT_NE(read_text(dir / "host.log").find("PASS: int8 " + std::to_string(count) + " frames"), std::string::npos);
}

TEST(QuantCli, QuantizePrintsFloatAndInt8Accuracy)
{
    HP_REQUIRE_SHARED();
    hp::test::ScratchDir dir;
    const std::string base = "quantize --model '" + hp::test::st_pretrained_h5().string() + "' --data '" +
                             hp::test::public_dataset_zip().string() + "' --out '" + (dir / "st.hpq").string() + "'";
    hp::test::CommandResult r = hp::test::run_cli(base + " --calibration-frames 500 --method percentile");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("calibrated on 500 of 11443 frames (percentile)"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("float32 accuracy: 98.96 %"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("int8 accuracy:"), std::string::npos) << r.output;
    hp::QuantModel q = hp::read_quant_model(dir / "st.hpq");
    EXPECT_EQ(q.calibration_frames, 500u);
    EXPECT_EQ(q.class_names, hp::st_default_classes());

    // the other commands take the int8 file where they take a .h5
    const std::string hpq = "'" + (dir / "st.hpq").string() + "'";
    r = hp::test::run_cli("evaluate --model " + hpq + " --data '" + hp::test::public_dataset_zip().string() + "'");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("accuracy 98."), std::string::npos) << r.output;
    r = hp::test::run_cli("model summary --model " + hpq);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("bytes as int8"), std::string::npos) << r.output;
    r = hp::test::run_cli("export --model " + hpq + " --format onnx --out '" + (dir / "x.onnx").string() + "'");
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("an int8 model cannot be exported"), std::string::npos) << r.output;

    r = hp::test::run_cli("quantize --model '" + (dir / "missing.h5").string() + "' --data '" +
                          hp::test::public_dataset_zip().string() + "' --out '" + (dir / "x.hpq").string() + "'");
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("missing.h5"), std::string::npos) << r.output;
    EXPECT_FALSE(std::filesystem::exists(dir / "x.hpq"));
    r = hp::test::run_cli(base + " --method kl");
    EXPECT_NE(r.exit_code, 0) << r.output;
}

// crossval --quantize: one row per user with float32 and int8 held-out accuracy, and the JSON.
TEST(QuantCli, CrossvalQuantizeScoresEachFoldBothWays)
{
    HP_REQUIRE_SHARED();
    hp::test::ScratchDir dir;
    const hp::test::CommandResult r =
        hp::test::run_cli("crossval --data '" + hp::test::public_dataset_zip().string() +
                          "' --split-by user --quantize --epochs 2 --quiet --json '" + (dir / "cv.json").string() + "'");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    for (const char* user : {"User1", "User2", "User3", "User4"}) EXPECT_NE(r.output.find(user), std::string::npos) << user;
    EXPECT_NE(r.output.find("mean held-out accuracy over 4 folds: float32 "), std::string::npos) << r.output;
    const json j = json::parse(read_text(dir / "cv.json"));
    ASSERT_EQ(j["folds"].size(), 4u);
    size_t held_out = 0;
    for (const json& f : j["folds"]) {
        EXPECT_GT(f["int8_accuracy"].get<double>(), 0.0);
        EXPECT_NEAR(f["int8_accuracy"].get<double>(), f["float_accuracy"].get<double>(), 0.1);
        held_out += f["held_out_frames"].get<size_t>();
    }
    EXPECT_EQ(held_out, 11443u);  // every frame held out once
    EXPECT_EQ(j["calibration_method"], "minmax");
}

TEST(QuantFile, AnyModelTellsInt8FromKerasByContent)
{
    hp::test::ScratchDir dir;
    hp::Model m = random_model(11);
    std::vector<float> frames = random_frames(100, 12);
    hp::QuantModel q = hp::quantize_model(m, frames.data(), 100, hp::CalibrationMethod::minmax);
    hp::write_quant_model(dir / "int8.h5", q);  // misleading extension on purpose
    hp::write_keras_h5(dir / "float.h5", m);
    hp::AnyModel a = hp::read_any_model(dir / "int8.h5"), b = hp::read_any_model(dir / "float.h5");
    ASSERT_TRUE(a.is_int8());
    EXPECT_FALSE(b.is_int8());
    EXPECT_EQ(shape_of(a.model), shape_of(m));
    EXPECT_EQ(a.model.class_names, m.class_names);
    EXPECT_EQ(hp::predict_scores(a, frames.data(), 100, 1), hp::predict_scores(q, frames.data(), 100, 1));
    EXPECT_EQ(hp::predict_scores(b, frames.data(), 100, 1), hp::predict_scores(m, frames.data(), 100, 1));
    hp::codegen::DeployOptions options;
    options.class_names = m.class_names;
    auto files = hp::codegen::deploy_package_files(a, options);
    EXPECT_TRUE(files.count("hp_model_s8.c") && files.count("conv2d_3x3_maxpool2x2_s8.c") && !files.count("hp_model_f32.c"));
    EXPECT_NE(files.at("hp_model_data.c").find("const hp_model_s8 hp_model_data"), std::string::npos);
    EXPECT_FALSE(files.count("requantize_s32.c"));  // host only
    // the package's hp_config.h turns on what this model allows (8 classes, 8x8x2, 8 filters)
    EXPECT_NE(files.at("hp_config.h").find("#define HP_CONFIG_NO_SIGMOID 1"), std::string::npos);
    EXPECT_NE(files.at("hp_config.h").find("#define HP_CONFIG_S8_ASM_SHAPES 1"), std::string::npos);
    EXPECT_NE(hp::codegen::deploy_package_files(b, options).at("hp_config.h").find("#define HP_CONFIG_NO_SIGMOID 1"),
              std::string::npos);
    EXPECT_EQ(hp::codegen::deploy_package_files(b, options).at("hp_config.h").find("HP_CONFIG_S8_ASM_SHAPES"), std::string::npos);
    hp::ModelShape odd_shape;  // 7 filters do not fit the conv asm; 2 classes: a sigmoid output
    odd_shape.conv_filters = 7;
    odd_shape.classes = 2;
    hp::Model odd = st_model(odd_shape, {});
    std::fill(weights_of(odd).conv_kernel.begin(), weights_of(odd).conv_kernel.end(), 0.1f);
    hp::codegen::DeployOptions two;
    two.class_names = {"None", "Fist"};
    const std::string odd_config =
        hp::codegen::quant_package_files(hp::quantize_model(odd, frames.data(), 100, hp::CalibrationMethod::minmax), two)
            .at("hp_config.h");
    EXPECT_EQ(odd_config.find("HP_CONFIG_NO_SIGMOID"), std::string::npos) << odd_config;
    EXPECT_EQ(odd_config.find("HP_CONFIG_S8_ASM_SHAPES"), std::string::npos) << odd_config;
    // the README describes the network each package holds
    const std::string int8_readme = hp::codegen::deploy_package_readme(a, options, {});
    const std::string float_readme = hp::codegen::deploy_package_readme(b, options, {});
    EXPECT_NE(int8_readme.find("Model: CNN2D_ST_HandPosture, int8 (post-training quantized, minmax calibration on 100 frames"),
              std::string::npos) << int8_readme;
    EXPECT_NE(int8_readme.find("int hp_run_logits("), std::string::npos) << int8_readme;
    EXPECT_NE(int8_readme.find("`hp_model_s8.c`"), std::string::npos) << int8_readme;
    EXPECT_EQ(int8_readme.find("float32"), std::string::npos) << int8_readme;
    EXPECT_NE(float_readme.find("Model: CNN2D_ST_HandPosture, float32, input"), std::string::npos) << float_readme;
    EXPECT_NE(float_readme.find("`hp_model_f32.c`"), std::string::npos) << float_readme;
    EXPECT_EQ(float_readme.find("hp_run_logits"), std::string::npos) << float_readme;
}
