// A training run as ST's model zoo lays it out on disk:
//   <out>/saved_models/best_model.h5, <out>/logs/metrics/train_metrics.csv,
//   training-curve and confusion-matrix PNGs, and <out>/run.json (settings and results).
// Also evaluation of a saved model and leave-one-group-out cross-validation.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.hpp"
#include "eval/metrics.hpp"
#include "train/splits.hpp"
#include "train/trainer.hpp"

namespace hp::train {

struct ExperimentSettings {
    std::filesystem::path data;        // training data (folder or ST's .zip)
    std::filesystem::path validation;  // empty: validation_split of `data`
    std::filesystem::path test;        // optional
    DatasetOptions dataset;            // classes and preprocessing
    double validation_split = 0.2;
    SplitBy split_by = SplitBy::frame;
    // ST's loader: the random validation_split redrawn every epoch (train_model_resplit); the
    // validation frames are also training frames. Not with `validation` or groups.
    bool resplit_each_epoch = false;
    TrainOptions options;
    std::filesystem::path out;         // output folder
    std::string logs_dir = "logs", saved_models_dir = "saved_models";
    bool progress_bar = false;         // a bar per epoch (for terminals)
    bool quiet = false;                // no per-epoch lines
};

struct ExperimentResult {
    TrainResult training;
    Metrics validation;
    std::optional<Metrics> test;
    std::filesystem::path model_path;
    nlohmann::json summary;  // what run.json holds
};

// Loads the data, trains, writes every output; progress goes to `log` (Keras-like lines).
ExperimentResult run_training(const ExperimentSettings& settings, std::ostream& log);

// Scores `data` with the model at `model_path`; writes confusion_matrix_<name>.png and
// evaluation_<name>.json under `out` (if not empty) and prints a report to `log`.
Metrics run_evaluation(const std::filesystem::path& model_path, const Dataset& data, const std::string& name,
                       const std::filesystem::path& out, std::ostream& log);

struct FoldResult {
    std::string group;
    size_t train_frames = 0, validation_frames = 0, held_out_frames = 0;
    int epochs = 0, best_epoch = 0;
    double validation_accuracy = 0, held_out_accuracy = 0;
    double seconds = 0;
};

// Called after each fold with its result, its best model, the frames it was trained on
// (without the validation frames) and the held-out group's frames.
using FoldCallback = std::function<void(const FoldResult& fold, const Model& best_model, const Dataset& training,
                                        const Dataset& held_out)>;

// Leave-one-group-out: for each group, trains on the others (validation_split random frames
// of the training groups for early stopping and the checkpoint) and scores the held-out group.
std::vector<FoldResult> run_crossval(const Dataset& data, SplitBy by, double validation_split,
                                     const TrainOptions& options, std::ostream& log, bool quiet,
                                     const FoldCallback& on_fold = {});

// Keras-like epoch line: "Epoch 3/1000 - 0.01s - loss: ... - val_accuracy: ... - lr: ...".
std::string format_epoch(const EpochLog& e, int epochs);

}  // namespace hp::train
