// The general int8 network (quant/quant_net.hpp, runtime/hp_net_s8.h): its int32 logits against
// an integer reference written here from the scheme alone (direct convolution loops in int64,
// pooling after requantization, no im2col, no runtime layouts), the quantizer's dispatch, the
// .hpq version 5 round trip and its errors, the runtime's refusal of malformed networks, the
// accuracy on ST's dataset against the float model, and the deploy package on emulated Cortex-M
// cores (bit for bit with the host) with its instruction count per multiply-accumulate.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>

#include "codegen/int8_package.hpp"
#include "codegen/package.hpp"
#include "core/error.hpp"
#include "data/dataset.hpp"
#include "model/architectures.hpp"
#include "model/cnn2d_st.hpp"
#include "model/predict.hpp"
#include "quant/model_any.hpp"
#include "quant/quant_file.hpp"
#include "quant/quant_net.hpp"
#include "test_support.hpp"
#include "train/init.hpp"
#include "train/trainer.hpp"

namespace {

namespace fs = std::filesystem;
using Kind = hp::PlanLayer::Kind;

// ---- models ----------------------------------------------------------------------------------

hp::Layer conv(int filters, int k, bool same, bool bias, hp::Activation act)
{
    return hp::conv2d_layer(filters, k, same, bias, act);
}

hp::Layer simple(hp::LayerKind kind) { return hp::layer_of_kind(kind); }

hp::Layer dense(int units, hp::Activation act) { return hp::dense_layer(units, act); }

// Initial weights, biases and batch normalization statistics made non-trivial, so folding and
// biases matter.
hp::Model randomized(hp::Model m, uint32_t seed)
{
    m = hp::train::initial_model(m, seed);
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> u(-0.3f, 0.3f);
    for (hp::Layer& l : m.layers) {
        if (l.kind == hp::LayerKind::batch_norm) {
            for (float& v : l.weights[0]) v = 1.0f + u(gen);
            for (float& v : l.weights[1]) v = u(gen);
            for (float& v : l.weights[2]) v = u(gen);
            for (float& v : l.weights[3]) v = 0.5f + std::fabs(u(gen));
        } else if ((l.kind == hp::LayerKind::conv2d || l.kind == hp::LayerKind::dense) && l.weights.size() == 2) {
            for (float& v : l.weights[1]) v = u(gen);
        }
    }
    return m;
}

hp::Model custom_model(uint32_t seed, int classes = 8)
{
    return randomized(hp::with_output_layer({8, 8, 2}, hp::st_custom_hidden_layers(0.2f), classes), seed);
}

// Every kind of layer and option the plan has: 1x1 valid without ReLU (signed zero points),
// 5x5 same, a pooling of a pooling, a linear dense layer in the middle, an odd width.
hp::Model odd_model(uint32_t seed, int classes)
{
    using A = hp::Activation;
    std::vector<hp::Layer> hidden = {conv(3, 1, false, true, A::linear), conv(6, 5, true, true, A::relu),
                                     simple(hp::LayerKind::max_pool), conv(5, 3, false, false, A::linear),
                                     simple(hp::LayerKind::batch_norm), simple(hp::LayerKind::relu),
                                     simple(hp::LayerKind::flatten), dense(7, A::linear), dense(9, A::relu)};
    return randomized(hp::with_output_layer({9, 7, 2}, hidden, classes), seed);
}

// An odd filter count pooled (the maxima through the accumulators), then a pooling of a pooling.
hp::Model pool_pool_model(uint32_t seed)
{
    using A = hp::Activation;
    std::vector<hp::Layer> hidden = {conv(5, 3, true, true, A::relu), simple(hp::LayerKind::max_pool),
                                     simple(hp::LayerKind::max_pool), simple(hp::LayerKind::flatten),
                                     dense(6, A::relu)};
    return randomized(hp::with_output_layer({8, 8, 1}, hidden, 3), seed);
}

// Convolutions on even channel counts, unpooled and pooled, that ST's models lack: C = 2 (one
// word a pixel) and 8 (four) on a 6x5 input, whose odd width puts a row's last pixel and the next
// row's first in one pair of windows, "same" padding on every side; then C = 4 pooled.
hp::Model even_channels_model(uint32_t seed)
{
    using A = hp::Activation;
    std::vector<hp::Layer> hidden = {conv(8, 3, true, true, A::relu),  conv(4, 3, true, true, A::relu),
                                     conv(6, 3, false, true, A::relu), simple(hp::LayerKind::max_pool),
                                     simple(hp::LayerKind::flatten),   dense(5, A::relu)};
    return randomized(hp::with_output_layer({6, 5, 2}, hidden, 3), seed);
}

// Frames like normalized sensor frames: mostly in [-1, 1], some zones at a far "no target" value.
std::vector<float> random_frames(size_t count, size_t size, uint32_t seed)
{
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f), pick(0.0f, 1.0f);
    std::vector<float> x(count * size);
    for (float& v : x) v = pick(gen) < 0.1f ? 6.0f : u(gen);
    return x;
}

