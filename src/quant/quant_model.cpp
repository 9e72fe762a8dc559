#include "quant/quant_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "hp_kernels_f32.h"
#include "hp_kernels_s8.h"
#include "core/parallel.hpp"

namespace hp {

CalibrationMethod parse_calibration_method(const std::string& name)
{
    if (name == "minmax") return CalibrationMethod::minmax;
    if (name == "percentile") return CalibrationMethod::percentile;
    throw Error("--method", "unknown calibration method '" + name + "' (minmax or percentile)");
}

const char* calibration_method_name(CalibrationMethod method)
{
    return method == CalibrationMethod::percentile ? "percentile" : "minmax";
}

// ---- validation ------------------------------------------------------------------------------

static void check_scale(const std::string& where, const std::string& name, float scale)
{
    if (!std::isfinite(scale) || !(scale > 0.0f)) throw Error(where, name + " is not a finite positive number");
}

// The largest |q - zero point| of a layer's input: the conv input's int16, an int8 ReLU
// activation's [0, 255].
static constexpr int64_t kConvInputMax = -int64_t(HP_S8_INPUT_MIN), kActivationMax = 255;

// weight_max: 32767 for the conv layer's int16 weights, 127 for dense int8 ones.
static void check_layer(const std::string& where, const std::string& name, const QuantLayer& layer, size_t outputs,
                        size_t inputs, bool requantized, int32_t weight_max, int64_t input_max)
{
    check_scale(where, name + " output scale", layer.output_scale);
    if (requantized && layer.output_zero_point != -128)
        throw Error(where, name + " output zero point " + std::to_string(layer.output_zero_point) +
                               " (a ReLU output's is -128)");
    if (!requantized && (layer.output_scale != 1.0f || layer.output_zero_point != 0))
        throw Error(where, name + " has int32 outputs: output scale 1 and zero point 0 expected");
    auto check_size = [&](const char* what, size_t have, size_t want) {
        if (have != want)
            throw Error(where, name + " " + what + " has " + std::to_string(have) + " values, expected " + std::to_string(want));
    };
    check_size("weight scales", layer.weight_scales.size(), outputs);
    check_size("kernel", layer.kernel.size(), outputs * inputs);
    check_size("bias", layer.bias.size(), outputs);
    for (int16_t w : layer.kernel)
        if (w < -weight_max || w > weight_max)
            throw Error(where, name + " kernel holds " + std::to_string(w) + " (symmetric weights are in [-" +
                                   std::to_string(weight_max) + ", " + std::to_string(weight_max) + "])");
    for (size_t o = 0; o < outputs; o++) {
        check_scale(where, name + " weight scale " + std::to_string(o), layer.weight_scales[o]);
        // bounds the int32 accumulator (with the conv's rounding constant) for every input in range
        int64_t bound = std::abs(int64_t(layer.bias[o])) + (1 << 15);
        for (size_t i = 0; i < inputs; i++) bound += input_max * std::abs(int64_t(layer.kernel[o * inputs + i]));
        if (bound > std::numeric_limits<int32_t>::max())
            throw Error(where, name + " channel " + std::to_string(o) + ": the int32 accumulator could overflow");
    }
}

int32_t dense_multiplier(double input_scale, double weight_scale, double output_scale)
{
    const double m = std::round(std::ldexp(input_scale * weight_scale / output_scale, 32));
    return m >= 0.0 && m < 2147483648.0 ? int32_t(m) : -1;
}

float conv_weight_scale(float input_scale, float output_scale)
{
    return float(std::ldexp(double(output_scale) / double(input_scale), -16));
}

void QuantModel::validate(const std::string& where) const
{
    const ModelShape& s = shape;
    if (s.height < 4 || s.width < 4) throw Error(where, "input must be at least 4x4");
    if (s.channels < 1 || s.conv_filters < 1 || s.dense_units < 1 || s.classes < 2)
        throw Error(where, "layer sizes must be positive and classes >= 2");
    if (s.channels > 2)
        throw Error(where, "the int8 network takes 1 or 2 input channels (distance, signal), not " +
                               std::to_string(s.channels));
    if (!class_names.empty() && int(class_names.size()) != s.classes)
        throw Error(where, std::to_string(class_names.size()) + " class names for " + std::to_string(s.classes) + " classes");
    check_scale(where, "input scale", input_scale);
    check_layer(where, "conv", conv, size_t(s.conv_filters), size_t(9) * s.channels, true, 32767, kConvInputMax);
    check_layer(where, "dense", dense1, size_t(s.dense_units), size_t(s.flat_size()), true, 127, kActivationMax);
    check_layer(where, "output dense", dense2, size_t(s.outputs()), size_t(s.dense_units), false, 127, kActivationMax);
    const float conv_scale = conv_weight_scale(input_scale, conv.output_scale);
    for (float ws : conv.weight_scales)
        if (ws != conv_scale)
            throw Error(where, "conv weight scale does not match input scale x 2^-16 / output scale (the >> 16 requantization)");
    if (!conv.multiplier.empty() || !dense2.multiplier.empty())
        throw Error(where, "only the hidden dense layer has requantization multipliers");
    if (dense1.multiplier.size() != size_t(s.dense_units))
        throw Error(where, "dense multipliers has " + std::to_string(dense1.multiplier.size()) + " values, expected " +
                               std::to_string(s.dense_units));
    for (size_t o = 0; o < dense1.multiplier.size(); o++)
        if (dense1.multiplier[o] != dense_multiplier(conv.output_scale, dense1.weight_scales[o], dense1.output_scale))
            throw Error(where, "dense multiplier of channel " + std::to_string(o) +
                                   " does not match its scales (or is not below 2^31)");
    QuantModel derived = *this;
    derived.set_derived();
    if (derived.output_scales != output_scales) throw Error(where, "output scales do not match the layers' scales");
    if (derived.conv_weights_runtime != conv_weights_runtime ||
        derived.dense1_bias_runtime != dense1_bias_runtime || derived.dense2_bias_runtime != dense2_bias_runtime ||
        derived.dense1_multiplier_runtime != dense1_multiplier_runtime ||
        derived.dense1_kernel_runtime != dense1_kernel_runtime || derived.dense2_kernel_runtime != dense2_kernel_runtime)
        throw Error(where, "runtime kernels do not match the layers' kernels");
}

std::vector<int32_t> conv_weights_runtime_layout(const std::vector<int16_t>& kernel, const std::vector<int32_t>& bias,
                                                 int filters, int channels)
{
    std::vector<int32_t> out(size_t(hp_conv_weight_words(filters)), 0);
    for (int f = 0; f < filters; f++) {
        for (int t = 0; t < 9; t++) {
            const size_t at = size_t((f * 9 + t) * channels);
            const uint32_t distance = uint16_t(kernel[at]), signal = channels > 1 ? uint16_t(kernel[at + 1]) : 0u;
            out[size_t(hp_conv_weight_index(f, t, filters))] = int32_t(distance | signal << 16);
        }
        // validate() bounds |bias| + 2^15 below 2^31
        out[size_t(hp_conv_weight_index(f, 9, filters))] = int32_t(int64_t(bias[size_t(f)]) + (1 << 15));
    }
    return out;
}

std::vector<int8_t> dense_kernel_runtime_layout(const std::vector<int16_t>& kernel, int outputs, int inputs)
{
    const size_t in4 = size_t(hp_round4(inputs)), out4 = size_t(hp_round4(outputs));
    static const size_t position[4] = {0, 2, 1, 3};  // w0 w2 w1 w3: where input i % 4 goes
    std::vector<int8_t> out(out4 * in4, 0);
    for (size_t o = 0; o < size_t(outputs); o++)
        for (size_t i = 0; i < size_t(inputs); i++)
            out[(o / 4) * 4 * in4 + (i / 4) * 16 + (o % 4) * 4 + position[i % 4]] = int8_t(kernel[o * size_t(inputs) + i]);
    return out;
}

void QuantModel::set_derived()
{
    output_scales.resize(dense2.weight_scales.size());
    for (size_t o = 0; o < output_scales.size(); o++)
        output_scales[o] = float(double(dense1.output_scale) * double(dense2.weight_scales[o]));
    conv_weights_runtime = conv_weights_runtime_layout(conv.kernel, conv.bias, shape.conv_filters, shape.channels);
    auto padded = [](std::vector<int32_t> v) {
        v.resize(size_t(hp_round4(int(v.size()))), 0);
        return v;
    };
    dense1_bias_runtime = padded(dense1.bias);
    dense1_multiplier_runtime = padded(dense1.multiplier);
    dense2_bias_runtime = padded(dense2.bias);
    dense1_kernel_runtime = dense_kernel_runtime_layout(dense1.kernel, shape.dense_units, shape.flat_size());
    dense2_kernel_runtime = dense_kernel_runtime_layout(dense2.kernel, shape.outputs(), shape.dense_units);
}

long QuantModel::parameter_count() const
{
    return long(conv.kernel.size() + conv.bias.size() + dense1.kernel.size() + dense1.bias.size() +
                dense2.kernel.size() + dense2.bias.size());
}

size_t QuantModel::weight_bytes() const
{
    size_t n = 0;
    for (const QuantLayer* l : {&conv, &dense1, &dense2}) n += 4 * (l->bias.size() + l->multiplier.size());
    return n + 4 * conv_weights_runtime.size() - 4 * conv.bias.size() + dense1_kernel_runtime.size() + dense2_kernel_runtime.size() +
           4 * output_scales.size();
}

hp_model_s8 QuantModel::runtime_view() const
{
    hp_model_s8 v;
    v.height = shape.height;
    v.width = shape.width;
    v.channels = shape.channels;
    v.conv_filters = shape.conv_filters;
    v.dense_units = shape.dense_units;
    v.outputs = shape.outputs();
    v.input_scale = input_scale;
    v.conv_weights = conv_weights_runtime.data();
    v.dense1_kernel = dense1_kernel_runtime.data();
    v.dense1_bias = dense1_bias_runtime.data();
    v.dense1_multiplier = dense1_multiplier_runtime.data();
    v.dense2_kernel = dense2_kernel_runtime.data();
    v.dense2_bias = dense2_bias_runtime.data();
    v.output_scales = output_scales.data();
    return v;
}

// ---- calibration -----------------------------------------------------------------------------

std::vector<size_t> calibration_subset(size_t count, size_t n)
{
    if (n == 0 || n > count) n = count;
    std::vector<size_t> indices(n);
    for (size_t i = 0; i < n; i++) indices[i] = i * count / n;
    return indices;
}

Range observed_range(std::vector<float>& values, CalibrationMethod method)
{
    float lo = 0.0f, hi = 0.0f;
    if (!values.empty()) {
        if (method == CalibrationMethod::minmax) {
            auto [mn, mx] = std::minmax_element(values.begin(), values.end());
            lo = *mn;
            hi = *mx;
        } else {
            size_t last = values.size() - 1;
            size_t k_lo = size_t(double(last) * 0.0001), k_hi = size_t(std::ceil(double(last) * 0.9999));
            std::nth_element(values.begin(), values.begin() + long(k_lo), values.end());
            lo = values[k_lo];
            std::nth_element(values.begin(), values.begin() + long(k_hi), values.end());
            hi = values[k_hi];
        }
    }
    return {std::min(lo, 0.0f), std::max(hi, 0.0f)};
}

void activation_params(Range r, float* scale, int32_t* zero_point)
{
    double span = double(r.hi) - double(r.lo);
    if (!(span > 0)) span = 1.0;  // a tensor that is always 0
    *scale = float(span / 255.0);
    double zp = -128.0 - double(r.lo) / double(*scale);
    *zero_point = int32_t(std::lround(std::clamp(zp, -128.0, 127.0)));
}

// Symmetric int weights of one output channel o of a Keras kernel [inputs][outputs], scale ws.
static void quantize_channel(const std::vector<float>& kernel_io, size_t inputs, size_t outputs, size_t o, float ws,
                             int32_t weight_max, QuantLayer& l)
{
    l.weight_scales[o] = ws;
    for (size_t i = 0; i < inputs; i++) {
        double q = std::round(double(kernel_io[i * outputs + o]) / double(ws));
        l.kernel[o * inputs + i] = int16_t(std::clamp(q, -double(weight_max), double(weight_max)));
    }
}

static int32_t quantize_bias(float bias, float input_scale, float weight_scale)
{
    double b = std::round(double(bias) / (double(input_scale) * double(weight_scale)));
    return int32_t(std::clamp(b, -1073741824.0, 1073741824.0));
}

static QuantLayer empty_layer(size_t inputs, size_t outputs, float output_scale, int32_t output_zero_point)
{
    QuantLayer l;
    l.output_scale = output_scale;
    l.output_zero_point = output_zero_point;
    l.weight_scales.resize(outputs);
    l.kernel.resize(inputs * outputs);
    l.bias.resize(outputs);
    return l;
}

static float max_abs(const std::vector<float>& v)
{
    float m = 0.0f;
    for (float x : v) m = std::max(m, std::fabs(x));
    return m;
}

// The input scale and the conv layer (runtime/hp_kernels_s8.h). The conv weights share one scale
// with input_scale * weight_scale / output_scale = 2^-16, so the input's steps and the weights'
// steps trade against each other: q_input_max * q_weight_max = max|x| max|w| 2^16 / output_scale
// whatever the input scale. Both get the geometric mean of that product (about 13 bits each on
// ST's model, against 8 and 7 bits for int8), within int16 and within what keeps every
// accumulator in int32 for any int16 input (the heaviest filter's sum of |weights| times 2^15,
// plus its bias); a product beyond those limits coarsens the conv output scale. Biases beyond
// +-2^30 (a filter always off or always saturated) are clipped there.
static QuantLayer quantize_conv(const std::vector<float>& kernel_io, const std::vector<float>& bias, size_t inputs,
                                size_t outputs, float input_max_abs, float* input_scale, float output_scale)
{
    const double x_max = input_max_abs > 0.0f ? input_max_abs : 1.0, w_max = std::max(double(max_abs(kernel_io)), 1e-30);
    double heaviest = 0.0;  // the largest sum of |weights| of one filter
    for (size_t o = 0; o < outputs; o++) {
        double sum = 0.0;
        for (size_t i = 0; i < inputs; i++) sum += std::fabs(kernel_io[i * outputs + o]);
        heaviest = std::max(heaviest, sum);
    }
    // Room for the weights: sum |q_w| * 2^15 + |bias| + 2^15 < 2^31 with |bias| <= 2^30.
    const double room = (2147483647.0 - 1073741824.0 - 65536.0) / 32768.0;
    const double q_w_limit = std::min(32767.0, room * w_max / std::max(heaviest, w_max)) * 0.999;
    double product = x_max * w_max * 65536.0 / output_scale;
    double q_w = std::min(std::sqrt(product), q_w_limit);
    if (product / q_w > 32767.0) q_w = product / 32767.0;
    if (q_w > q_w_limit) {  // both at their limits: coarser conv outputs
        output_scale = float(double(output_scale) * q_w / q_w_limit * (1.0 + 1e-6));
        product = x_max * w_max * 65536.0 / output_scale;
        q_w = product / 32767.0;
    }
    *input_scale = float(x_max / (product / q_w));
    QuantLayer l = empty_layer(inputs, outputs, output_scale, -128);
    const float ws = conv_weight_scale(*input_scale, output_scale);
    for (size_t o = 0; o < outputs; o++) {
        quantize_channel(kernel_io, inputs, outputs, o, ws, 32767, l);
        l.bias[o] = quantize_bias(bias[o], *input_scale, ws);
    }
    return l;
}

// A dense layer, int8 weights per output channel. requantized: SMMULR multipliers, which must be
// below 2^31 (input_scale * weight_scale / output_scale < 1/2; a larger one coarsens the output
// scale); otherwise int32 outputs.
static QuantLayer quantize_dense(const std::vector<float>& kernel_io, const std::vector<float>& bias, size_t inputs,
                                 size_t outputs, float input_scale, float output_scale, bool requantized)
{
    QuantLayer l = requantized ? empty_layer(inputs, outputs, output_scale, -128) : empty_layer(inputs, outputs, 1.0f, 0);
    for (size_t o = 0; o < outputs; o++) {
        float m = 0.0f;
        for (size_t i = 0; i < inputs; i++) m = std::max(m, std::fabs(kernel_io[i * outputs + o]));
        const float ws = m > 0.0f ? float(double(m) / 127.0) : 1.0f;
        quantize_channel(kernel_io, inputs, outputs, o, ws, 127, l);
        l.bias[o] = quantize_bias(bias[o], input_scale, ws);
    }
    if (!requantized) return l;
    double largest = 0.0;
    for (float ws : l.weight_scales) largest = std::max(largest, double(input_scale) * ws / l.output_scale);
    if (largest >= 0.4999) l.output_scale = float(double(l.output_scale) * largest / 0.4999);
    for (float ws : l.weight_scales) l.multiplier.push_back(dense_multiplier(input_scale, ws, l.output_scale));
    return l;
}

QuantModel quantize_model(const Model& model, const float* frames, size_t count, CalibrationMethod method)
{
    if (count == 0) throw Error("calibration", "no frames to calibrate on");
    model.validate("model");
    const std::optional<Cnn2dSt> st = as_cnn2d_st(model);
    if (!st)
        throw Error("model", "int8 quantization covers the CNN2D_ST_HandPosture family (Conv2D 3x3 valid, MaxPooling2D, "
                             "Dense, Dense); deploy this network as float32");
    const ModelShape& s = st->shape;
    const size_t in_size = size_t(s.height) * s.width * s.channels;
    const size_t conv_size = size_t(s.conv_height()) * s.conv_width() * s.conv_filters;
    const size_t flat = size_t(s.flat_size()), units = size_t(s.dense_units), outs = size_t(s.outputs());
    const std::vector<float>&conv_kernel = st->conv->weights[0], &conv_bias = st->conv->weights[1];
    const std::vector<float>&dense1_kernel = st->dense->weights[0], &dense1_bias = st->dense->weights[1];
    const std::vector<float>&dense2_kernel = st->output->weights[0], &dense2_bias = st->output->weights[1];

    // Observed activations of the float network, layer by layer.
    std::vector<float> in_values(frames, frames + count * in_size), conv_values, dense_values;
    conv_values.reserve(count * conv_size);
    dense_values.reserve(count * units);
    std::vector<float> conv(conv_size), pool(flat), dense(units);
    for (size_t n = 0; n < count; n++) {
        hp_conv2d_3x3_f32(frames + n * in_size, s.height, s.width, s.channels, conv_kernel.data(), conv_bias.data(),
                          s.conv_filters, 1, conv.data());
        hp_maxpool2x2_f32(conv.data(), s.conv_height(), s.conv_width(), s.conv_filters, pool.data());
        hp_dense_f32(pool.data(), int(flat), dense1_kernel.data(), dense1_bias.data(), int(units), 1, dense.data());
        conv_values.insert(conv_values.end(), conv.begin(), conv.end());
        dense_values.insert(dense_values.end(), dense.begin(), dense.end());
    }

    QuantModel q;
    q.shape = s;
    q.class_names = model.class_names;
    q.distance_mode = model.distance_mode;
    q.method = method;
    q.calibration_frames = uint32_t(count);
    float conv_scale, dense_scale;
    int32_t zero_point;  // -128: ReLU outputs' ranges start at 0
    const Range in = observed_range(in_values, method);
    activation_params(observed_range(conv_values, method), &conv_scale, &zero_point);
    activation_params(observed_range(dense_values, method), &dense_scale, &zero_point);

    // Keras conv kernel [3][3][C][F] is [9C][F]: the same transposition as a dense kernel. The
    // conv weights are int16 (about 13 bits used): an empty zone's distance normalizes to 18.9
    // while hands are within [-1, 0.5], so int8 weight steps times those inputs cost up to a
    // point of accuracy on people the model never saw (crossval --quantize); the runtime holds
    // the conv kernel as int16 words anyway, so this costs neither flash nor instructions.
    q.conv = quantize_conv(conv_kernel, conv_bias, size_t(9) * s.channels, size_t(s.conv_filters),
                           std::max(-in.lo, in.hi), &q.input_scale, conv_scale);
    q.dense1 = quantize_dense(dense1_kernel, dense1_bias, flat, units, q.conv.output_scale, dense_scale, true);
    q.dense2 = quantize_dense(dense2_kernel, dense2_bias, units, outs, q.dense1.output_scale, 1.0f, false);
    q.set_derived();
    q.validate("quantized model");
    return q;
}

// ---- prediction ------------------------------------------------------------------------------

template <class PerFrame>
static void run_frames(const QuantModel& model, size_t count, int threads, PerFrame per_frame)
{
    model.validate("quantized model");
    const hp_model_s8 view = model.runtime_view();
    const size_t words = (hp_model_s8_scratch_bytes(&view) + 3) / 4;
    parallel_chunks(count, threads, [&](size_t begin, size_t end) {
        std::vector<uint32_t> scratch(words);  // 4-byte aligned
        for (size_t n = begin; n < end; n++) per_frame(view, n, scratch.data());
    });
}

std::vector<float> predict_scores(const QuantModel& model, const float* inputs, size_t count, int threads)
{
    const size_t in_size = size_t(model.shape.height) * model.shape.width * model.shape.channels;
    const size_t outs = size_t(model.shape.outputs());
    std::vector<float> scores(count * outs);
    run_frames(model, count, threads, [&](const hp_model_s8& view, size_t n, void* scratch) {
        hp_model_s8_run(&view, inputs + n * in_size, scores.data() + n * outs, scratch);
    });
    return scores;
}

std::vector<int32_t> predict_logits(const QuantModel& model, const float* inputs, size_t count, int threads)
{
    const size_t in_size = size_t(model.shape.height) * model.shape.width * model.shape.channels;
    const size_t outs = size_t(model.shape.outputs());
    std::vector<int32_t> logits(count * outs);
    run_frames(model, count, threads, [&](const hp_model_s8& view, size_t n, void* scratch) {
        hp_model_s8_run_logits(&view, inputs + n * in_size, logits.data() + n * outs, scratch);
    });
    return logits;
}

}  // namespace hp
