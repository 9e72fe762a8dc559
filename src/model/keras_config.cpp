#include "model/keras_config.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdlib>
#include <map>

#include "core/error.hpp"

namespace hp {

namespace {

using nlohmann::json;

// Limits far above the family's sizes: a file cannot make the reader allocate without bound.
constexpr long kMaxSide = 1024, kMaxChannels = 64, kMaxFilters = 1024, kMaxUnits = 65536, kMaxOutputs = 4096;
constexpr long kMaxParameters = 1L << 26;

const char* const kFamily = "the model family is InputLayer, Conv2D 3x3, MaxPooling2D 2x2, Flatten, Dense, "
                            "with Dropout and ReLU/Activation layers";

struct Layer {
    std::string class_name, name;
    const json* config;
};

class Parser {
public:
    explicit Parser(std::string where) : where_(std::move(where)) {}

    [[noreturn]] void fail(const std::string& problem) const { throw Error(where_, problem); }
    [[noreturn]] void fail(const Layer& layer, const std::string& problem) const
    {
        throw Error(where_, "layer '" + layer.name + "': " + problem);
    }

    KerasArchitecture parse(const std::string& text);

private:
    std::vector<Layer> functional_chain(const json& config);
    std::vector<Layer> sequential_chain(const json& layers);
    Layer layer_of(const json& entry, size_t index);
    KerasArchitecture interpret(const std::vector<Layer>& chain);