// ---- the integer reference -------------------------------------------------------------------

int64_t requantize(int64_t acc, int32_t multiplier, const hp::QuantNetLayer& l)
{
    // floor((acc * m + 2^31) / 2^32): SMMULR
    const int64_t r = (acc * multiplier + (int64_t(1) << 31)) >> 32;
    return std::clamp<int64_t>(r, -128 - l.output_zero_point, 127 - l.output_zero_point);
}

std::vector<int64_t> reference_logits(const hp::QuantNet& q, const float* x)
{
    std::vector<int64_t> a(q.input.size());
    const float inverse = 1.0f / q.input_scale, top = float(q.input_limit);
    for (size_t i = 0; i < a.size(); i++) {
        const float v = x[i] * inverse;
        a[i] = std::isnan(v) ? 0 : v >= top ? q.input_limit : v <= -top ? -q.input_limit : int64_t(std::trunc(v));
    }
    for (size_t li = 0; li < q.layers.size(); li++) {
        const hp::QuantNetLayer& l = q.layers[li];
        const bool last = li + 1 == q.layers.size();
        const hp::TensorShape in = l.in, out = l.out;
        std::vector<int64_t> b(out.size());
        for (int y = 0; y < out.height; y++)
            for (int xo = 0; xo < out.width; xo++)
                for (int c = 0; c < out.channels; c++) {
                    int64_t v = 0;
                    if (l.kind == Kind::max_pool) {
                        v = INT64_MIN;
                        for (int dy = 0; dy < 2; dy++)
                            for (int dx = 0; dx < 2; dx++)
                                v = std::max(v, a[(size_t(2 * y + dy) * in.width + size_t(2 * xo + dx)) * in.channels + size_t(c)]);
                    } else if (l.kind == Kind::conv2d) {
                        v = l.bias[size_t(c)];
                        const int k = l.kernel_size;
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++)
                                for (int ci = 0; ci < in.channels; ci++) {
                                    const int yy = y + ky - l.padding, xx = xo + kx - l.padding;
                                    if (yy < 0 || yy >= in.height || xx < 0 || xx >= in.width) continue;
                                    v += int64_t(l.kernel[size_t(c) * l.taps() + size_t((ky * k + kx) * in.channels + ci)]) *
                                         a[(size_t(yy) * in.width + size_t(xx)) * in.channels + size_t(ci)];
                                }
                    } else {
                        v = l.bias[size_t(c)];
                        for (size_t i = 0; i < a.size(); i++) v += int64_t(l.kernel[size_t(c) * a.size() + i]) * a[i];
                    }
                    if (l.kind != Kind::max_pool && !last) v = requantize(v, l.multiplier[size_t(c)], l);
                    b[(size_t(y) * out.width + size_t(xo)) * out.channels + size_t(c)] = v;
                }
        a = std::move(b);
    }
    return a;
}

