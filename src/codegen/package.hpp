// `handposture deploy`: a self-contained C99 package for any Cortex-M (or any C99 compiler) from a
// model: the weights as const arrays, the runtime sources copied verbatim, an application API
// (hp_app.h), ST's ai_model_config.h and a README. Deployment lives in this folder: the float32
// network here, the int8 one in int8_package.hpp, either kind of model file in deploy_any.hpp,
// test vectors, cross-compiled sizes and QEMU runs beside them.
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
    std::vector<std::string> class_names;  // output order (resolve_class_names, model/class_names.hpp)
};

// Flash and RAM of a package compiled for a Cortex-M (measured by codegen/cross.hpp).
struct PackageSize {
    long flash = 0;       // text + rodata + data of the package (and the libm/libgcc code it pulls in)
    long static_ram = 0;  // data + bss of the package
    std::string opt;      // -O2, -O3, -Os
};

// The targets `deploy` knows.
const std::vector<std::string>& deploy_targets();

// What a package says about the network it runs: its weights, the runtime sources it needs and
// its part of the application code (hp_app.h, hp_app.c); the rest (API, the per-frame pipeline,
// ST's configuration header) is the same for every network. float_app_network and
// int8_app_network (int8_package.hpp) describe the two kinds.
struct AppNetwork {
    std::string model_data_h;    // hp_model_data.h: declares hp_model_data
    std::string model_data_c;    // hp_model_data.c: the weights
    std::vector<std::string> runtime_files;  // runtime/ files the network needs (package_runtime_files adds the pipeline's)
    std::string includes;        // the runtime headers hp_app.c includes
    std::string buffers;         // static buffers: the network's scratch and the float tensor
                                 // hp_process_frame preprocesses into (they may share memory)
    std::string tensor;          // the name of that float tensor [HP_APP_INPUT_SIZE]
    std::string run;             // hp_run's body (input, scores)
    std::string init;            // statements hp_init runs first (may return -1), or empty
    std::string config;          // more #define lines for the package's hp_config.h
    std::string header_includes; // headers hp_app.h needs for header_api
    std::string header_api;      // more declarations for hp_app.h, after hp_run
    std::string functions;       // their definitions in hp_app.c
    int distance_mode = HP_DISTANCE_ABSOLUTE;  // the model's: the package preprocesses with it
    // What the package's README says about it:
    std::string readme_kind;     // the network's number format, e.g. "float32"
    std::string readme_data;     // what hp_model_data.c holds
    std::string readme_api;      // more lines for the README's API block (header_api's functions)
};

// The float32 network's part of a package: CNN2D_ST_HandPosture on its specialised kernels
// (hp_model.h), any other layer list on the general runtime (hp_net.h).
AppNetwork float_app_network(const Model& model);

// The runtime files of the general float network (hp_net_f32.c and the kernels it calls).
std::vector<std::string> general_net_runtime_files();

// What the application code needs to know of a network: its input and its classes.
struct NetworkIo {
    TensorShape input;
    int classes = 0;
    int outputs() const { return classes == 2 ? 1 : classes; }
};

// The runtime files a package of `network` copies: the per-frame pipeline's (hp_pipeline,
// preprocessing, postprocessing) and the network's own. (runtime/hp_config.h is not one: each
// package writes its own.)
std::vector<std::string> package_runtime_files(const AppNetwork& network);

// A package's files (name -> contents) for a network of `io` described by `network`: its
// runtime files copied verbatim, hp_model_data.*, hp_app.h, hp_app.c, ai_model_config.h and
// hp_config.h (the runtime's build options for this model, see runtime/hp_config.h).
// options.class_names must be resolved.
std::map<std::string, std::string> package_files(const NetworkIo& io, const DeployOptions& options,
                                                 const AppNetwork& network);

// The float32 package of `model`. options.class_names must be resolved.
std::map<std::string, std::string> package_files(const Model& model, const DeployOptions& options);

// The package's README.md for `model`'s shape and the network `network` describes: what it holds,
// how to build and call it, and its flash/RAM (from `sizes` when measured, else how to measure them).
std::string package_readme(const Model& model, const DeployOptions& options, const AppNetwork& network,
                           const std::vector<PackageSize>& sizes);

// Writes the package into out_dir atomically: everything goes to "<out_dir>.tmp" first, which is
// renamed to out_dir (replacing an existing package or empty folder, never other files) only
// when complete. `extra` files (name ->
// contents, e.g. a README with measured sizes) are added or replace generated ones.
void write_package(const std::filesystem::path& out_dir, const std::map<std::string, std::string>& files);

// C literal of a float that reads back to exactly the same value ("1.5f", "-2e-05f", "0.0f").
std::string c_float(float value);

// C definition of `const float name[N]` holding `values`, six a line, after a comment `shape`.
std::string float_array(const std::string& name, const std::vector<float>& values, const std::string& shape);

}  // namespace hp::codegen
