// Model files as the CLI takes them: a Keras .h5 (float32) or a quantized .hpq (int8), told apart
// by their first bytes, whatever the file name. Commands that only need the shape and class
// names use `model`; prediction goes to the int8 runtime when `quant` is set (deployment:
// codegen/deploy_any.hpp).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "model/model.hpp"
#include "quant/quant_model.hpp"
#include "quant/quant_net.hpp"

namespace hp {

struct AnyModel {
    Model model;                      // the float model; for an int8 file: its layers and class names, zero weights
    std::optional<QuantModel> quant;  // set for an int8 file of CNN2D_ST_HandPosture (its own scheme)
    std::optional<QuantNet> net;      // set for an int8 file of any other layer list (hp_net_s8.h)
    bool is_int8() const { return quant.has_value() || net.has_value(); }
};

// Reads either kind; throws hp::Error naming the file.
AnyModel read_any_model(const std::filesystem::path& path);

// Scores [count][outputs] through the float or the int8 runtime.
std::vector<float> predict_scores(const AnyModel& model, const float* inputs, size_t count, int threads = 0);

}  // namespace hp
