// `handposture deploy`: a self-contained C99 package for any Cortex-M (or any C99 compiler) from a
// model: the weights as const arrays, the runtime sources copied verbatim, an application API
// (hp_app.h), ST's ai_model_config.h and a README.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "hp_postprocess.h"
#include "hp_preprocess.h"
#include "model/model.hpp"

namespace hp::codegen {

struct DeployOptions {
    std::string target = "cortex-m4";  // cortex-m4 | cortex-m7 | cortex-m0plus | generic
    hp_preprocess_config preprocess = HP_PREPROCESS_DEFAULTS;
    hp_postprocess_config postprocess = HP_POSTPROCESS_DEFAULTS;
    std::vector<std::string> class_names;  // output order; filled by resolve_class_names
};

// Flash and RAM of a package compiled for a Cortex-M (measured by codegen/cross.hpp).
struct PackageSize {
    long flash = 0;       // text + rodata + data of the package (and the libm/libgcc code it pulls in)
    long static_ram = 0;  // data + bss of the package
    std::string opt;      // -O2, -O3, -Os
};

// The targets `deploy` knows.
const std::vector<std::string>& deploy_targets();

// Class names of the package, in output order: the config's (sorted by posture code), else the
// model's stored names, else ST's 8 when the model has 8 classes; throws hp::Error otherwise or
// when their count does not match the model.
std::vector<std::string> resolve_class_names(const Model& model, const std::vector<std::string>& config_classes,
                                             const std::string& model_path);

// The package's files (name -> contents). options.class_names must be resolved.
std::map<std::string, std::string> package_files(const Model& model, const DeployOptions& options);

// The package's README.md: what it holds, how to build and call it, and its flash/RAM (from
// `sizes` when measured, else how to measure them).
std::string package_readme(const Model& model, const DeployOptions& options, const std::vector<PackageSize>& sizes);

// Runtime files a package copies: the float32 kernels and model, preprocessing, postprocessing.
bool runtime_file_in_package(const std::string& file_name);

// Writes the package into out_dir atomically: everything goes to "<out_dir>.tmp" first, which is
// renamed to out_dir (replacing an existing package or empty folder, never other files) only
// when complete. `extra` files (name ->
// contents, e.g. a README with measured sizes) are added or replace generated ones.
void write_package(const std::filesystem::path& out_dir, const std::map<std::string, std::string>& files);

// C literal of a float that reads back to exactly the same value ("1.5f", "-2e-05f", "0.0f").
std::string c_float(float value);

}  // namespace hp::codegen