    const json& field(const Layer& layer, const char* key) const;
    long int_field(const Layer& layer, const char* key, long lo, long hi) const;
    std::string string_field(const Layer& layer, const char* key) const;
    void expect_pair(const Layer& layer, const char* key, long value, bool null_ok = false) const;
    void expect_string(const Layer& layer, const char* key, const char* value) const;
    void expect_bias(const Layer& layer) const;

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

const json& Parser::field(const Layer& layer, const char* key) const
{
    auto it = layer.config->find(key);
    if (it == layer.config->end()) fail(layer, std::string("no '") + key + "' in its config");
    return *it;
}

long Parser::int_field(const Layer& layer, const char* key, long lo, long hi) const
{
    const json& value = field(layer, key);
    if (!value.is_number_integer()) fail(layer, std::string(key) + " " + value.dump() + " is not an integer");
    long v = value.get<long>();
    if (v < lo || v > hi)
        fail(layer, std::string(key) + " " + std::to_string(v) + " outside " + std::to_string(lo) + ".." + std::to_string(hi));
    return v;
}

std::string Parser::string_field(const Layer& layer, const char* key) const
{
    const json& value = field(layer, key);
    if (!value.is_string()) fail(layer, std::string(key) + " " + value.dump() + " is not a string");
    return value.get<std::string>();
}

// key must be [value, value] (or absent/null when null_ok: Keras' default).
void Parser::expect_pair(const Layer& layer, const char* key, long value, bool null_ok) const
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
void Parser::expect_string(const Layer& layer, const char* key, const char* value) const
{
    auto it = layer.config->find(key);
    if (it == layer.config->end() || it->is_null()) return;
    if (!it->is_string() || it->get<std::string>() != value)
        fail(layer, std::string(key) + " " + it->dump() + " unsupported, only \"" + value + "\"");
}

void Parser::expect_bias(const Layer& layer) const
{
    auto it = layer.config->find("use_bias");
    if (it != layer.config->end() && !(it->is_boolean() && it->get<bool>()))
        fail(layer, "use_bias " + it->dump() + " unsupported, only true");
}

Layer Parser::layer_of(const json& entry, size_t index)
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
    return Layer{cls->get<std::string>(), name, &*config};
}

std::vector<Layer> Parser::sequential_chain(const json& layers)
{
    std::vector<Layer> chain;
    for (size_t i = 0; i < layers.size(); i++) chain.push_back(layer_of(layers[i], i));
    return chain;
}

// Follows inbound_nodes from the output layer back to the input: the model must be a chain.
std::vector<Layer> Parser::functional_chain(const json& config)
{
    const json& layers = config.at("layers");
    std::vector<Layer> all;
    std::vector<const json*> inbound;
    std::map<std::string, size_t> by_name;
    for (size_t i = 0; i < layers.size(); i++) {
        Layer layer = layer_of(layers[i], i);
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

    std::vector<Layer> chain;
    for (size_t steps = 0;; steps++) {
        const Layer& layer = all[current];
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
        for (const Layer& layer : all) {
            bool used = false;
            for (const Layer& c : chain) used = used || c.name == layer.name;
            if (!used) fail(layer, "not on the path from the input to the output: only a chain of layers is supported");
        }
    }
    return {chain.rbegin(), chain.rend()};
}

KerasArchitecture Parser::parse(const std::string& text)
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
        std::vector<Layer> chain;
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

// Walks the chain: input, conv (+relu), pool, flatten, dense (+relu), output (+softmax/sigmoid),
// with Dropout and linear activations allowed anywhere.
KerasArchitecture Parser::interpret(const std::vector<Layer>& chain)
{
    static const char* const known[] = {"InputLayer", "Conv2D", "Convolution2D", "MaxPooling2D", "MaxPool2D",
                                        "Dropout", "Flatten", "Dense", "Activation", "ReLU", "Softmax"};
    for (const Layer& layer : chain) {
        bool ok = false;
        for (const char* k : known) ok = ok || layer.class_name == k;
        if (!ok) fail(layer, layer.class_name + " unsupported (" + kFamily + ")");
    }

    KerasArchitecture arch;
    ModelShape& s = arch.shape;
    size_t i = 0;
    bool have_dropout = false;
    // Skips Dropout and identity activations.
    auto skip_identity = [&] {
        while (i < chain.size()) {
            const Layer& l = chain[i];
            if (l.class_name == "Dropout") {
                const json& rate = field(l, "rate");
                if (!rate.is_number() || rate.get<double>() < 0 || rate.get<double>() >= 1)
                    fail(l, "rate " + rate.dump() + " is not in [0, 1)");
                if (!have_dropout) arch.dropout = rate.get<float>();
                have_dropout = true;
            } else if (l.class_name == "Activation" && string_field(l, "activation") == "linear") {
            } else {
                break;
            }
            i++;
        }
    };
    auto next = [&](const char* role) -> const Layer& {
        skip_identity();
        if (i >= chain.size()) fail("model_config ends before its " + std::string(role) + " (" + kFamily + ")");
        return chain[i++];
    };
    // The activation of a Conv2D/Dense layer, or of the separate layer after it when linear.
    auto activation = [&](const Layer& layer) -> std::string {
        std::string act = string_field(layer, "activation");
        if (act != "linear") return act;
        skip_identity();
        if (i >= chain.size()) return act;
        const Layer& after = chain[i];
        if (after.class_name == "Activation") {
            i++;
            return string_field(after, "activation");
        }
        if (after.class_name == "ReLU") {
            for (const char* key : {"max_value", "threshold", "negative_slope"}) {
                auto it = after.config->find(key);
                if (it != after.config->end() && !it->is_null() && !(it->is_number() && it->get<double>() == 0.0))
                    fail(after, std::string(key) + " " + it->dump() + " unsupported, only a plain ReLU");
            }
            i++;
            return "relu";
        }
        if (after.class_name == "Softmax") {
            auto axis = after.config->find("axis");
            if (axis != after.config->end() && !(axis->is_number_integer() && axis->get<long>() == -1))
                fail(after, "axis " + axis->dump() + " unsupported, only -1");
            i++;
            return "softmax";
        }
        return act;
    };

    // Input: an InputLayer, or the first layer's batch_input_shape (Sequential).
    skip_identity();
    if (i >= chain.size()) fail("model_config has no layers");
    const Layer& first = chain[i];
    if (first.class_name == "InputLayer") i++;
    const json* input_shape = nullptr;
    for (const char* key : {"batch_input_shape", "batch_shape"}) {
        auto it = first.config->find(key);
        if (it != first.config->end()) input_shape = &*it;
        if (input_shape) break;
    }
    if (input_shape == nullptr) fail(first, "no batch_input_shape: the input shape is unknown");
    const json& in = *input_shape;
    if (!in.is_array() || in.size() != 4 || !in[1].is_number_integer() || !in[2].is_number_integer() ||
        !in[3].is_number_integer())
        fail(first, "input shape " + tuple_text(in) + " unsupported, only (None, H, W, C)");
    const long height = in[1].get<long>(), width = in[2].get<long>(), channels = in[3].get<long>();
    if (height < 4 || width < 4 || height > kMaxSide || width > kMaxSide || channels < 1 || channels > kMaxChannels)
        fail(first, "input shape " + tuple_text(in) + " unsupported: H, W in 4.." + std::to_string(kMaxSide) +
                        ", C in 1.." + std::to_string(kMaxChannels));
    s.height = int(height);
    s.width = int(width);
    s.channels = int(channels);
    expect_string(first, "data_format", "channels_last");

    const Layer& conv = next("Conv2D layer");
    if (conv.class_name != "Conv2D" && conv.class_name != "Convolution2D")
        fail(conv, conv.class_name + " where Conv2D was expected (" + kFamily + ")");
    s.conv_filters = int(int_field(conv, "filters", 1, kMaxFilters));
    expect_pair(conv, "kernel_size", 3);
    expect_pair(conv, "strides", 1, true);
    expect_pair(conv, "dilation_rate", 1, true);
    expect_string(conv, "padding", "valid");
    expect_string(conv, "data_format", "channels_last");
    expect_bias(conv);
    if (auto g = conv.config->find("groups"); g != conv.config->end() && !(g->is_number_integer() && g->get<long>() == 1))
        fail(conv, "groups " + g->dump() + " unsupported, only 1");
    arch.conv_layer = conv.name;
    if (std::string act = activation(conv); act != "relu")
        fail(conv, "activation '" + act + "' unsupported, only relu after the convolution");

    const Layer& pool = next("MaxPooling2D layer");
    if (pool.class_name != "MaxPooling2D" && pool.class_name != "MaxPool2D")
        fail(pool, pool.class_name + " where MaxPooling2D was expected (" + kFamily + ")");
    expect_pair(pool, "pool_size", 2);
    expect_pair(pool, "strides", 2, true);
    expect_string(pool, "padding", "valid");
    expect_string(pool, "data_format", "channels_last");

    const Layer& flatten = next("Flatten layer");
    if (flatten.class_name != "Flatten") fail(flatten, flatten.class_name + " where Flatten was expected (" + kFamily + ")");
    expect_string(flatten, "data_format", "channels_last");

    const Layer& dense = next("hidden Dense layer");
    if (dense.class_name != "Dense") fail(dense, dense.class_name + " where Dense was expected (" + kFamily + ")");
    s.dense_units = int(int_field(dense, "units", 1, kMaxUnits));
    expect_bias(dense);
    arch.dense_layer = dense.name;
    if (std::string act = activation(dense); act != "relu")
        fail(dense, "activation '" + act + "' unsupported, only relu on the hidden Dense layer");

    const Layer& output = next("output Dense layer");
    if (output.class_name != "Dense") fail(output, output.class_name + " where the output Dense was expected (" + kFamily + ")");
    int units = int(int_field(output, "units", 1, kMaxOutputs));
    expect_bias(output);
    arch.output_layer = output.name;
    std::string act = activation(output);
    if (act == "softmax" && units >= 3) {
        s.classes = units;
    } else if (act == "sigmoid" && units == 1) {
        s.classes = 2;
    } else {
        fail(output, "activation '" + act + "' with " + std::to_string(units) +
                         " units unsupported, only softmax with 3 or more units or sigmoid with 1 unit");
    }
    skip_identity();
    if (i < chain.size()) fail(chain[i], chain[i].class_name + " after the output layer unsupported (" + kFamily + ")");

    Model sized;
    sized.shape = s;
    if (sized.parameter_count() > kMaxParameters)
        fail("model too large: " + std::to_string(sized.parameter_count()) + " parameters");
    return arch;
}

}  // namespace

KerasArchitecture parse_keras_model_config(const std::string& json_text, const std::string& where)
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

std::string keras_model_config_json(const ModelShape& s, float dropout, const KerasLayerNames& names)
{
    using ojson = nlohmann::ordered_json;
    auto glorot = ojson{{"class_name", "GlorotUniform"}, {"config", {{"seed", nullptr}}}};
    auto zeros = ojson{{"class_name", "Zeros"}, {"config", ojson::object()}};
    auto inbound = [](const std::string& from) { return ojson::array({ojson::array({ojson::array({from, 0, 0, ojson::object()})})}); };
    auto layer = [&](const char* cls, const std::string& name, ojson config, const std::string& from) {
        ojson l;
        l["class_name"] = cls;
        l["config"] = std::move(config);
        l["name"] = name;
        l["inbound_nodes"] = from.empty() ? ojson::array() : inbound(from);
        return l;
    };
    auto weighted = [&](ojson config) {
        config["use_bias"] = true;
        config["kernel_initializer"] = glorot;
        config["bias_initializer"] = zeros;
        for (const char* k : {"kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"})
            config[k] = nullptr;
        return config;
    };
    auto base = [](const std::string& name) { return ojson{{"name", name}, {"trainable", true}, {"dtype", "float32"}}; };

    ojson layers = ojson::array();
    layers.push_back(layer("InputLayer", names.input,
                           ojson{{"batch_input_shape", {nullptr, s.height, s.width, s.channels}}, {"dtype", "float32"},
                                 {"sparse", false}, {"ragged", false}, {"name", names.input}},
                           ""));
    ojson conv = base(names.conv);
    conv["filters"] = s.conv_filters;
    conv["kernel_size"] = {3, 3};
    conv["strides"] = {1, 1};
    conv["padding"] = "valid";
    conv["data_format"] = "channels_last";
    conv["dilation_rate"] = {1, 1};
    conv["groups"] = 1;
    conv["activation"] = "relu";
    layers.push_back(layer("Conv2D", names.conv, weighted(conv), names.input));
    ojson pool = base(names.pool);
    pool["pool_size"] = {2, 2};
    pool["padding"] = "valid";
    pool["strides"] = {2, 2};
    pool["data_format"] = "channels_last";
    layers.push_back(layer("MaxPooling2D", names.pool, pool, names.conv));
    ojson drop = base(names.dropout);
    drop["rate"] = shortest_double(dropout);
    drop["noise_shape"] = nullptr;
    drop["seed"] = nullptr;
    layers.push_back(layer("Dropout", names.dropout, drop, names.pool));
    ojson flat = base(names.flatten);
    flat["data_format"] = "channels_last";
    layers.push_back(layer("Flatten", names.flatten, flat, names.dropout));
    ojson dense = base(names.dense);
    dense["units"] = s.dense_units;
    dense["activation"] = "relu";
    layers.push_back(layer("Dense", names.dense, weighted(dense), names.flatten));
    ojson out = base(names.output);
    out["units"] = s.outputs();
    out["activation"] = s.classes == 2 ? "sigmoid" : "softmax";
    layers.push_back(layer("Dense", names.output, weighted(out), names.dense));

    ojson config;
    config["name"] = "handposture_model";
    config["layers"] = std::move(layers);
    config["input_layers"] = ojson::array({ojson::array({names.input, 0, 0})});
    config["output_layers"] = ojson::array({ojson::array({names.output, 0, 0})});
    return ojson{{"class_name", "Functional"}, {"config", std::move(config)}}.dump();
}

}  // namespace hp
