// `handposture deploy --target st-getting-started`: ST's hand-posture getting-started board
// application (NUCLEO-F401RE, ST model zoo) with a model of ours and no STM32Cube.AI. Writes into
// the user's copy the files Cube.AI would have (Application/Network: X-CUBE-AI's `ai_network_*`
// API over the handposture C99 runtime; ai_model_config.h), the runtime with the model data
// (Middlewares/handposture/, from the deploy package generators) and a Makefile building the
// whole firmware with arm-none-eabi-gcc.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "codegen/package.hpp"
#include "quant/model_any.hpp"

namespace hp::codegen {

// The board folder of ST's application these files are for.
inline constexpr const char* kStBoard = "NUCLEO-F401RE";

// What deploy needs to know of a user's copy of ST's application.
struct StApp {
    std::filesystem::path dir;
    int sensor_zones = 0;  // SENSOR__MAX_NB_OF_ZONES of its app_utils.h
};

// Checks that `dir` is ST's hand-posture application for NUCLEO-F401RE whose application code
// uses only the X-CUBE-AI API these files provide. Throws hp::Error naming the path and the
// problem otherwise.
StApp check_st_app(const std::filesystem::path& dir);

// Throws hp::Error (naming model_path) unless the model's input is the application's sensor
// frame: H x W = its zones, 2 channels.
void check_model_fits(const StApp& app, const AnyModel& model, const std::string& model_path);

// The files to write, paths relative to the application's root. options.class_names must be
// resolved; model_name: the model file's name, kept in network.h as the origin.
std::map<std::string, std::string> st_app_files(const AnyModel& model, const codegen::DeployOptions& options,
                                                const std::string& model_name);

// Writes `files` into the application: everything to temporary names first, then renamed into
// place (Middlewares/handposture/ as a whole folder), so an error leaves the copy unchanged.
void write_st_app(const StApp& app, const std::map<std::string, std::string>& files);

// The firmware image the generated Makefile builds in `dir` (build/handposture.bin); throws
// hp::Error if `dir` has no Makefile written by deploy.
std::filesystem::path firmware_image(const std::filesystem::path& dir);

}  // namespace hp::codegen
