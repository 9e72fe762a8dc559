// ST's user_config.yaml (model zoo, hand_posture use case): the keys of SPEC §7 and what they
// mean here. Wrong values throw hp::Error naming the file and the key; keys we do not know are
// reported as warnings and ignored.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "hp_preprocess.h"
#include "train/experiment.hpp"
#include "train/splits.hpp"
#include "train/trainer.hpp"

namespace hp {

struct UserConfig {
    std::filesystem::path file;  // the yaml it was read from; relative paths are resolved against its folder

    // general
    std::string project_name = "handposture";
    std::filesystem::path model_path;  // model to evaluate (operation_mode evaluation)
    std::string logs_dir = "logs", saved_models_dir = "saved_models";
    uint32_t global_seed = train::TrainOptions{}.seed;
    bool display_figures = false;

    std::string operation_mode = "training";  // training | evaluation | deployment | benchmarking

    // dataset
    std::string dataset_name;
    std::vector<std::string> class_names;  // as listed; empty: ST's 8 classes
    std::filesystem::path training_path, validation_path, test_path;
    double validation_split = train::ExperimentSettings{}.validation_split;
    train::SplitBy split_by = train::SplitBy::frame;  // extension: dataset.split_by
    bool resplit_each_epoch = false;                  // extension: dataset.resplit_each_epoch (ST's loader)

    hp_preprocess_config preprocess = HP_PREPROCESS_DEFAULTS;

    // training (model, recipe, callbacks; data_augmentation.random_flip.mode goes to options.flip)
    std::string model_name = "CNN2D_ST_HandPosture";
    int input_height = 8, input_width = 8, input_channels = 2;
    train::TrainOptions options;
    std::filesystem::path trained_model_path;

    std::string output_dir;  // hydra.run.dir with ${now:...} expanded; empty: experiments_outputs/<time>

    // deployment.hardware_setup
    std::string serie, board;
};

// Parses yaml text. `file` names the source in messages and anchors relative paths.
// Does not touch the filesystem. Warnings (unknown keys, ignored settings) go to `warnings`.
UserConfig parse_user_config(const std::string& yaml, const std::filesystem::path& file, std::ostream& warnings);

// Reads and parses `file`, then checks that the paths the operation mode needs exist.
UserConfig load_user_config(const std::filesystem::path& file, std::ostream& warnings);

// Throws hp::Error naming the key if a path the operation mode needs is missing or absent.
void check_config_paths(const UserConfig& config);

// Expands hydra's ${now:%Y_%m_%d_%H_%M_%S} (any strftime format) with the local time.
std::string expand_now(const std::string& pattern);

}  // namespace hp