void expect_matches_reference(const hp::QuantNet& q, const std::vector<float>& frames, size_t count)
{
    const std::vector<int32_t> logits = hp::predict_logits(q, frames.data(), count, 1);
    const size_t outs = size_t(q.outputs());
    size_t differ = 0;
    for (size_t n = 0; n < count; n++) {
        const std::vector<int64_t> ref = reference_logits(q, frames.data() + n * q.input.size());
        for (size_t o = 0; o < outs; o++) differ += ref[o] != int64_t(logits[n * outs + o]);
    }
    EXPECT_EQ(differ, 0u);
    // the logits vary: a network stuck at its biases would pass vacuously
    EXPECT_NE(std::vector<int32_t>(logits.begin(), logits.begin() + long(outs)),
              std::vector<int32_t>(logits.begin() + long(outs), logits.begin() + long(2 * outs)));
}

}  // namespace

TEST(QuantNet, CustomModelLogitsMatchIntegerReference)
{
    const hp::Model m = custom_model(3);
    const std::vector<float> frames = random_frames(80, 128, 5);
    const hp::QuantNet q = hp::quantize_net(m, frames.data(), 64, hp::CalibrationMethod::minmax);
    ASSERT_EQ(q.layers.size(), 7u);  // conv, pool, conv, pool, dense, dense, dense
    EXPECT_EQ(q.mac_count(), 102656);
    EXPECT_EQ(q.layers[0].kind, Kind::conv2d);
    EXPECT_EQ(q.layers[0].padding, 1);
    EXPECT_EQ(q.layers[0].output_zero_point, -128);  // ReLU
    // frames 64..79 were not calibrated on; they include values beyond the calibrated range
    std::vector<float> wide = frames;
    for (size_t i = 64 * 128; i < wide.size(); i += 7) wide[i] *= 40.0f;
    expect_matches_reference(q, wide, 80);
}

TEST(QuantNet, OtherListsMatchIntegerReference)
{
    for (int classes : {2, 4}) {
        const hp::Model m = odd_model(11, classes);
        const std::vector<float> frames = random_frames(40, m.input.size(), 12);
        for (auto method : {hp::CalibrationMethod::minmax, hp::CalibrationMethod::percentile}) {
            const hp::QuantNet q = hp::quantize_net(m, frames.data(), 30, method);
            EXPECT_EQ(q.sigmoid, classes == 2);
            bool signed_zero_point = false;
            for (const hp::QuantNetLayer& l : q.layers) signed_zero_point |= l.has_weights() && !l.relu && &l != &q.layers.back() && l.output_zero_point != -128;
            EXPECT_TRUE(signed_zero_point);  // a linear layer's outputs take both signs
            expect_matches_reference(q, frames, 40);
        }
    }
    const hp::Model p = pool_pool_model(2);
    const std::vector<float> frames = random_frames(20, p.input.size(), 3);
    expect_matches_reference(hp::quantize_net(p, frames.data(), 20, hp::CalibrationMethod::minmax), frames, 20);
    const hp::Model e = even_channels_model(5);
    const std::vector<float> even_frames = random_frames(20, e.input.size(), 4);
    expect_matches_reference(hp::quantize_net(e, even_frames.data(), 20, hp::CalibrationMethod::minmax), even_frames, 20);
}

// The general scheme takes ST's family too (its plan: conv 3x3 valid, pool, dense, dense).
TEST(QuantNet, StFamilyThroughTheGeneralNetworkMatchesReference)
{
    hp::Model m = randomized(hp::cnn2d_st_model(hp::ModelShape{}, {}, 0.2f), 4);
    const std::vector<float> frames = random_frames(30, 128, 6);
    expect_matches_reference(hp::quantize_net(m, frames.data(), 30, hp::CalibrationMethod::minmax), frames, 30);
}

