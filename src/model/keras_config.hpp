// The Keras `model_config` JSON of a CNN2D_ST_HandPosture-family model: parsed into the
// model's shape and the names of its weighted layers, and written the way Keras 2.x writes it.
// Kept apart from HDF5 so the parser can be fuzzed on its own (fuzz/fuzz_keras_config.cpp).
#pragma once

#include <string>

#include "model/model.hpp"

namespace hp {

// What the graph of a model_config says about the model.
struct KerasArchitecture {
    ModelShape shape;
    float dropout = 0.0f;      // rate of the first Dropout layer, 0 if none
    std::string conv_layer;    // names of the layers whose weights the model needs
    std::string dense_layer;
    std::string output_layer;
};

// Parses model_config JSON (Functional: follows inbound_nodes from the output layer back to
// the input; Sequential: layer order). Accepts any layer names, ReLU fused into Conv2D/Dense or
// as a separate Activation/ReLU layer, optional Dropout. Throws hp::Error "<where>: <problem>"
// naming the layer and what is unsupported for anything outside the family.
KerasArchitecture parse_keras_model_config(const std::string& json_text, const std::string& where);

// Layer names the writer uses.
struct KerasLayerNames {
    std::string input = "input_1", conv = "conv2d", pool = "max_pooling2d", dropout = "dropout",
                flatten = "flatten", dense = "dense", output = "dense_1";
};

// Functional model_config JSON as Keras 2.8 writes it: InputLayer, Conv2D (ReLU), MaxPooling2D,
// Dropout, Flatten, Dense (ReLU), Dense (softmax, or 1 unit + sigmoid for 2 classes).
std::string keras_model_config_json(const ModelShape& shape, float dropout, const KerasLayerNames& names = {});

}  // namespace hp
