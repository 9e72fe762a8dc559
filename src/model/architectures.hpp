// Networks by name, and a list of hidden layers made a whole model: what `training.model` of a
// user_config.yaml (`name: CNN2D_ST_HandPosture`, `name: custom`, or a `layers:` list) becomes.
#pragma once

#include <string>
#include <vector>

#include "model/model.hpp"

namespace hp {

// ST's custom_model.py: Conv2D 16@3x3 same without bias, BatchNormalization, ReLU, MaxPooling2D,
// Dropout, Conv2D 32@3x3 same without bias, BatchNormalization, ReLU, MaxPooling2D, Dropout,
// Flatten, Dense 64 ReLU, Dense 32 ReLU (the output layer follows: with_output_layer).
std::vector<Layer> st_custom_hidden_layers(float dropout);

// CNN2D_ST_HandPosture's hidden layers: Conv2D F@3x3 valid ReLU, MaxPooling2D, Dropout, Flatten,
// Dense U ReLU.
std::vector<Layer> cnn2d_st_hidden_layers(int conv_filters, int dense_units, float dropout);

// The hidden layers of the network called `name`: "CNN2D_ST_HandPosture" (of conv_filters,
// dense_units) or "custom" (ST's custom_model.py); throws hp::Error naming `where` for another name.
std::vector<Layer> named_hidden_layers(const std::string& name, int conv_filters, int dense_units, float dropout,
                                       const std::string& where);

// `hidden` followed by the output layer of `classes` classes (Dense P softmax, or one sigmoid unit
// for 2), unnamed layers named as Keras names them (conv2d, conv2d_1, dense, ...), weights zero,
// no class names. Throws hp::Error naming `where` if the layers do not make a valid model.
Model with_output_layer(const TensorShape& input, std::vector<Layer> hidden, int classes,
                        const std::string& where = "model");

}  // namespace hp
