// Each group of subcommands lives in its own cmd_*.cpp and is added to the CLI here.
#pragma once

#include <CLI/CLI.hpp>

namespace hp::cli {

// void add_<area>_commands(CLI::App& app); one line per cmd_<area>.cpp
void add_live_commands(CLI::App& app);
void add_train_commands(CLI::App& app);
void add_quantize_commands(CLI::App& app);
void add_evaluate_commands(CLI::App& app);
void add_deploy_commands(CLI::App& app);
void add_dataset_commands(CLI::App& app);
void add_model_commands(CLI::App& app);

}  // namespace hp::cli
