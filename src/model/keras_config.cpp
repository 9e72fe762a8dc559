#include "model/keras_config.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdlib>
#include <map>

#include "core/error.hpp"

namespace hp {

namespace {

using nlohmann::json;

// Limits far above any sensor model; Model::validate holds the rest.
constexpr long kMaxSide = 1024, kMaxChannels = 1024, kMaxUnits = 65536;

const char* const kKnown = "this build knows InputLayer, Conv2D, BatchNormalization, ReLU, Activation, Softmax, "
                           "MaxPooling2D, Dropout, Flatten and Dense";

struct KerasLayer {
    std::string class_name, name;
    const json* config;
};

class Parser {
public:
    explicit Parser(std::string where) : where_(std::move(where)) {}

    [[noreturn]] void fail(const std::string& problem) const { throw Error(where_, problem); }
    [[noreturn]] void fail(const KerasLayer& layer, const std::string& problem) const
    {
        throw Error(where_, "layer '" + layer.name + "': " + problem);
    }

    Model parse(const std::string& text);

private:
    std::vector<KerasLayer> functional_chain(const json& config);
    std::vector<KerasLayer> sequential_chain(const json& layers);
    KerasLayer layer_of(const json& entry, size_t index);
    Model interpret(const std::vector<KerasLayer>& chain);
    hp::Layer convert(const KerasLayer& layer);

    const json& field(const KerasLayer& layer, const char* key) const;
    long int_field(const KerasLayer& layer, const char* key, long lo, long hi) const;
    std::string string_field(const KerasLayer& layer, const char* key) const;
    void expect_pair(const KerasLayer& layer, const char* key, long value, bool null_ok = false) const;
    void expect_string(const KerasLayer& layer, const char* key, const char* value) const;
    bool bool_field(const KerasLayer& layer, const char* key, bool absent) const;
    double number_field(const KerasLayer& layer, const char* key, double absent) const;
    long square(const KerasLayer& layer, const char* key) const;
    Activation activation_of(const KerasLayer& layer, const char* key) const;
    TensorShape input_shape(const KerasLayer& first) const;