TEST(QuantNet, DispatchKeepsTheStPath)
{
    const hp::Model st = randomized(hp::cnn2d_st_model(hp::ModelShape{}, {}, 0.2f), 8);
    const std::vector<float> frames = random_frames(40, 128, 9);
    const hp::AnyQuant a = hp::quantize_any_model(st, frames.data(), 40, hp::CalibrationMethod::minmax);
    ASSERT_TRUE(std::holds_alternative<hp::QuantModel>(a));
    EXPECT_EQ(std::get<hp::QuantModel>(a), hp::quantize_model(st, frames.data(), 40, hp::CalibrationMethod::minmax));
    const hp::AnyQuant b = hp::quantize_any_model(custom_model(1), frames.data(), 40, hp::CalibrationMethod::minmax);
    EXPECT_TRUE(std::holds_alternative<hp::QuantNet>(b));
    EXPECT_THROW(hp::quantize_net(custom_model(1), frames.data(), 0, hp::CalibrationMethod::minmax), hp::Error);
}

// Float and int8 scores of the same random network stay close (the quantization error is small
// against the scores' spread), though nothing is trained.
TEST(QuantNet, ScoresFollowTheFloatModel)
{
    hp::Model m = custom_model(21);
    m.class_names = {"a", "b", "c", "d", "e", "f", "g", "h"};
    const std::vector<float> frames = random_frames(200, 128, 22);
    const hp::QuantNet q = hp::quantize_net(m, frames.data(), 200, hp::CalibrationMethod::minmax);
    const std::vector<float> f = hp::predict_scores(m, frames.data(), 200, 1);
    const std::vector<float> s = hp::predict_scores(q, frames.data(), 200, 1);
    double worst = 0;
    for (size_t i = 0; i < f.size(); i++) worst = std::max(worst, double(std::fabs(f[i] - s[i])));
    EXPECT_LT(worst, 0.05);
    EXPECT_EQ(q.class_names, m.class_names);
}

// ---- file ------------------------------------------------------------------------------------

