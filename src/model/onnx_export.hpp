// ONNX export of a CNN2D_ST_HandPosture-family model (opset 13), for ONNX Runtime and other tools.
//
//   input "input" [N, H, W, C] float32, NHWC like the Keras model (N dynamic)
//   Transpose -> NCHW, Conv 3x3 + Relu, MaxPool 2x2/2, Transpose -> NHWC, Flatten,
//   Gemm + Relu, Gemm, Softmax (Sigmoid for a 2-class model's one output)
//   output "probabilities" [N, O] float32
//
// Weights are initializers. Class names (output order) go into the model's doc string and its
// `class_names` metadata property (comma-separated).
#pragma once

#include <filesystem>
#include <string>

#include "model/model.hpp"

namespace hp {

// The serialized ONNX ModelProto of `model` (validated first; throws hp::Error).
std::string onnx_model_bytes(const Model& model);

// Writes onnx_model_bytes(model) to `path`, atomically.
void write_onnx(const std::filesystem::path& path, const Model& model);

}  // namespace hp
