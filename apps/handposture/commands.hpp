// Each group of subcommands lives in its own cmd_*.cpp and is added to the CLI here.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace hp::cli {

// void add_<area>_commands(CLI::App& app); one line per cmd_<area>.cpp
void add_live_commands(CLI::App& app);
void add_train_commands(CLI::App& app);
void add_quantize_commands(CLI::App& app);
void add_evaluate_commands(CLI::App& app);
void add_deploy_commands(CLI::App& app);
void add_dataset_commands(CLI::App& app);
void add_model_commands(CLI::App& app);
void add_flash_commands(CLI::App& app);
void add_calibrate_commands(CLI::App& app);
void add_studio_commands(CLI::App& app);

// ST's operation_mode deployment / benchmarking, run from a user_config.yaml (cmd_deploy.cpp).
// target: cortex-m4 | cortex-m7 | cortex-m0plus | generic, from deployment.hardware_setup.serie.
void deploy_from_config(const std::string& model, const std::string& config, const std::string& target,
                        const std::string& out);
void bench_from_config(const std::string& model, const std::string& config);

}  // namespace hp::cli
