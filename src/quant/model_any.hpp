// Model files as the CLI takes them: a Keras .h5 (float32) or a quantized .hpq (int8), told apart
// by their first bytes, whatever the file name. Commands that only need the shape and class
// names use `model`; prediction and deployment go to the int8 runtime when `quant` is set.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "codegen/package.hpp"
#include "model/model.hpp"
#include "quant/quant_model.hpp"

namespace hp {

struct AnyModel {
    Model model;                      // the float model; for an int8 file: its shape and class names, zero weights
    std::optional<QuantModel> quant;  // set for an int8 file
    bool is_int8() const { return quant.has_value(); }
};

// Reads either kind; throws hp::Error naming the file.
AnyModel read_any_model(const std::filesystem::path& path);

// Scores [count][outputs] through the float or the int8 runtime.
std::vector<float> predict_scores(const AnyModel& model, const float* inputs, size_t count, int threads = 0);

// The files of a deploy package for either kind (codegen::package_files or quant_package_files).
std::map<std::string, std::string> deploy_package_files(const AnyModel& model, const codegen::DeployOptions& options);

// The package's README.md for either kind (codegen::package_readme with the float or int8
// network's description); `sizes` as measured, or empty.
std::string deploy_package_readme(const AnyModel& model, const codegen::DeployOptions& options,
                                  const std::vector<codegen::PackageSize>& sizes);

// int8 test vectors (test/hp_s8_vectors.{h,c}) from `count` frames evenly spread over a dataset,
// for firmware/harness_s8.c. Throws hp::Error if the dataset's frames do not fit the model.
std::map<std::string, std::string> int8_test_vector_files(const QuantModel& model, const codegen::DeployOptions& options,
                                                          const std::filesystem::path& dataset, int count);

}  // namespace hp