namespace {

hp::QuantNet small_net(int classes = 3)
{
    const hp::Model m = odd_model(5, classes);
    const std::vector<float> frames = random_frames(20, m.input.size(), 7);
    hp::QuantNet q = hp::quantize_net(m, frames.data(), 20, hp::CalibrationMethod::percentile);
    q.class_names.clear();
    for (int i = 0; i < q.classes(); i++) q.class_names.push_back("c" + std::to_string(i));
    q.distance_mode = HP_DISTANCE_RELATIVE;
    return q;
}

std::string error_of(std::vector<unsigned char> bytes, bool fix_crc = true)
{
    if (fix_crc && bytes.size() >= 4) {
        const uint32_t crc = uint32_t(crc32(0L, bytes.data(), uInt(bytes.size() - 4)));
        for (int i = 0; i < 4; i++) bytes[bytes.size() - 4 + size_t(i)] = (unsigned char)(crc >> (8 * i));
    }
    try {
        hp::parse_quant_file(bytes, "x.hpq");
    } catch (const hp::Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(QuantNetFile, RoundTripsThroughBytesFilesAndAnyModel)
{
    const hp::QuantNet q = small_net();
    const std::vector<unsigned char> bytes = hp::serialize_quant_net(q);
    EXPECT_EQ(std::vector<unsigned char>(bytes.begin() + 8, bytes.begin() + 12), (std::vector<unsigned char>{5, 0, 0, 0}));
    const hp::AnyQuant back = hp::parse_quant_file(bytes, "m.hpq");
    ASSERT_TRUE(std::holds_alternative<hp::QuantNet>(back));
    EXPECT_EQ(std::get<hp::QuantNet>(back), q);

    hp::test::ScratchDir dir;
    hp::write_quant_file(dir / "m.hpq", q);
    EXPECT_TRUE(hp::is_quant_model_file(dir / "m.hpq"));
    const hp::AnyModel any = hp::read_any_model(dir / "m.hpq");
    ASSERT_TRUE(any.net.has_value());
    EXPECT_FALSE(any.quant.has_value());
    EXPECT_TRUE(any.is_int8());
    EXPECT_EQ(*any.net, q);
    EXPECT_NO_THROW(any.model.validate("outline"));
    EXPECT_EQ(any.model.mac_count(), q.mac_count());
    EXPECT_EQ(any.model.class_names, q.class_names);
    EXPECT_EQ(any.model.distance_mode, HP_DISTANCE_RELATIVE);
    const std::vector<float> frames = random_frames(5, q.input.size(), 1);
    EXPECT_EQ(hp::predict_scores(any, frames.data(), 5, 1), hp::predict_scores(q, frames.data(), 5, 1));

    // ST's family still writes and reads version 4
    const hp::Model st = randomized(hp::cnn2d_st_model(hp::ModelShape{}, {}, 0.2f), 8);
    const std::vector<float> st_frames = random_frames(20, 128, 9);
    const hp::QuantModel s = hp::quantize_model(st, st_frames.data(), 20, hp::CalibrationMethod::minmax);
    hp::write_quant_file(dir / "st.hpq", s);
    EXPECT_EQ(hp::read_quant_model(dir / "st.hpq"), s);
    EXPECT_TRUE(hp::read_any_model(dir / "st.hpq").quant.has_value());
}

TEST(QuantNetFile, BadBytesGiveClearErrors)
{
    const hp::QuantNet q = small_net();
    const std::vector<unsigned char> bytes = hp::serialize_quant_net(q);
    // every truncation is an error, never a crash
    for (size_t n = 0; n < bytes.size(); n++) {
        const std::string e = error_of(std::vector<unsigned char>(bytes.begin(), bytes.begin() + long(n)));
        EXPECT_NE(e, "") << n;
        EXPECT_EQ(e.rfind("x.hpq", 0), 0u) << e;
    }
    std::vector<unsigned char> b = bytes;
    b[40] ^= 1;
    EXPECT_NE(error_of(b, false).find("CRC-32 mismatch"), std::string::npos);
    // the first layer's kind: after the magic (8 bytes) and 10 words (version, method, frames,
    // H, W, C, scale, limit, sigmoid, layer count)
    b = bytes;
    b[48] = 7;
    EXPECT_NE(error_of(b).find("layer 0 has unknown kind 7"), std::string::npos) << error_of(b);
    b = bytes;
    b[44] = 0;  // layer count 0
    EXPECT_NE(error_of(b).find("layer count 0 is outside [1, 64]"), std::string::npos) << error_of(b);
    b = bytes;
    b[36] = 0; b[37] = 0; b[38] = 0x40; b[39] = 0;  // input limit 4194304
    EXPECT_NE(error_of(b).find("input limit"), std::string::npos) << error_of(b);
    b = bytes;
    b.insert(b.end() - 4, 3, 0);
    EXPECT_NE(error_of(b).find("unexpected bytes"), std::string::npos) << error_of(b);
    b = bytes;
    b[8] = 6;
    EXPECT_NE(error_of(b).find("unsupported format version 6"), std::string::npos) << error_of(b);
    // the ST reader names what the file holds
    try {
        hp::parse_quant_model(bytes, "x.hpq");
        ADD_FAILURE() << "a version 5 file read as ST's";
    } catch (const hp::Error& e) {
        EXPECT_NE(std::string(e.what()).find("general int8 network"), std::string::npos) << e.what();
    }
    // a weight changed: the multiplier no longer matches its scales... found by validate
    hp::QuantNet bad = q;
    bad.layers[0].multiplier[0] += 1;
    EXPECT_THROW(bad.validate("m"), hp::Error);
    bad = q;
    bad.layers[0].kernel[0] = -128;
    bad.set_derived();
    EXPECT_THROW(bad.validate("m"), hp::Error);
    bad = q;
    bad.layers.back().kernel.pop_back();
    EXPECT_THROW(hp::serialize_quant_net(bad), hp::Error);
    hp::test::ScratchDir dir;
    EXPECT_THROW(hp::read_quant_file(dir / "missing.hpq"), hp::Error);
}

// ---- runtime ---------------------------------------------------------------------------------

TEST(NetS8Runtime, RefusesMalformedNetworks)
{
    const hp::QuantNet q = small_net(4);
    const hp::QuantNetView view(q);
    std::vector<hp_layer_s8> layers = view.layers();
    hp_net_s8 net = *view.get();
    ASSERT_GT(hp_net_s8_scratch_bytes(&net), 0u);
    const std::vector<float> frame(q.input.size(), 0.5f);
    std::vector<uint32_t> scratch(hp_net_s8_scratch_bytes(&net) / 4);
    int32_t logits[4];
    ASSERT_EQ(hp_net_s8_run_logits(&net, frame.data(), logits, scratch.data()), 0);
    auto refused = [&](const std::function<void(hp_net_s8&, std::vector<hp_layer_s8>&)>& change) {
        std::vector<hp_layer_s8> l = layers;
        hp_net_s8 n = net;
        change(n, l);
        n.layers = l.data();
        return hp_net_s8_scratch_bytes(&n) == 0 && hp_net_s8_run_logits(&n, frame.data(), logits, scratch.data()) == -1;
    };
    EXPECT_TRUE(refused([](hp_net_s8&, std::vector<hp_layer_s8>& l) { l[1].padding = 3; }));
    EXPECT_TRUE(refused([](hp_net_s8&, std::vector<hp_layer_s8>& l) { l[1].kernel_size = 2; }));
    EXPECT_TRUE(refused([](hp_net_s8&, std::vector<hp_layer_s8>& l) { l[0].multiplier = nullptr; }));
    EXPECT_TRUE(refused([](hp_net_s8&, std::vector<hp_layer_s8>& l) { l[0].out_max = 300; }));
    EXPECT_TRUE(refused([](hp_net_s8&, std::vector<hp_layer_s8>& l) { l[2].height += 1; }));
    EXPECT_TRUE(refused([](hp_net_s8&, std::vector<hp_layer_s8>& l) { l.back().kind = HP_S8_MAXPOOL2X2; }));
    EXPECT_TRUE(refused([](hp_net_s8& n, std::vector<hp_layer_s8>&) { n.outputs = 3; }));
    EXPECT_TRUE(refused([](hp_net_s8& n, std::vector<hp_layer_s8>&) { n.sigmoid = 1; }));
    EXPECT_TRUE(refused([](hp_net_s8& n, std::vector<hp_layer_s8>&) { n.input_limit = 0; }));
    EXPECT_TRUE(refused([](hp_net_s8& n, std::vector<hp_layer_s8>& l) { l.pop_back(); n.layer_count--; }));
    EXPECT_EQ(hp_net_s8_run_logits(&net, nullptr, logits, scratch.data()), -1);
    EXPECT_EQ(hp_net_s8_scratch_bytes(nullptr), 0u);
}

// RAM: the scratch of ST's custom model is the largest pair of neighbouring activations (int16
// q - zero point) plus a step's work memory, with every convolution pooled on the fly.
TEST(NetS8Runtime, CustomModelScratch)
{
    const hp::Model m = custom_model(3);
    const std::vector<float> frames = random_frames(8, 128, 5);
    const hp::QuantNet q = hp::quantize_net(m, frames.data(), 8, hp::CalibrationMethod::minmax);
    const hp::QuantNetView view(q);
    // conv 2 step, int16 activations: its input 4x4x16; a patch of two 3x3x16 windows plus a window
    // row for each (16 channels gather k + 1 rows); no accumulators (32 filters, an even count, are
    // pooled in registers); its pooled output 2x2x32
    const size_t expected = 2 * 256 + 2 * (2 * 144 + 2 * 3 * 16) + 2 * 128;
    EXPECT_EQ(hp_net_s8_scratch_bytes(view.get()), expected);
    std::printf("ST custom model, int8 scratch: %zu bytes\n", expected);
}
