// The Keras `model_config` JSON of a model: parsed into its layer list and written the way
// Keras 2.x writes it. Kept apart from HDF5 so the parser can be fuzzed on its own
// (fuzz/fuzz_keras_config.cpp).
#pragma once

#include <string>

#include "model/model.hpp"

namespace hp {

// Parses model_config JSON (Functional: follows inbound_nodes from the output layer back to the
// input; Sequential: layer order) into a model with its input shape and layers, weights not yet
// allocated. Knows InputLayer, Conv2D, BatchNormalization, ReLU, Activation, Softmax,
// MaxPooling2D, Dropout, Flatten and Dense; an Activation/Softmax layer giving the output its
// softmax or sigmoid joins the Dense before it, a linear one vanishes. Throws hp::Error
// "<where>: layer '<name>': <problem>" for any layer or option outside that set.
Model parse_keras_model_config(const std::string& json_text, const std::string& where);

// Functional model_config JSON as Keras 2.8 writes it for `model`'s layers (separate ReLU layers
// as Activation('relu'), as ST's custom_model.py builds them).
std::string keras_model_config_json(const Model& model);

}  // namespace hp
