// Deploy packages of either kind of model file (quant/model_any.hpp): float32 (package.hpp) or
// int8 (int8_package.hpp).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "codegen/package.hpp"
#include "quant/model_any.hpp"

namespace hp::codegen {

// The files of a deploy package for either kind (package_files or quant_package_files).
std::map<std::string, std::string> deploy_package_files(const AnyModel& model, const DeployOptions& options);

// The package's README.md for either kind (package_readme with the float or int8 network's
// description); `sizes` as measured, or empty.
std::string deploy_package_readme(const AnyModel& model, const DeployOptions& options,
                                  const std::vector<PackageSize>& sizes);

// int8 test vectors (test/hp_s8_vectors.{h,c}) from `count` frames evenly spread over a dataset,
// for firmware/harness_s8.c. Throws hp::Error if the dataset's frames do not fit the model.
std::map<std::string, std::string> int8_test_vector_files(const QuantModel& model, const DeployOptions& options,
                                                          const std::filesystem::path& dataset, int count);
std::map<std::string, std::string> int8_test_vector_files(const QuantNet& model, const DeployOptions& options,
                                                          const std::filesystem::path& dataset, int count);

}  // namespace hp::codegen
