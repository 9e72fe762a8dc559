#include "model/architectures.hpp"

#include <map>

#include "core/error.hpp"

namespace hp {

std::vector<Layer> st_custom_hidden_layers(float dropout)
{
    auto conv = [](int filters) {
        return Layer{.kind = LayerKind::conv2d, .units = filters, .kernel_size = 3, .same_padding = true, .use_bias = false};
    };
    const Layer bn{.kind = LayerKind::batch_norm}, relu{.kind = LayerKind::relu}, pool{.kind = LayerKind::max_pool},
        drop{.kind = LayerKind::dropout, .rate = dropout};
    auto dense = [](int units) { return Layer{.kind = LayerKind::dense, .units = units, .activation = Activation::relu}; };
    return {conv(16), bn, relu, pool, drop, conv(32), bn, relu, pool, drop,
            Layer{.kind = LayerKind::flatten}, dense(64), dense(32)};
}

std::vector<Layer> cnn2d_st_hidden_layers(int conv_filters, int dense_units, float dropout)
{
    return {Layer{.kind = LayerKind::conv2d, .units = conv_filters, .kernel_size = 3, .activation = Activation::relu},
            Layer{.kind = LayerKind::max_pool}, Layer{.kind = LayerKind::dropout, .rate = dropout},
            Layer{.kind = LayerKind::flatten},
            Layer{.kind = LayerKind::dense, .units = dense_units, .activation = Activation::relu}};
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
    if (classes < 2) throw Error(where, "a model needs 2 or more classes");
    Model m;
    m.input = input;
    m.layers = std::move(hidden);
    m.layers.push_back(Layer{.kind = LayerKind::dense, .units = classes == 2 ? 1 : classes,
                             .activation = classes == 2 ? Activation::sigmoid : Activation::softmax});
    std::map<LayerKind, int> seen;
    for (Layer& l : m.layers)
        if (l.name.empty()) l.name = keras_default_name(l.kind, seen);
    m.validate_layers(where);
    m.allocate_weights();
    return m;
}

}  // namespace hp
