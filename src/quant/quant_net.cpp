#include "quant/quant_net.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "hp_kernels_f32.h"
#include "hp_kernels_s8.h"
#include "model/cnn2d_st.hpp"

namespace hp {

using Kind = PlanLayer::Kind;

size_t QuantNetLayer::taps() const
{
    if (kind == Kind::conv2d) return size_t(kernel_size) * size_t(kernel_size) * size_t(in.channels);
    if (kind == Kind::dense) return in.size();
    return 0;
}

// ---- validation ------------------------------------------------------------------------------

namespace {

// Sizes this build takes (the runtime's limits, hp_net_s8.c, and far beyond any sensor's).
constexpr size_t kMaxValues = size_t(1) << 22;
constexpr int kMaxSide = 1 << 16;

void check_scale(const std::string& where, const std::string& name, float scale)
{
    if (!std::isfinite(scale) || !(scale > 0.0f)) throw Error(where, name + " is not a finite positive number");
}

bool shape_ok(const TensorShape& s)
{
    return s.height >= 1 && s.width >= 1 && s.channels >= 1 && s.height <= kMaxSide && s.width <= kMaxSide &&
           s.channels <= kMaxSide && s.size() <= kMaxValues;
}

// The output shape of a layer on `in` (conv: k x k, padding; pool: floor halves; dense: flat).
TensorShape output_of(const QuantNetLayer& l, const TensorShape& in, int outputs)
{
    switch (l.kind) {
    case Kind::conv2d:
        return {in.height + 2 * l.padding - l.kernel_size + 1, in.width + 2 * l.padding - l.kernel_size + 1, outputs};
    case Kind::max_pool: return {in.height / 2, in.width / 2, in.channels};
    default: return {1, 1, outputs};
    }
}

// The largest |q - zero point| a layer's output can hold.
int64_t output_max_abs(const QuantNetLayer& l)
{
    return std::max<int64_t>(std::abs(-128 - int64_t(l.output_zero_point)), std::abs(127 - int64_t(l.output_zero_point)));
}

std::vector<int8_t> dense_layout(const std::vector<int8_t>& kernel, size_t outputs, size_t inputs)
{
    const size_t in4 = size_t(hp_round4(int(inputs))), out4 = size_t(hp_round4(int(outputs)));
    static const size_t position[4] = {0, 2, 1, 3};  // w0 w2 w1 w3: where input i % 4 goes
    std::vector<int8_t> out(out4 * in4, 0);
    for (size_t o = 0; o < outputs; o++)
        for (size_t i = 0; i < inputs; i++)
            out[(o / 4) * 4 * in4 + (i / 4) * 16 + (o % 4) * 4 + position[i % 4]] = kernel[o * inputs + i];
    return out;
}

// A convolution's kernel [filters][taps] widened to int16 in the convolution layout (hp_kernels_s8.h).
std::vector<int16_t> conv_layout(const std::vector<int8_t>& kernel, int filters, int taps)
{
    std::vector<int16_t> out(size_t(hp_conv2d_s8_kernel_values(filters, taps)), 0);
    for (int f = 0; f < filters; f++)
        for (int t = 0; t < taps; t++)
            out[size_t(hp_conv2d_s8_weight_index(f, t, taps))] = kernel[size_t(f) * size_t(taps) + size_t(t)];
    return out;
}

std::vector<int32_t> padded4(std::vector<int32_t> v)
{
    v.resize(size_t(hp_round4(int(v.size()))), 0);
    return v;
}

}  // namespace

void QuantNet::validate(const std::string& where) const
{
    if (!shape_ok(input)) throw Error(where, "input shape " + input.text() + " is outside what the runtime takes");
    check_scale(where, "input scale", input_scale);
    if (input_limit < 1 || input_limit > 32767)
        throw Error(where, "input limit " + std::to_string(input_limit) + " is outside [1, 32767]");
    if (layers.empty() || layers.back().kind != Kind::dense) throw Error(where, "the last layer must be a dense layer");
    TensorShape in = input;
    float in_scale = input_scale;
    int64_t in_max = input_limit;  // the largest |value| a layer's input holds
    for (size_t i = 0; i < layers.size(); i++) {
        const QuantNetLayer& l = layers[i];
        const bool last = i + 1 == layers.size();
        const std::string name = "layer " + std::to_string(i) + " (" + l.name + ")";
        if (l.kind != Kind::conv2d && l.kind != Kind::dense && l.kind != Kind::max_pool)
            throw Error(where, name + " has an unknown kind");
        // a dense layer may name its input flat (Flatten is no layer)
        const bool flat = l.kind == Kind::dense && l.in == TensorShape{1, 1, int(in.size())};
        if (!(l.in == in) && !flat) throw Error(where, name + " takes " + l.in.text() + " but its input is " + in.text());
        if (l.kind == Kind::conv2d &&
            ((l.kernel_size != 1 && l.kernel_size != 3 && l.kernel_size != 5) || l.padding < 0 || l.padding > l.kernel_size / 2))
            throw Error(where, name + ": kernel size " + std::to_string(l.kernel_size) + " and padding " +
                                   std::to_string(l.padding) + " (1, 3 or 5, padding 0 .. k/2)");
        const TensorShape expected = output_of(l, in, l.out.channels);
        if (!(l.out == expected) || !shape_ok(l.out))
            throw Error(where, name + " gives " + l.out.text() + " from " + in.text() + " (expected " + expected.text() + ")");
        if (l.kind == Kind::max_pool) {
            if (!l.kernel.empty() || !l.bias.empty() || !l.weight_scales.empty() || !l.multiplier.empty() || l.relu)
                throw Error(where, name + ": a max pooling has no weights");
            in = l.out;
            continue;
        }
        const size_t outs = size_t(l.out.channels), taps = l.taps();
        if (taps > kMaxValues) throw Error(where, name + " has too many inputs");
        auto check_size = [&](const char* what, size_t have, size_t want) {
            if (have != want)
                throw Error(where, name + " " + what + " has " + std::to_string(have) + " values, expected " + std::to_string(want));
        };
        check_size("weight scales", l.weight_scales.size(), outs);
        check_size("kernel", l.kernel.size(), outs * taps);
        check_size("bias", l.bias.size(), outs);
        check_size("multipliers", l.multiplier.size(), last ? 0 : outs);
        for (int8_t w : l.kernel)
            if (w < -127) throw Error(where, name + " kernel holds -128 (symmetric weights are in [-127, 127])");
        for (size_t o = 0; o < outs; o++) {
            check_scale(where, name + " weight scale " + std::to_string(o), l.weight_scales[o]);
            int64_t bound = std::abs(int64_t(l.bias[o]));
            for (size_t t = 0; t < taps; t++) bound += in_max * std::abs(int64_t(l.kernel[o * taps + t]));
            if (bound > std::numeric_limits<int32_t>::max())
                throw Error(where, name + " channel " + std::to_string(o) + ": the int32 accumulator could overflow");
        }
        if (last) {
            if (l.relu || l.output_scale != 1.0f || l.output_zero_point != 0)
                throw Error(where, name + " has int32 outputs: no ReLU, output scale 1 and zero point 0 expected");
        } else {
            check_scale(where, name + " output scale", l.output_scale);
            if (l.output_zero_point < -128 || l.output_zero_point > 127 || (l.relu && l.output_zero_point != -128))
                throw Error(where, name + " output zero point " + std::to_string(l.output_zero_point) +
                                       (l.relu ? " (a ReLU output's is -128)" : " (int8: -128 .. 127)"));
            for (size_t o = 0; o < outs; o++)
                if (l.multiplier[o] != dense_multiplier(in_scale, l.weight_scales[o], l.output_scale))
                    throw Error(where, name + " multiplier of channel " + std::to_string(o) +
                                           " does not match its scales (or is not below 2^31)");
            in_scale = l.output_scale;
            in_max = output_max_abs(l);
        }
        in = l.out;
    }
    if (sigmoid && outputs() != 1) throw Error(where, "a sigmoid output has one unit, not " + std::to_string(outputs()));
    if (!sigmoid && outputs() < 3) throw Error(where, "a softmax output has at least 3 units, not " + std::to_string(outputs()));
    if (!class_names.empty() && int(class_names.size()) != classes())
        throw Error(where, std::to_string(class_names.size()) + " class names for " + std::to_string(classes()) + " classes");
    if (distance_mode != HP_DISTANCE_ABSOLUTE && distance_mode != HP_DISTANCE_RELATIVE)
        throw Error(where, "unknown distance mode " + std::to_string(distance_mode));
    QuantNet derived = *this;
    derived.set_derived();
    if (derived.output_scales != output_scales) throw Error(where, "output scales do not match the layers' scales");
    for (size_t i = 0; i < layers.size(); i++)
        if (derived.layers[i].kernel_runtime != layers[i].kernel_runtime ||
            derived.layers[i].conv_kernel_runtime != layers[i].conv_kernel_runtime ||
            derived.layers[i].bias_runtime != layers[i].bias_runtime ||
            derived.layers[i].multiplier_runtime != layers[i].multiplier_runtime)
            throw Error(where, "runtime kernels of layer " + std::to_string(i) + " do not match its kernels");
}

void QuantNet::set_derived()
{
    float in_scale = input_scale;
    for (QuantNetLayer& l : layers) {
        if (!l.has_weights()) continue;
        if (l.kind == Kind::conv2d) {
            l.conv_kernel_runtime = conv_layout(l.kernel, l.out.channels, int(l.taps()));
            l.kernel_runtime.clear();
        } else {
            l.kernel_runtime = dense_layout(l.kernel, size_t(l.out.channels), l.taps());
            l.conv_kernel_runtime.clear();
        }
        l.bias_runtime = padded4(l.bias);
        l.multiplier_runtime = l.multiplier.empty() ? std::vector<int32_t>{} : padded4(l.multiplier);
        if (&l == &layers.back()) {
            output_scales.resize(l.weight_scales.size());
            for (size_t o = 0; o < output_scales.size(); o++)
                output_scales[o] = float(double(in_scale) * double(l.weight_scales[o]));
        }
        in_scale = l.output_scale;
    }
}

long QuantNet::parameter_count() const
{
    long n = 0;
    for (const QuantNetLayer& l : layers) n += long(l.kernel.size() + l.bias.size());
    return n;
}

long QuantNet::mac_count() const
{
    long n = 0;
    for (const QuantNetLayer& l : layers)
        if (l.has_weights()) n += long(l.out.size()) * long(l.taps());
    return n;
}

size_t QuantNet::weight_bytes() const
{
    size_t n = 4 * output_scales.size();
    for (const QuantNetLayer& l : layers)
        n += l.kernel_runtime.size() + 2 * l.conv_kernel_runtime.size() + 4 * (l.bias_runtime.size() + l.multiplier_runtime.size());
    return n;
}

Model QuantNet::float_outline() const
{
    Model m;
    m.input = input;
    m.class_names = class_names;
    m.distance_mode = distance_mode;
    TensorShape in = input;  // the previous layer's output, as the float model holds it
    for (size_t i = 0; i < layers.size(); i++) {
        const QuantNetLayer& q = layers[i];
        Layer l;
        l.name = q.name.empty() ? "layer_" + std::to_string(i) : q.name;
        if (q.kind == Kind::max_pool) {
            l.kind = LayerKind::max_pool;
        } else {
            if (q.kind == Kind::dense && in.height * in.width != 1) {
                Layer flatten;
                flatten.kind = LayerKind::flatten;
                flatten.name = "flatten_before_" + l.name;
                m.layers.push_back(flatten);
            }
            l.kind = q.kind == Kind::conv2d ? LayerKind::conv2d : LayerKind::dense;
            l.units = q.out.channels;
            l.kernel_size = q.kernel_size;
            l.same_padding = q.kind == Kind::conv2d && q.padding > 0;
            l.activation = i + 1 == layers.size() ? (sigmoid ? Activation::sigmoid : Activation::softmax)
                           : q.relu                ? Activation::relu
                                                   : Activation::linear;
        }
        m.layers.push_back(l);
        in = q.out;
    }
    m.allocate_weights();
    return m;
}

QuantNetView::QuantNetView(const QuantNet& q)
{
    for (size_t i = 0; i < q.layers.size(); i++) {
        const QuantNetLayer& l = q.layers[i];
        hp_layer_s8 v{};
        v.kind = l.kind == Kind::conv2d ? HP_S8_CONV2D : l.kind == Kind::max_pool ? HP_S8_MAXPOOL2X2 : HP_S8_DENSE;
        v.height = l.in.height;
        v.width = l.in.width;
        v.channels = l.in.channels;
        if (l.has_weights()) {
            v.outputs = l.out.channels;
            if (l.kind == Kind::conv2d)
                v.conv_kernel = l.conv_kernel_runtime.data();
            else
                v.kernel = l.kernel_runtime.data();
            v.bias = l.bias_runtime.data();
            v.multiplier = l.multiplier_runtime.empty() ? nullptr : l.multiplier_runtime.data();
            v.out_min = -128 - l.output_zero_point;
            v.out_max = 127 - l.output_zero_point;
        }
        if (l.kind == Kind::conv2d) {
            v.kernel_size = l.kernel_size;
            v.padding = l.padding;
        }
        layers_.push_back(v);
    }
    net_.input_height = q.input.height;
    net_.input_width = q.input.width;
    net_.input_channels = q.input.channels;
    net_.input_scale = q.input_scale;
    net_.input_limit = q.input_limit;
    net_.layer_count = int(layers_.size());
    net_.layers = layers_.data();
    net_.outputs = q.outputs();
    net_.output_scales = q.output_scales.data();
    net_.sigmoid = q.sigmoid ? 1 : 0;
}

// ---- quantization ----------------------------------------------------------------------------

namespace {

// The float plan's output of every layer for every frame: values[layer] = count x out.size().
std::vector<std::vector<float>> float_activations(const InferencePlan& plan, const float* frames, size_t count)
{
    std::vector<std::vector<float>> values(plan.layers.size());
    for (size_t i = 0; i < plan.layers.size(); i++) values[i].resize(count * plan.layers[i].out.size());
    parallel_chunks(count, 0, [&](size_t begin, size_t end) {
        for (size_t n = begin; n < end; n++) {
            const float* x = frames + n * plan.input.size();
            for (size_t i = 0; i < plan.layers.size(); i++) {
                const PlanLayer& l = plan.layers[i];
                float* y = values[i].data() + n * l.out.size();
                const float* bias = l.bias.empty() ? nullptr : l.bias.data();
                if (l.kind == Kind::conv2d)
                    hp_conv2d_f32(x, l.in.height, l.in.width, l.in.channels, l.kernel.data(), bias, l.out.channels,
                                  l.kernel_size, l.padding, l.relu, y);
                else if (l.kind == Kind::max_pool)
                    hp_maxpool2x2_f32(x, l.in.height, l.in.width, l.in.channels, y);
                else
                    hp_dense_f32(x, int(l.in.size()), l.kernel.data(), bias, l.out.channels, l.relu, y);
                x = y;
            }
        }
    }, 16);
    return values;
}

// Symmetric int8 weights per output channel of a Keras kernel [taps][outputs] (conv [k][k][C][F]
// is [k k C][F]), and int32 biases of scale in_scale * weight scale (clipped to +-2^30: a channel
// always off or saturated).
void quantize_weights(const PlanLayer& p, float in_scale, QuantNetLayer& l)
{
    const size_t outs = size_t(p.out.channels), taps = l.taps();
    l.weight_scales.assign(outs, 1.0f);
    l.kernel.assign(outs * taps, 0);
    l.bias.assign(outs, 0);
    for (size_t o = 0; o < outs; o++) {
        float m = 0.0f;
        for (size_t t = 0; t < taps; t++) m = std::max(m, std::fabs(p.kernel[t * outs + o]));
        const float ws = m > 0.0f ? float(double(m) / 127.0) : 1.0f;
        l.weight_scales[o] = ws;
        for (size_t t = 0; t < taps; t++) {
            const double q = std::round(double(p.kernel[t * outs + o]) / double(ws));
            l.kernel[o * taps + t] = int8_t(std::clamp(q, -127.0, 127.0));
        }
        const double b = p.bias.empty() ? 0.0 : std::round(double(p.bias[o]) / (double(in_scale) * double(ws)));
        l.bias[o] = int32_t(std::clamp(b, -1073741824.0, 1073741824.0));
    }
}

// The largest sum of |q weights| of one output channel.
int64_t heaviest_channel(const QuantNetLayer& l)
{
    int64_t heaviest = 1;
    const size_t taps = l.taps();
    for (size_t o = 0; o < l.weight_scales.size(); o++) {
        int64_t sum = 0;
        for (size_t t = 0; t < taps; t++) sum += std::abs(int64_t(l.kernel[o * taps + t]));
        heaviest = std::max(heaviest, sum);
    }
    return heaviest;
}

// The output quantization of a requantized layer observed over `range`; the scale is coarsened
// where a multiplier would reach 2^31 (SMMULR takes multipliers below it: in_scale * ws /
// output_scale < 1/2).
void set_output(QuantNetLayer& l, Range range, float in_scale)
{
    if (l.relu) range.lo = 0.0f;
    float scale;
    int32_t zero_point;
    activation_params(range, &scale, &zero_point);
    double largest = 0.0;
    for (float ws : l.weight_scales) largest = std::max(largest, double(in_scale) * ws / scale);
    if (largest >= 0.4999) {
        scale = float(double(scale) * largest / 0.4999);
        zero_point = int32_t(std::lround(std::clamp(-128.0 - double(range.lo) / double(scale), -128.0, 127.0)));
    }
    l.output_scale = scale;
    l.output_zero_point = zero_point;
    l.multiplier.clear();
    for (float ws : l.weight_scales) l.multiplier.push_back(dense_multiplier(in_scale, ws, scale));
}

}  // namespace

QuantNet quantize_net(const Model& model, const float* frames, size_t count, CalibrationMethod method)
{
    if (count == 0) throw Error("calibration", "no frames to calibrate on");
    const InferencePlan plan = inference_plan(model, "model");
    std::vector<std::vector<float>> acts = float_activations(plan, frames, count);
    QuantNet q;
    q.input = plan.input;
    q.class_names = model.class_names;
    q.distance_mode = model.distance_mode;
    q.sigmoid = plan.sigmoid;
    q.method = method;
    q.calibration_frames = uint32_t(count);
    for (const PlanLayer& p : plan.layers) {
        QuantNetLayer l;
        l.kind = p.kind;
        l.name = p.name;
        l.in = p.in;
        l.out = p.out;
        l.kernel_size = p.kind == Kind::conv2d ? p.kernel_size : 0;
        l.padding = p.kind == Kind::conv2d ? p.padding : 0;
        l.relu = p.kind != Kind::max_pool && p.relu;
        q.layers.push_back(l);
    }
    if (q.layers.back().kind != Kind::dense) throw Error("model", "the int8 network ends with a dense layer");
    if (q.layers.back().relu) throw Error("model", "the output layer has a ReLU");

    // The input: int16 symmetric over the observed range, as fine as the first weighted layer's
    // accumulators allow (sum |q w| * limit within 2^30, the rest for the bias).
    std::vector<float> input_values(frames, frames + count * plan.input.size());
    const Range in = observed_range(input_values, method);
    const double x_max = std::max(double(std::max(-in.lo, in.hi)), 1e-30);
    size_t first = 0;
    while (!q.layers[first].has_weights()) first++;
    quantize_weights(plan.layers[first], 1.0f, q.layers[first]);  // only the weights count here
    q.input_limit = int32_t(std::min<int64_t>(32767, std::max<int64_t>(1, 1073741823 / heaviest_channel(q.layers[first]))));
    q.input_scale = float(x_max / q.input_limit);

    float in_scale = q.input_scale;
    for (size_t i = 0; i < q.layers.size(); i++) {
        QuantNetLayer& l = q.layers[i];
        if (!l.has_weights()) continue;
        quantize_weights(plan.layers[i], in_scale, l);
        if (i + 1 == q.layers.size()) break;
        // A convolution followed by a pooling keeps only the pooled values: their range.
        const size_t observed = i + 1 < q.layers.size() && q.layers[i + 1].kind == Kind::max_pool ? i + 1 : i;
        set_output(l, observed_range(acts[observed], method), in_scale);
        acts[i].clear();
        in_scale = l.output_scale;
    }
    q.set_derived();
    q.validate("quantized model");
    return q;
}

AnyQuant quantize_any_model(const Model& model, const float* frames, size_t count, CalibrationMethod method)
{
    if (as_cnn2d_st(model)) return quantize_model(model, frames, count, method);
    return quantize_net(model, frames, count, method);
}

// ---- prediction ------------------------------------------------------------------------------

template <class PerFrame>
static void run_frames(const QuantNet& net, size_t count, int threads, PerFrame per_frame)
{
    net.validate("quantized model");
    const QuantNetView view(net);
    const size_t bytes = hp_net_s8_scratch_bytes(view.get());
    if (bytes == 0) throw Error("quantized model", "the int8 runtime refuses the network");
    const size_t words = (bytes + 3) / 4;
    parallel_chunks(count, threads, [&](size_t begin, size_t end) {
        std::vector<uint32_t> scratch(words);  // 4-byte aligned
        for (size_t n = begin; n < end; n++) per_frame(view.get(), n, scratch.data());
    });
}

std::vector<float> predict_scores(const QuantNet& net, const float* inputs, size_t count, int threads)
{
    const size_t in_size = net.input.size(), outs = size_t(net.outputs());
    std::vector<float> scores(count * outs);
    run_frames(net, count, threads, [&](const hp_net_s8* v, size_t n, void* scratch) {
        hp_net_s8_run(v, inputs + n * in_size, scores.data() + n * outs, scratch);
    });
    return scores;
}

std::vector<int32_t> predict_logits(const QuantNet& net, const float* inputs, size_t count, int threads)
{
    const size_t in_size = net.input.size(), outs = size_t(net.outputs());
    std::vector<int32_t> logits(count * outs);
    run_frames(net, count, threads, [&](const hp_net_s8* v, size_t n, void* scratch) {
        hp_net_s8_run_logits(v, inputs + n * in_size, logits.data() + n * outs, scratch);
    });
    return logits;
}

}  // namespace hp
