#include "model/architectures.hpp"

#include <map>

#include "core/error.hpp"

namespace hp {

std::vector<Layer> st_custom_hidden_layers(float dropout)
{
    const Layer bn = layer_of_kind(LayerKind::batch_norm), relu = layer_of_kind(LayerKind::relu),
                pool = layer_of_kind(LayerKind::max_pool), drop = dropout_layer(dropout);
    auto conv = [](int filters) { return conv2d_layer(filters, 3, true, false, Activation::linear); };
    return {conv(16),
            bn,
            relu,
            pool,
            drop,
            conv(32),
            bn,
            relu,
            pool,
            drop,
            layer_of_kind(LayerKind::flatten),
            dense_layer(64, Activation::relu),
            dense_layer(32, Activation::relu)};
}

std::vector<Layer> cnn2d_st_hidden_layers(int conv_filters, int dense_units, float dropout)
{
    return {conv2d_layer(conv_filters, 3, false, true, Activation::relu), layer_of_kind(LayerKind::max_pool),
            dropout_layer(dropout), layer_of_kind(LayerKind::flatten), dense_layer(dense_units, Activation::relu)};
}

std::vector<Layer> named_hidden_layers(const std::string& name, int conv_filters, int dense_units, float dropout,
                                       const std::string& where)
{
    if (name == "CNN2D_ST_HandPosture") return cnn2d_st_hidden_layers(conv_filters, dense_units, dropout);
    if (name == "custom") return st_custom_hidden_layers(dropout);
    throw Error(where, "unknown network '" + name +
                           "' (CNN2D_ST_HandPosture, custom; any other as a training.model.layers list in a "
                           "user_config.yaml)");
}

// Keras' default name of a layer of `kind`: its class in snake case, numbered from the second.
static std::string keras_default_name(LayerKind kind, std::map<LayerKind, int>& seen)
{
    static const std::map<LayerKind, std::string> base = {
        {LayerKind::conv2d, "conv2d"},   {LayerKind::batch_norm, "batch_normalization"},
        {LayerKind::relu, "activation"}, {LayerKind::max_pool, "max_pooling2d"},
        {LayerKind::dropout, "dropout"}, {LayerKind::flatten, "flatten"},
        {LayerKind::dense, "dense"}};
    const int n = seen[kind]++;
    return base.at(kind) + (n ? "_" + std::to_string(n) : "");
}

Model with_output_layer(const TensorShape& input, std::vector<Layer> hidden, int classes, const std::string& where)
{
    if (classes < 2) throw Error(where, "a model needs at least 2 classes");
    Model m;
    m.input = input;
    m.layers = std::move(hidden);
    m.layers.push_back(dense_layer(classes == 2 ? 1 : classes, classes == 2 ? Activation::sigmoid : Activation::softmax));
    std::map<LayerKind, int> seen;
    for (Layer& l : m.layers)
        if (l.name.empty()) l.name = keras_default_name(l.kind, seen);
    m.validate_layers(where);
    m.allocate_weights();
    return m;
}

}  // namespace hp
