// Reading and writing model files. Keras HDF5 (.h5) in the layout of Keras 2.x `model.save`
// (SPEC §8), which ST's model zoo and STM32Cube.AI read.
#pragma once

#include <filesystem>

#include "model/model.hpp"

namespace hp {

// Reads a CNN2D_ST_HandPosture-family model from a Keras .h5 (Functional or Sequential
// model_config, any layer names). Class names are left empty (a .h5 does not hold them) unless
// the file carries our own `handposture_class_names` root attribute.
// Throws hp::Error naming the file and the layer/attribute at fault.
Model read_keras_h5(const std::filesystem::path& path);

// Writes `model` as a Keras 2.x .h5 (Functional model_config, model_weights groups, float32
// datasets), atomically. Also stores class names in a `handposture_class_names` root attribute.
void write_keras_h5(const std::filesystem::path& path, const Model& model);

}  // namespace hp
