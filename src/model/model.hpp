// A model as every stage holds it: an input shape and an ordered list of layers, each with its
// Keras weights, plus the class names in output order. Keras reads and writes it (keras_h5),
// training runs it layer by layer (train/network), inference runs it through the C99 runtime
// (model/runtime_net: batch normalization folded, ReLU fused) and the generators emit it.
// ST's CNN2D_ST_HandPosture is one such list (model/cnn2d_st.hpp), with fast paths of its own.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "hp_preprocess.h"

namespace hp {

// NHWC without the batch; a flat vector is 1 x 1 x n.
struct TensorShape {
    int height = 0, width = 0, channels = 0;
    size_t size() const { return size_t(height) * size_t(width) * size_t(channels); }
    std::string text() const;  // "8x8x2"
    bool operator==(const TensorShape&) const = default;
};

enum class LayerKind { conv2d, batch_norm, relu, max_pool, dropout, flatten, dense };

// The activation a Conv2D or Dense applies to its output. softmax and sigmoid only on the last
// Dense (the model's output: softmax over P >= 3 classes, or one sigmoid unit for 2).
enum class Activation { linear, relu, softmax, sigmoid };

struct Layer {
    LayerKind kind = LayerKind::dense;
    std::string name;  // the Keras layer name (unique in a model)
    int units = 0;     // conv2d: filters; dense: units
    int kernel_size = 0;        // conv2d: 1, 3 or 5 (square, stride 1)
    bool same_padding = false;  // conv2d: 'same' (zero padding k/2), else 'valid'
    bool use_bias = true;       // conv2d, dense
    Activation activation = Activation::linear;  // conv2d, dense
    float rate = 0;             // dropout
    float epsilon = 1e-3f, momentum = 0.99f;  // batch_norm (Keras defaults)
    // Keras' order: conv2d kernel [k][k][C][F] (+ bias [F]); dense kernel [in][out] (+ bias [out]);
    // batch_norm gamma, beta, moving_mean, moving_variance [C]. Others: none.
    std::vector<std::vector<float>> weights;

    // How many of `weights`, from the first, training updates (batch_norm's moving statistics are not).
    size_t trainable_tensors() const { return kind == LayerKind::batch_norm ? 2 : weights.size(); }
    bool operator==(const Layer&) const = default;
};

// Layers by kind, named later (with_output_layer names unnamed ones as Keras does).
Layer conv2d_layer(int filters, int kernel_size, bool same_padding, bool use_bias, Activation activation);
Layer dense_layer(int units, Activation activation, bool use_bias = true);
Layer dropout_layer(float rate);
Layer layer_of_kind(LayerKind kind);  // batch_norm (Keras defaults), relu, max_pool, flatten

// Multiply-accumulates per frame of a layer taking `in` (convolutions and dense layers; 0 for others).
long layer_mac_count(const Layer& layer, const TensorShape& in);
// Its weights' count (Keras' "Param #": batch normalization's moving statistics included).
long layer_parameter_count(const Layer& layer, const TensorShape& in);

// A layer in a few words: "Conv2D 16 3x3 same no bias", "Dropout 0.2", "Dense 32 relu".
std::string layer_text(const Layer& layer);

// "Conv2D", "BatchNormalization", ... as Keras names the class of a layer.
const char* keras_class_name(LayerKind kind);

struct Model {
    TensorShape input{8, 8, 2};
    std::vector<Layer> layers;
    std::vector<std::string> class_names;  // output order (sorted by posture code)
    // The preprocessing's distance channel the model was trained on (hp_distance_mode); every
    // caller of the preprocessing takes it from here (preprocess_for).
    int distance_mode = HP_DISTANCE_ABSOLUTE;

    // Output shape of each layer; throws hp::Error naming `where` and the layer if a layer does not
    // take its input (a kernel larger than the input, a Dense on an unflattened tensor...).
    std::vector<TensorShape> output_shapes(const std::string& where = "model") const;
    int outputs() const;  // units of the last layer
    int classes() const { return outputs() == 1 ? 2 : outputs(); }

    // Allocates zeroed weights of the right sizes for every layer (batch_norm: gamma and the
    // moving variance 1, beta and the moving mean 0, as Keras initializes them).
    void allocate_weights();

    // Throws hp::Error naming `where` and the layer unless the list is a model this project runs:
    // unique names, layer options in range, shapes that chain, an output Dense with softmax
    // (P >= 3) or one sigmoid unit, a size within bounds.
    void validate_layers(const std::string& where) const;
    // validate_layers, and weights of the right sizes and finite, class names matching the outputs.
    void validate(const std::string& where) const;

    long parameter_count() const;
    long mac_count() const;  // multiply-accumulates per frame (convolutions and dense layers)

    // The weights training updates, in layer order (conv/dense kernel and bias, batch_norm gamma and beta).
    std::vector<std::vector<float>*> trainable_tensors();
    std::vector<const std::vector<float>*> trainable_tensors() const;

    bool operator==(const Model&) const = default;
};

// Throws hp::Error naming `where` unless a sensor frame of `zones` zones (4x4 or 8x8; distance and
// signal) is a model's `input` ("frames are 8x8x2 but the model expects 4x4x2").
void check_frames_fit(const TensorShape& input, int zones, const std::string& where);

// `base` (the user's distance limits) with the model's distance mode: a model is run only with the
// preprocessing it was trained with.
hp_preprocess_config preprocess_for(const Model& model, hp_preprocess_config base = HP_PREPROCESS_DEFAULTS);

// "absolute" or "relative", as model files and run.json record a distance mode.
std::string distance_mode_name(int mode);
// The hp_distance_mode called `name`; throws hp::Error naming `where` for any other name.
int parse_distance_mode(const std::string& name, const std::string& where);

}  // namespace hp