    std::string where_;
};

// Keras tuples print as "(3, 3)".
std::string tuple_text(const json& value)
{
    if (!value.is_array()) return value.dump();
    std::string text = "(";
    for (size_t i = 0; i < value.size(); i++) text += (i ? ", " : "") + value[i].dump();
    return text + ")";
}

const json& Parser::field(const KerasLayer& layer, const char* key) const
{
    auto it = layer.config->find(key);
    if (it == layer.config->end()) fail(layer, std::string("no '") + key + "' in its config");
    return *it;
}

long Parser::int_field(const KerasLayer& layer, const char* key, long lo, long hi) const
{
    const json& value = field(layer, key);
    if (!value.is_number_integer()) fail(layer, std::string(key) + " " + value.dump() + " is not an integer");
    long v = value.get<long>();
    if (v < lo || v > hi)
        fail(layer, std::string(key) + " " + std::to_string(v) + " outside " + std::to_string(lo) + ".." + std::to_string(hi));
    return v;
}

std::string Parser::string_field(const KerasLayer& layer, const char* key) const
{
    const json& value = field(layer, key);
    if (!value.is_string()) fail(layer, std::string(key) + " " + value.dump() + " is not a string");
    return value.get<std::string>();
}

// key must be [value, value] (or absent/null when null_ok: Keras' default).
void Parser::expect_pair(const KerasLayer& layer, const char* key, long value, bool null_ok) const
{
    auto it = layer.config->find(key);
    if (it == layer.config->end() || it->is_null()) {
        if (null_ok) return;
        fail(layer, std::string("no '") + key + "' in its config");
    }
    const json& v = *it;
    bool ok = v.is_array() && v.size() == 2 && v[0].is_number_integer() && v[1].is_number_integer() &&
              v[0].get<long>() == value && v[1].get<long>() == value;
    if (!ok) {
        std::string n = std::to_string(value);
        std::string want = std::string(key).find("size") != std::string::npos ? n + "x" + n : "(" + n + ", " + n + ")";
        fail(layer, std::string(key) + " " + tuple_text(v) + " unsupported, only " + want);
    }
}

// key must be absent or equal to value.
void Parser::expect_string(const KerasLayer& layer, const char* key, const char* value) const
{
    auto it = layer.config->find(key);
    if (it == layer.config->end() || it->is_null()) return;
    if (!it->is_string() || it->get<std::string>() != value)
        fail(layer, std::string(key) + " " + it->dump() + " unsupported, only \"" + value + "\"");
}

bool Parser::bool_field(const KerasLayer& layer, const char* key, bool absent) const
{
    auto it = layer.config->find(key);
    if (it == layer.config->end() || it->is_null()) return absent;
    if (!it->is_boolean()) fail(layer, std::string(key) + " " + it->dump() + " is not true or false");
    return it->get<bool>();
}

double Parser::number_field(const KerasLayer& layer, const char* key, double absent) const
{
    auto it = layer.config->find(key);
    if (it == layer.config->end() || it->is_null()) return absent;
    if (!it->is_number()) fail(layer, std::string(key) + " " + it->dump() + " is not a number");
    return it->get<double>();
}

// key holds [k, k] (a square kernel or window); returns k.
long Parser::square(const KerasLayer& layer, const char* key) const
{
    const json& v = field(layer, key);
    if (!(v.is_array() && v.size() == 2 && v[0].is_number_integer() && v[1].is_number_integer() && v[0] == v[1]))
        fail(layer, std::string(key) + " " + tuple_text(v) + " unsupported, only square ones such as (3, 3)");
    return v[0].get<long>();
}

Activation Parser::activation_of(const KerasLayer& layer, const char* key) const
{
    const std::string name = string_field(layer, key);
    if (name == "linear") return Activation::linear;
    if (name == "relu") return Activation::relu;
    if (name == "softmax") return Activation::softmax;
    if (name == "sigmoid") return Activation::sigmoid;
    fail(layer, std::string(key) + " '" + name + "' unsupported, only linear, relu, softmax or sigmoid");
}

KerasLayer Parser::layer_of(const json& entry, size_t index)
{
    if (!entry.is_object()) fail("layer #" + std::to_string(index) + " is not a JSON object");
    auto cls = entry.find("class_name");
    auto config = entry.find("config");
    if (cls == entry.end() || !cls->is_string())
        fail("layer #" + std::to_string(index) + " has no class_name");
    if (config == entry.end() || !config->is_object())
        fail("layer #" + std::to_string(index) + " (" + cls->get<std::string>() + ") has no config object");
    std::string name;
    if (auto n = entry.find("name"); n != entry.end() && n->is_string())
        name = n->get<std::string>();
    else if (auto c = config->find("name"); c != config->end() && c->is_string())
        name = c->get<std::string>();
    if (name.empty()) name = "#" + std::to_string(index);
    return KerasLayer{cls->get<std::string>(), name, &*config};
}

std::vector<KerasLayer> Parser::sequential_chain(const json& layers)
{
    std::vector<KerasLayer> chain;
    for (size_t i = 0; i < layers.size(); i++) chain.push_back(layer_of(layers[i], i));
    return chain;
}

// Follows inbound_nodes from the output layer back to the input: the model must be a chain.
std::vector<KerasLayer> Parser::functional_chain(const json& config)
{
    const json& layers = config.at("layers");
    std::vector<KerasLayer> all;
    std::vector<const json*> inbound;
    std::map<std::string, size_t> by_name;
    for (size_t i = 0; i < layers.size(); i++) {
        KerasLayer layer = layer_of(layers[i], i);
        if (!by_name.emplace(layer.name, i).second) fail(layer, "name used by two layers");
        auto nodes = layers[i].find("inbound_nodes");
        inbound.push_back(nodes == layers[i].end() ? nullptr : &*nodes);
        all.push_back(layer);
    }
    if (all.empty()) fail("model_config has no layers");

    size_t current = all.size() - 1;
    auto outputs = config.find("output_layers");
    if (outputs != config.end()) {
        if (!outputs->is_array() || outputs->size() != 1)
            fail("output_layers " + outputs->dump() + ": only models with one output are supported");
        const json& out = (*outputs)[0];
        if (!out.is_array() || out.empty() || !out[0].is_string()) fail("output_layers " + outputs->dump() + " is malformed");
        auto it = by_name.find(out[0].get<std::string>());
        if (it == by_name.end()) fail("output layer '" + out[0].get<std::string>() + "' is not among the layers");
        current = it->second;
    }

    std::vector<KerasLayer> chain;
    for (size_t steps = 0;; steps++) {
        const KerasLayer& layer = all[current];
        if (steps > all.size()) fail(layer, "inbound_nodes form a cycle");
        chain.push_back(layer);
        const json* nodes = inbound[current];
        if (nodes == nullptr || (nodes->is_array() && nodes->empty())) break;
        if (!nodes->is_array()) fail(layer, "inbound_nodes is not a list");
        if (nodes->size() != 1) fail(layer, "shared layer (" + std::to_string(nodes->size()) + " inbound nodes) unsupported");
        const json& node = (*nodes)[0];
        if (!node.is_array())
            fail(layer, "inbound_nodes in an unsupported format (Keras 2.x lists [[name, 0, 0, {}]] are expected)");
        if (node.size() != 1)
            fail(layer, std::to_string(node.size()) + " inputs unsupported: the model must be a chain of layers");
        const json& source = node[0];
        if (!source.is_array() || source.empty() || !source[0].is_string())
            fail(layer, "inbound node " + node.dump() + " is malformed");
        auto it = by_name.find(source[0].get<std::string>());
        if (it == by_name.end()) fail(layer, "input layer '" + source[0].get<std::string>() + "' is not among the layers");
        current = it->second;
    }
    if (chain.size() != all.size()) {
        for (const KerasLayer& layer : all) {
            bool used = false;
            for (const KerasLayer& c : chain) used = used || c.name == layer.name;
            if (!used) fail(layer, "not on the path from the input to the output: only a chain of layers is supported");
        }
    }
    return {chain.rbegin(), chain.rend()};
}

Model Parser::parse(const std::string& text)
{
    json root;
    try {
        root = json::parse(text);
    } catch (const json::exception& e) {
        fail(std::string("model_config is not valid JSON: ") + e.what());
    }
    try {
        if (!root.is_object()) fail("model_config is not a JSON object");
        auto cls = root.find("class_name");
        auto config = root.find("config");
        if (cls == root.end() || !cls->is_string()) fail("model_config has no class_name");
        if (config == root.end()) fail("model_config has no config");
        std::string kind = cls->get<std::string>();
        std::vector<KerasLayer> chain;
        if (kind == "Functional" || kind == "Model") {
            if (!config->is_object() || !config->contains("layers") || !(*config)["layers"].is_array())
                fail("model_config of a " + kind + " model has no list of layers");
            chain = functional_chain(*config);
        } else if (kind == "Sequential") {
            const json* layers = &*config;  // Keras < 2.2 stored the list itself
            if (config->is_object()) {
                auto it = config->find("layers");
                if (it == config->end()) fail("model_config of a Sequential model has no list of layers");
                layers = &*it;
            }
            if (!layers->is_array()) fail("model_config of a Sequential model has no list of layers");
            chain = sequential_chain(*layers);
        } else {
            fail("model class '" + kind + "' unsupported, only Functional or Sequential");
        }
        return interpret(chain);
    } catch (const json::exception& e) {
        fail(std::string("model_config is malformed: ") + e.what());
    }
}

// An InputLayer's shape, or the first layer's batch_input_shape (Sequential).
TensorShape Parser::input_shape(const KerasLayer& first) const
{
    const json* shape = nullptr;
    for (const char* key : {"batch_input_shape", "batch_shape"})
        if (auto it = first.config->find(key); it != first.config->end() && shape == nullptr) shape = &*it;
    if (shape == nullptr) fail(first, "no batch_input_shape: the input shape is unknown");
    const json& in = *shape;
    if (!in.is_array() || in.size() != 4 || !in[1].is_number_integer() || !in[2].is_number_integer() ||
        !in[3].is_number_integer())
        fail(first, "input shape " + tuple_text(in) + " unsupported, only (None, H, W, C)");
    const long height = in[1].get<long>(), width = in[2].get<long>(), channels = in[3].get<long>();
    if (height < 1 || width < 1 || height > kMaxSide || width > kMaxSide || channels < 1 || channels > kMaxChannels)
        fail(first, "input shape " + tuple_text(in) + " unsupported: H, W in 1.." + std::to_string(kMaxSide) +
                        ", C in 1.." + std::to_string(kMaxChannels));
    expect_string(first, "data_format", "channels_last");
    return {int(height), int(width), int(channels)};
}

// One Keras layer as ours (not InputLayer, Activation or Softmax: interpret handles those).
hp::Layer Parser::convert(const KerasLayer& k)
{
    hp::Layer l;
    l.name = k.name;
    const std::string& cls = k.class_name;
    if (cls == "Conv2D" || cls == "Convolution2D") {
        l.kind = LayerKind::conv2d;
        l.units = int(int_field(k, "filters", 1, kMaxChannels));
        l.kernel_size = int(square(k, "kernel_size"));
        if (l.kernel_size != 1 && l.kernel_size != 3 && l.kernel_size != 5)
            fail(k, "kernel_size " + tuple_text(field(k, "kernel_size")) + " unsupported, only 1x1, 3x3 or 5x5");
        expect_pair(k, "strides", 1, true);
        expect_pair(k, "dilation_rate", 1, true);
        expect_string(k, "data_format", "channels_last");
        const std::string padding = string_field(k, "padding");
        if (padding != "valid" && padding != "same") fail(k, "padding '" + padding + "' unsupported, only valid or same");
        l.same_padding = padding == "same";
        l.use_bias = bool_field(k, "use_bias", true);
        if (auto g = k.config->find("groups"); g != k.config->end() && !(g->is_number_integer() && g->get<long>() == 1))
            fail(k, "groups " + g->dump() + " unsupported, only 1");
        l.activation = activation_of(k, "activation");
    } else if (cls == "Dense") {
        l.kind = LayerKind::dense;
        l.units = int(int_field(k, "units", 1, kMaxUnits));
        l.use_bias = bool_field(k, "use_bias", true);
        l.activation = activation_of(k, "activation");
    } else if (cls == "BatchNormalization") {
        l.kind = LayerKind::batch_norm;
        const json& axis = field(k, "axis");
        const bool last = (axis.is_number_integer() && (axis.get<long>() == -1 || axis.get<long>() == 3)) ||
                          (axis.is_array() && axis.size() == 1 && axis[0].is_number_integer() &&
                           (axis[0].get<long>() == -1 || axis[0].get<long>() == 3));
        if (!last) fail(k, "axis " + axis.dump() + " unsupported, only the channel axis (-1 or 3)");
        if (!bool_field(k, "center", true) || !bool_field(k, "scale", true))
            fail(k, "center or scale false unsupported, only the full gamma and beta");
        l.epsilon = float(number_field(k, "epsilon", 1e-3));
        l.momentum = float(number_field(k, "momentum", 0.99));
        if (!(l.epsilon > 0) || !(l.momentum >= 0 && l.momentum < 1))
            fail(k, "epsilon must be > 0 and momentum in [0, 1)");
    } else if (cls == "ReLU") {
        l.kind = LayerKind::relu;
        for (const char* key : {"max_value", "threshold", "negative_slope"}) {
            auto it = k.config->find(key);
            if (it != k.config->end() && !it->is_null() && !(it->is_number() && it->get<double>() == 0.0))
                fail(k, std::string(key) + " " + it->dump() + " unsupported, only a plain ReLU");
        }
    } else if (cls == "MaxPooling2D" || cls == "MaxPool2D") {
        l.kind = LayerKind::max_pool;
        expect_pair(k, "pool_size", 2);
        expect_pair(k, "strides", 2, true);
        expect_string(k, "padding", "valid");
        expect_string(k, "data_format", "channels_last");
    } else if (cls == "Dropout") {
        l.kind = LayerKind::dropout;
        const json& rate = field(k, "rate");
        if (!rate.is_number() || rate.get<double>() < 0 || rate.get<double>() >= 1)
            fail(k, "rate " + rate.dump() + " is not in [0, 1)");
        l.rate = rate.get<float>();
    } else if (cls == "Flatten") {
        l.kind = LayerKind::flatten;
        expect_string(k, "data_format", "channels_last");
    } else {
        fail(k, cls + " unsupported (" + kKnown + ")");
    }
    return l;
}

// Walks the chain: the input, then each layer. An Activation layer is a ReLU layer, or the
// softmax/sigmoid of the Dense before it; a linear one and a Softmax layer likewise.
Model Parser::interpret(const std::vector<KerasLayer>& chain)
{
    if (chain.empty()) fail("model_config has no layers");
    Model model;
    model.input = input_shape(chain[0]);
    for (size_t i = chain[0].class_name == "InputLayer" ? 1 : 0; i < chain.size(); i++) {
        const KerasLayer& k = chain[i];
        Activation act = Activation::relu;
        if (k.class_name == "Activation") {
            act = activation_of(k, "activation");
        } else if (k.class_name == "Softmax") {
            auto axis = k.config->find("axis");
            if (axis != k.config->end() && !(axis->is_number_integer() && axis->get<long>() == -1))
                fail(k, "axis " + axis->dump() + " unsupported, only -1");
            act = Activation::softmax;
        } else {
            model.layers.push_back(convert(k));
            continue;
        }
        if (act == Activation::linear) continue;
        if (act == Activation::relu) {
            model.layers.push_back(layer_of_kind(LayerKind::relu));
            model.layers.back().name = k.name;
            continue;
        }
        hp::Layer* before = model.layers.empty() ? nullptr : &model.layers.back();
        if (before == nullptr || before->kind != LayerKind::dense || before->activation != Activation::linear)
            fail(k, "a softmax or sigmoid only after a Dense without activation (the output layer)");
        before->activation = act;
    }
    model.validate_layers(where_);  // weights come later (validate checks them then)
    return model;
}
}  // namespace

Model parse_keras_model_config(const std::string& json_text, const std::string& where)
{
    return Parser(where).parse(json_text);
}

// The double Keras would print for a float hyper-parameter (0.2f -> 0.2, not 0.20000000298).
static double shortest_double(float value)
{
    char text[32];
    auto end = std::to_chars(text, text + sizeof text - 1, value).ptr;
    *end = '\0';
    return std::strtod(text, nullptr);
}

std::string keras_model_config_json(const Model& model)
{
    using ojson = nlohmann::ordered_json;
    auto glorot = ojson{{"class_name", "GlorotUniform"}, {"config", {{"seed", nullptr}}}};
    auto constant = [](const char* cls) { return ojson{{"class_name", cls}, {"config", ojson::object()}}; };
    auto inbound = [](const std::string& from) {
        return ojson::array({ojson::array({ojson::array({from, 0, 0, ojson::object()})})});
    };
    const char* const activations[] = {"linear", "relu", "softmax", "sigmoid"};

    const std::string input = "input_1";
    ojson layers = ojson::array();
    ojson in_config{{"batch_input_shape", {nullptr, model.input.height, model.input.width, model.input.channels}},
                    {"dtype", "float32"}, {"sparse", false}, {"ragged", false}, {"name", input}};
    layers.push_back(ojson{{"class_name", "InputLayer"}, {"config", in_config}, {"name", input},
                           {"inbound_nodes", ojson::array()}});
    std::string from = input;
    for (const Layer& l : model.layers) {
        ojson c{{"name", l.name}, {"trainable", true}, {"dtype", "float32"}};
        const char* cls = keras_class_name(l.kind);
        auto weighted = [&] {
            c["activation"] = activations[int(l.activation)];
            c["use_bias"] = l.use_bias;
            c["kernel_initializer"] = glorot;
            c["bias_initializer"] = constant("Zeros");
            for (const char* k : {"kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
                                  "bias_constraint"})
                c[k] = nullptr;
        };
        switch (l.kind) {
        case LayerKind::conv2d:
            c["filters"] = l.units;
            c["kernel_size"] = {l.kernel_size, l.kernel_size};
            c["strides"] = {1, 1};
            c["padding"] = l.same_padding ? "same" : "valid";
            c["data_format"] = "channels_last";
            c["dilation_rate"] = {1, 1};
            c["groups"] = 1;
            weighted();
            break;
        case LayerKind::dense:
            c["units"] = l.units;
            weighted();
            break;
        case LayerKind::batch_norm:
            c["axis"] = ojson::array({3});
            c["momentum"] = shortest_double(l.momentum);
            c["epsilon"] = shortest_double(l.epsilon);
            c["center"] = true;
            c["scale"] = true;
            c["beta_initializer"] = constant("Zeros");
            c["gamma_initializer"] = constant("Ones");
            c["moving_mean_initializer"] = constant("Zeros");
            c["moving_variance_initializer"] = constant("Ones");
            for (const char* k : {"beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"})
                c[k] = nullptr;
            break;
        case LayerKind::relu:
            cls = "Activation";
            c["activation"] = "relu";
            break;
        case LayerKind::max_pool:
            c["pool_size"] = {2, 2};
            c["padding"] = "valid";
            c["strides"] = {2, 2};
            c["data_format"] = "channels_last";
            break;
        case LayerKind::dropout:
            c["rate"] = shortest_double(l.rate);
            c["noise_shape"] = nullptr;
            c["seed"] = nullptr;
            break;
        case LayerKind::flatten: c["data_format"] = "channels_last"; break;
        }
        layers.push_back(ojson{{"class_name", cls}, {"config", std::move(c)}, {"name", l.name}, {"inbound_nodes", inbound(from)}});
        from = l.name;
    }
    ojson config;
    config["name"] = "handposture_model";
    config["layers"] = std::move(layers);
    config["input_layers"] = ojson::array({ojson::array({input, 0, 0})});
    config["output_layers"] = ojson::array({ojson::array({from, 0, 0})});
    return ojson{{"class_name", "Functional"}, {"config", std::move(config)}}.dump();
}

}  // namespace hp
