#include "model/model.hpp"

#include <cmath>
#include <cstdio>

#include "core/error.hpp"
#include "hp_preprocess.h"

namespace hp {

namespace {

// Limits far above any sensor model: a file cannot make a reader allocate without bound.
constexpr int kMaxSide = 1024, kMaxChannels = 1024, kMaxUnits = 65536;
constexpr long kMaxParameters = 1L << 26;

std::string layer_where(const Layer& layer) { return "layer '" + layer.name + "'"; }

[[noreturn]] void fail(const std::string& where, const Layer& layer, const std::string& problem)
{
    throw Error(where, layer_where(layer) + ": " + problem);
}

// The sizes of a layer's weights, in Keras' order, for input `in`.
std::vector<size_t> weight_sizes(const Layer& l, const TensorShape& in)
{
    switch (l.kind) {
    case LayerKind::conv2d: {
        std::vector<size_t> s{size_t(l.kernel_size) * l.kernel_size * in.channels * l.units};
        if (l.use_bias) s.push_back(size_t(l.units));
        return s;
    }
    case LayerKind::dense: {
        std::vector<size_t> s{in.size() * l.units};
        if (l.use_bias) s.push_back(size_t(l.units));
        return s;
    }
    case LayerKind::batch_norm: return std::vector<size_t>(4, size_t(in.channels));
    default: return {};
    }
}

}  // namespace

std::string TensorShape::text() const
{
    return std::to_string(height) + "x" + std::to_string(width) + "x" + std::to_string(channels);
}

const char* keras_class_name(LayerKind kind)
{
    switch (kind) {
    case LayerKind::conv2d: return "Conv2D";
    case LayerKind::batch_norm: return "BatchNormalization";
    case LayerKind::relu: return "ReLU";
    case LayerKind::max_pool: return "MaxPooling2D";
    case LayerKind::dropout: return "Dropout";
    case LayerKind::flatten: return "Flatten";
    case LayerKind::dense: return "Dense";
    }
    return "?";
}

Layer layer_of_kind(LayerKind kind)
{
    Layer l;
    l.kind = kind;
    return l;
}

Layer conv2d_layer(int filters, int kernel_size, bool same_padding, bool use_bias, Activation activation)
{
    Layer l = layer_of_kind(LayerKind::conv2d);
    l.units = filters;
    l.kernel_size = kernel_size;
    l.same_padding = same_padding;
    l.use_bias = use_bias;
    l.activation = activation;
    return l;
}

Layer dense_layer(int units, Activation activation, bool use_bias)
{
    Layer l = layer_of_kind(LayerKind::dense);
    l.units = units;
    l.activation = activation;
    l.use_bias = use_bias;
    return l;
}

Layer dropout_layer(float rate)
{
    Layer l = layer_of_kind(LayerKind::dropout);
    l.rate = rate;
    return l;
}

std::string layer_text(const Layer& l)
{
    static const char* const activations[] = {"", " relu", " softmax", " sigmoid"};
    char text[96];
    switch (l.kind) {
    case LayerKind::conv2d:
        std::snprintf(text, sizeof text, "Conv2D %d %dx%d %s%s%s", l.units, l.kernel_size, l.kernel_size,
                      l.same_padding ? "same" : "valid", l.use_bias ? "" : " no bias", activations[int(l.activation)]);
        return text;
    case LayerKind::dense:
        std::snprintf(text, sizeof text, "Dense %d%s%s", l.units, l.use_bias ? "" : " no bias",
                      activations[int(l.activation)]);
        return text;
    case LayerKind::max_pool: return "MaxPooling2D 2x2";
    case LayerKind::dropout:
        std::snprintf(text, sizeof text, "Dropout %g", double(l.rate));
        return text;
    default: return keras_class_name(l.kind);
    }
}

std::vector<TensorShape> Model::output_shapes(const std::string& where) const
{
    if (input.height < 1 || input.width < 1 || input.channels < 1 || input.height > kMaxSide ||
        input.width > kMaxSide || input.channels > kMaxChannels)
        throw Error(where, "input shape " + input.text() + " unsupported: H, W in 1.." + std::to_string(kMaxSide) +
                               ", C in 1.." + std::to_string(kMaxChannels));
    if (layers.empty()) throw Error(where, "the model has no layers");
    std::vector<TensorShape> shapes;
    TensorShape s = input;
    for (const Layer& l : layers) {
        const bool flat = s.height == 1 && s.width == 1;
        switch (l.kind) {
        case LayerKind::conv2d: {
            if (l.kernel_size != 1 && l.kernel_size != 3 && l.kernel_size != 5)
                fail(where, l, "kernel_size " + std::to_string(l.kernel_size) + " unsupported, only 1x1, 3x3 or 5x5");
            if (l.units < 1 || l.units > kMaxChannels)
                fail(where, l, "filters " + std::to_string(l.units) + " outside 1.." + std::to_string(kMaxChannels));
            const int shrink = l.same_padding ? 0 : l.kernel_size - 1;
            if (s.height - shrink < 1 || s.width - shrink < 1)
                fail(where, l, std::to_string(l.kernel_size) + "x" + std::to_string(l.kernel_size) +
                                   " valid convolution of a " + s.text() + " input leaves nothing");
            s = {s.height - shrink, s.width - shrink, l.units};
            break;
        }
        case LayerKind::max_pool:
            if (s.height < 2 || s.width < 2) fail(where, l, "2x2 pooling of a " + s.text() + " input leaves nothing");
            s = {s.height / 2, s.width / 2, s.channels};
            break;
        case LayerKind::flatten: s = {1, 1, int(s.size())}; break;
        case LayerKind::dense:
            if (!flat) fail(where, l, "Dense on a " + s.text() + " tensor: a Flatten must come first");
            if (l.units < 1 || l.units > kMaxUnits)
                fail(where, l, "units " + std::to_string(l.units) + " outside 1.." + std::to_string(kMaxUnits));
            s = {1, 1, l.units};
            break;
        case LayerKind::batch_norm:
            if (!(l.epsilon > 0) || !(l.momentum >= 0 && l.momentum < 1))
                fail(where, l, "epsilon must be > 0 and momentum in [0, 1)");
            break;
        case LayerKind::dropout:
            if (!(l.rate >= 0 && l.rate < 1)) fail(where, l, "rate " + std::to_string(l.rate) + " is not in [0, 1)");
            break;
        case LayerKind::relu: break;
        }
        shapes.push_back(s);
    }
    return shapes;
}

int Model::outputs() const
{
    for (auto it = layers.rbegin(); it != layers.rend(); ++it)
        if (it->kind == LayerKind::dense || it->kind == LayerKind::conv2d) return it->units;
    return 0;
}

void Model::allocate_weights()
{
    const std::vector<TensorShape> shapes = output_shapes();
    TensorShape in = input;
    for (size_t i = 0; i < layers.size(); i++) {
        Layer& l = layers[i];
        l.weights.clear();
        for (size_t n : weight_sizes(l, in)) l.weights.emplace_back(n, 0.0f);
        if (l.kind == LayerKind::batch_norm) {
            l.weights[0].assign(l.weights[0].size(), 1.0f);  // gamma
            l.weights[3].assign(l.weights[3].size(), 1.0f);  // moving variance
        }
        in = shapes[i];
    }
}

void Model::validate_layers(const std::string& where) const
{
    output_shapes(where);
    for (size_t i = 0; i < layers.size(); i++) {
        const Layer& l = layers[i];
        if (l.name.empty()) throw Error(where, "layer #" + std::to_string(i) + " has no name");
        for (size_t j = 0; j < i; j++)
            if (layers[j].name == l.name) fail(where, l, "name used by two layers");
        const bool weighted = l.kind == LayerKind::conv2d || l.kind == LayerKind::dense;
        if (weighted && (l.activation == Activation::softmax || l.activation == Activation::sigmoid) &&
            i + 1 < layers.size())
            fail(where, l, "softmax or sigmoid only on the output layer");
    }
    const Layer& out = layers.back();
    const bool softmax = out.activation == Activation::softmax && out.units >= 3;
    const bool sigmoid = out.activation == Activation::sigmoid && out.units == 1;
    if (out.kind != LayerKind::dense || !(softmax || sigmoid))
        fail(where, out, std::string(keras_class_name(out.kind)) +
                             " as the output unsupported: the last layer must be a Dense with softmax over 3 or more "
                             "units, or one sigmoid unit for 2 classes");
    if (parameter_count() > kMaxParameters)
        throw Error(where, "model too large: " + std::to_string(parameter_count()) + " parameters");
}

void Model::validate(const std::string& where) const
{
    validate_layers(where);
    const std::vector<TensorShape> shapes = output_shapes(where);
    for (size_t i = 0; i < layers.size(); i++) {
        const Layer& l = layers[i];
        const std::vector<size_t> sizes = weight_sizes(l, i ? shapes[i - 1] : input);
        if (l.weights.size() != sizes.size())
            fail(where, l, std::to_string(l.weights.size()) + " weight tensors, expected " + std::to_string(sizes.size()));
        for (size_t t = 0; t < sizes.size(); t++) {
            if (l.weights[t].size() != sizes[t])
                fail(where, l, "weight tensor " + std::to_string(t) + " has " + std::to_string(l.weights[t].size()) +
                                   " values, expected " + std::to_string(sizes[t]));
            for (size_t k = 0; k < sizes[t]; k++)
                if (!std::isfinite(l.weights[t][k]))
                    fail(where, l, "weight tensor " + std::to_string(t) + " holds a non-finite value at index " +
                                       std::to_string(k));
        }
        if (l.kind == LayerKind::batch_norm)
            for (float v : l.weights[3])
                if (v < 0) fail(where, l, "a negative moving variance");
    }
    if (!class_names.empty() && int(class_names.size()) != classes())
        throw Error(where, std::to_string(class_names.size()) + " class names for " + std::to_string(classes()) + " classes");
    if (distance_mode != HP_DISTANCE_ABSOLUTE && distance_mode != HP_DISTANCE_RELATIVE)
        throw Error(where, "unknown distance mode " + std::to_string(distance_mode));
}

long layer_mac_count(const Layer& l, const TensorShape& in)
{
    if (l.kind == LayerKind::dense) return long(in.size()) * l.units;
    if (l.kind != LayerKind::conv2d) return 0;
    const int shrink = l.same_padding ? 0 : l.kernel_size - 1;
    return long(in.height - shrink) * (in.width - shrink) * l.units * l.kernel_size * l.kernel_size * in.channels;
}

long layer_parameter_count(const Layer& l, const TensorShape& in)
{
    long n = 0;
    for (size_t s : weight_sizes(l, in)) n += long(s);
    return n;
}

long Model::parameter_count() const
{
    const std::vector<TensorShape> shapes = output_shapes();
    long n = 0;
    for (size_t i = 0; i < layers.size(); i++) n += layer_parameter_count(layers[i], i ? shapes[i - 1] : input);
    return n;
}

long Model::mac_count() const
{
    const std::vector<TensorShape> shapes = output_shapes();
    long n = 0;
    for (size_t i = 0; i < layers.size(); i++) n += layer_mac_count(layers[i], i ? shapes[i - 1] : input);
    return n;
}

std::vector<std::vector<float>*> Model::trainable_tensors()
{
    std::vector<std::vector<float>*> t;
    for (Layer& l : layers)
        for (size_t i = 0; i < l.trainable_tensors(); i++) t.push_back(&l.weights[i]);
    return t;
}

std::vector<const std::vector<float>*> Model::trainable_tensors() const
{
    std::vector<const std::vector<float>*> t;
    for (const Layer& l : layers)
        for (size_t i = 0; i < l.trainable_tensors(); i++) t.push_back(&l.weights[i]);
    return t;
}

void check_frames_fit(const TensorShape& in, int zones, const std::string& where)
{
    const int side = hp_grid_side(zones);
    if (side != 0 && side == in.height && side == in.width && in.channels == 2) return;
    const std::string frames = side ? std::to_string(side) + "x" + std::to_string(side) + "x2"
                                    : std::to_string(zones) + " zones";
    throw Error(where, "frames are " + frames + " but the model expects " + in.text());
}

hp_preprocess_config preprocess_for(const Model& model, hp_preprocess_config base)
{
    base.distance_mode = model.distance_mode;
    return base;
}

std::string distance_mode_name(int mode)
{
    return mode == HP_DISTANCE_RELATIVE ? "relative" : "absolute";
}

int parse_distance_mode(const std::string& name, const std::string& where)
{
    if (name == "absolute") return HP_DISTANCE_ABSOLUTE;
    if (name == "relative") return HP_DISTANCE_RELATIVE;
    throw Error(where, "unknown distance mode '" + name + "' (this build knows absolute and relative)");
}

}  // namespace hp
