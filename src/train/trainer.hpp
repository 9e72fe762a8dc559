// Training CNN2D_ST_HandPosture with the recipe of ST's model zoo (SPEC §7): Adam, categorical
// (or binary) cross-entropy, dropout, random flips, ReduceLROnPlateau, EarlyStopping and a
// checkpoint of the best val_accuracy. Validation runs through the inference runtime
// (hp::predict_scores), the same code that runs the model everywhere else.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "model/model.hpp"
#include "train/augment.hpp"
#include "train/callbacks.hpp"
#include "train/init.hpp"

namespace hp::train {

enum class Flip { none, horizontal, vertical, horizontal_and_vertical };
// "none", "horizontal", "vertical", "horizontal_and_vertical"; throws hp::Error naming `where`.
Flip parse_flip(const std::string& mode, const std::string& where);
std::string flip_name(Flip flip);

struct TrainOptions {
    int epochs = 1000;
    int batch_size = 32;
    float learning_rate = 0.01f;
    float dropout = 0.2f;
    Flip flip = Flip::horizontal;
    uint32_t seed = 42;
    // The network without its output layer (architectures.hpp); empty: CNN2D_ST_HandPosture of
    // conv_filters, dense_units and dropout.
    std::vector<Layer> hidden_layers;
    int conv_filters = 8, dense_units = 32;
    std::optional<ReduceLrSettings> reduce_lr = ReduceLrSettings{};
    std::optional<EarlyStoppingSettings> early_stopping = EarlyStoppingSettings{};
    int threads = 1;  // for validation inference
    // Applied to each training frame's raw form before preprocessing (augment.hpp); none in ST's recipe.
    Augmentation augment;
    // The first frozen_layers layers keep their weights (and batch normalization its moving
    // statistics): fine-tuning only the layers after them.
    size_t frozen_layers = 0;
};

// The two recipes: ST's (its model zoo's training, bit for bit) and the cross-user one (ST's plus
// the augmentations of augment.hpp, distances relative to the nearest zone and 16 conv filters),
// which carries better to a hand the training never saw (docs/cross-user.md).
enum class Recipe { cross_user, st };
// "cross-user" or "st"; throws hp::Error naming `where`.
Recipe parse_recipe(const std::string& name, const std::string& where);
// Sets what the recipe decides in `options` and `preprocess` (distance mode), leaving the rest.
void apply_recipe(Recipe recipe, TrainOptions& options, hp_preprocess_config& preprocess);

struct EpochLog {
    int epoch = 0;  // 1-based, as Keras prints it
    double loss = 0, accuracy = 0, val_loss = 0, val_accuracy = 0;
    double lr = 0;       // learning rate used during this epoch
    double seconds = 0;  // wall time of the epoch, validation included
};

struct TrainResult {
    Model best_model;          // weights of the epoch with the best val_accuracy (first one on ties)
    int best_epoch = 0;        // 1-based
    Model last_model;          // after the last epoch run
    std::vector<EpochLog> history;
    bool stopped_early = false;
    double seconds = 0;      // wall time of all epochs
    double cpu_seconds = 0;  // processor time of this process over the same span
};

struct TrainCallbacks {
    std::function<void(int batch, int batches)> on_batch;  // after each batch (for a progress bar)
    std::function<void(const EpochLog&)> on_epoch;
};

// Trains a fresh model on `train`, validating on `validation` after every epoch. Both sets
// must have the same class names, frame size and preprocessing, and neither may be empty
// (hp::Error otherwise). The model records the sets' distance mode.
TrainResult train_model(const Dataset& train, const Dataset& validation, const TrainOptions& options,
                        const TrainCallbacks& callbacks = {});

// Same, from given initial weights (of a model trained with the sets' distance mode).
TrainResult train_model(Model model, const Dataset& train, const Dataset& validation, const TrainOptions& options,
                        const TrainCallbacks& callbacks = {});

// ST's loader, for comparing with ST's figures: every epoch trains and validates on the split
// resplit_for_epoch(data.size(), fraction, options.seed, epoch) of `data`, redrawn each epoch
// (training frames fed in permutation order). The callbacks and the checkpoint see that
// epoch's val_accuracy; its validation frames are also training frames, so it is not held out.
TrainResult train_model_resplit(const Dataset& data, double fraction, const TrainOptions& options,
                                const TrainCallbacks& callbacks = {});

}  // namespace hp::train
