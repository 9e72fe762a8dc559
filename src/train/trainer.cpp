#include "train/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <functional>
#include <numeric>

#include "core/error.hpp"
#include "eval/metrics.hpp"
#include "model/predict.hpp"
#include "train/adam.hpp"
#include "train/init.hpp"
#include "model/architectures.hpp"
#include "train/network.hpp"
#include "train/splits.hpp"

namespace hp::train {

Flip parse_flip(const std::string& mode, const std::string& where)
{
    if (mode == "none" || mode.empty()) return Flip::none;
    if (mode == "horizontal") return Flip::horizontal;
    if (mode == "vertical") return Flip::vertical;
    if (mode == "horizontal_and_vertical") return Flip::horizontal_and_vertical;
    throw Error(where, "unknown flip mode '" + mode + "' (use horizontal, vertical, horizontal_and_vertical or none)");
}

std::string flip_name(Flip flip)
{
    switch (flip) {
    case Flip::none: return "none";
    case Flip::horizontal: return "horizontal";
    case Flip::vertical: return "vertical";
    case Flip::horizontal_and_vertical: return "horizontal_and_vertical";
    }
    return "none";
}

Recipe parse_recipe(const std::string& name, const std::string& where)
{
    if (name == "cross-user") return Recipe::cross_user;
    if (name == "st") return Recipe::st;
    throw Error(where, "unknown recipe '" + name + "' (use cross-user or st)");
}

void apply_recipe(Recipe recipe, TrainOptions& options, hp_preprocess_config& preprocess)
{
    const bool cross_user = recipe == Recipe::cross_user;
    options.augment = cross_user ? cross_user_augmentation() : Augmentation{};
    options.conv_filters = cross_user ? 16 : TrainOptions{}.conv_filters;
    preprocess.distance_mode = cross_user ? HP_DISTANCE_RELATIVE : HP_DISTANCE_ABSOLUTE;
}

static void check_sets(const Dataset& train, const Dataset& validation, const TrainOptions& o)
{
    if (train.size() == 0) throw Error("training set", "no frames to train on");
    if (validation.size() == 0) throw Error("validation set", "no frames to validate on");
    if (train.class_names != validation.class_names)
        throw Error("validation set", "class names differ from the training set's");
    if (train.height != validation.height || train.width != validation.width)
        throw Error("validation set", "frame size differs from the training set's");
    if (train.preprocess.distance_mode != validation.preprocess.distance_mode)
        throw Error("validation set", "distance mode differs from the training set's");
    if (o.augment.any() && train.raw.size() != train.size() * train.raw_size())
        throw Error("training set", "augmentations need the frames as measured (Dataset::raw)");
    if (train.class_names.size() < 2) throw Error("training set", "needs at least 2 classes");
    if (o.batch_size < 1) throw Error("batch_size", "must be at least 1");
    if (o.epochs < 1) throw Error("epochs", "must be at least 1");
    if (!(o.learning_rate > 0) || !std::isfinite(o.learning_rate)) throw Error("learning_rate", "must be positive");
    if (!(o.dropout >= 0 && o.dropout < 1)) throw Error("dropout", "must be in [0, 1)");
}

// Copies frame `src` [H][W][C] to `dst`, mirrored left-right and/or upside down.
static void copy_flipped(float* __restrict__ dst, const float* __restrict__ src, int H, int W, int C, bool flip_x,
                         bool flip_y)
{
    const size_t row = size_t(W) * C;
    if (!flip_x && !flip_y) {
        std::memcpy(dst, src, sizeof(float) * row * size_t(H));
        return;
    }
    for (int y = 0; y < H; y++) {
        const float* __restrict__ s = src + size_t(flip_y ? H - 1 - y : y) * row;
        float* __restrict__ d = dst + size_t(y) * row;
        if (!flip_x)
            std::memcpy(d, s, sizeof(float) * row);
        else if (C == 2)  // the usual case: one 8-byte move per zone
            for (int x = 0; x < W; x++) std::memcpy(d + 2 * x, s + 2 * (W - 1 - x), 2 * sizeof(float));
        else
            for (int x = 0; x < W; x++)
                for (int c = 0; c < C; c++) d[x * C + c] = s[(W - 1 - x) * C + c];
    }
}

// Frames gathered ahead of the one being copied into a batch, and the hint that brings one in.
constexpr size_t kPrefetchAhead = 4;
static void prefetch_frame(const float* frame, size_t floats)
{
    for (size_t i = 0; i < floats; i += 64 / sizeof(float)) __builtin_prefetch(frame + i);
}

static Model fresh_model(const Dataset& train, const TrainOptions& options)
{
    std::vector<Layer> hidden = options.hidden_layers;
    if (hidden.empty()) hidden = cnn2d_st_hidden_layers(options.conv_filters, options.dense_units, options.dropout);
    Model model = with_output_layer({train.height, train.width, 2}, std::move(hidden),
                                    int(train.class_names.size()), "training.model");
    model.class_names = train.class_names;
    model.distance_mode = train.preprocess.distance_mode;
    return initial_model(std::move(model), options.seed);
}

// The frozen layers (`frozen`: their weights before training) do not move: their gradients are
// zeroed, so Adam leaves them as they are, and batch normalization's moving statistics, which the
// forward pass updates, are put back.
static void keep_frozen(Model& model, const std::vector<Layer>& frozen, Tensors& grads)
{
    size_t tensor = 0;
    for (size_t l = 0; l < frozen.size(); l++) {
        Layer& layer = model.layers[l];
        for (size_t t = 0; t < layer.trainable_tensors(); t++, tensor++)
            std::fill(grads[tensor].begin(), grads[tensor].end(), 0.0f);
        for (size_t t = layer.trainable_tensors(); t < layer.weights.size(); t++) layer.weights[t] = frozen[l].weights[t];
    }
}

// Training frame k of `train`, augmented as measured and preprocessed again, into `tensor`.
static void augmented_input(const Dataset& train, size_t k, const Augmentation& augment, Rng& rng,
                            std::vector<float>& raw, float* tensor)
{
    const int zones = train.height * train.width;
    raw.assign(train.raw_frame(k), train.raw_frame(k) + train.raw_size());
    RawFrame f{zones, raw.data(), raw.data() + zones, raw.data() + 2 * zones, raw.data() + 3 * zones};
    augment_frame(f, augment, rng);
    // An augmented frame may fall out of [Min_distance, Max_distance]: it is still a hand, kept.
    hp_preprocess_frame(&train.preprocess, zones, f.distance_mm, f.signal_per_spad, f.target_status, f.nb_targets,
                        tensor);
}

TrainResult train_model(const Dataset& train, const Dataset& validation, const TrainOptions& options,
                        const TrainCallbacks& callbacks)
{
    return train_model(fresh_model(train, options), train, validation, options, callbacks);
}

// Before epoch `epoch` (0-based): fills `order` with the frames of `train` to feed, in that order,
// and points `validation` at the frames to validate on.
using EpochFrames = std::function<void(int epoch, std::vector<size_t>& order, const Dataset*& validation)>;

static TrainResult train_epochs(Model model, const Dataset& train, const TrainOptions& o,
                                const EpochFrames& next_epoch, const TrainCallbacks& callbacks);

TrainResult train_model(Model model, const Dataset& train, const Dataset& validation, const TrainOptions& o,
                        const TrainCallbacks& callbacks)
{
    check_sets(train, validation, o);
    // one permutation, reshuffled in place every epoch
    Rng order_rng(o.seed + 1);
    std::vector<size_t> permutation(train.size());
    std::iota(permutation.begin(), permutation.end(), size_t(0));
    EpochFrames next_epoch = [&](int, std::vector<size_t>& order, const Dataset*& val) {
        shuffle(permutation.data(), permutation.size(), order_rng);
        order = permutation;
        val = &validation;
    };
    return train_epochs(std::move(model), train, o, next_epoch, callbacks);
}

TrainResult train_model_resplit(const Dataset& data, double fraction, const TrainOptions& o,
                                const TrainCallbacks& callbacks)
{
    check_sets(data, data, o);
    Dataset validation;  // this epoch's validation frames (inputs and labels only)
    validation.height = data.height;
    validation.width = data.width;
    validation.class_names = data.class_names;
    validation.preprocess = data.preprocess;
    EpochFrames next_epoch = [&](int epoch, std::vector<size_t>& order, const Dataset*& val) {
        Split split = resplit_for_epoch(data.size(), fraction, o.seed, epoch);
        order = std::move(split.train);
        const size_t frame = data.input_size();
        validation.inputs.resize(split.validation.size() * frame);
        validation.labels.resize(split.validation.size());
        for (size_t i = 0; i < split.validation.size(); i++) {
            std::memcpy(validation.inputs.data() + i * frame, data.input(split.validation[i]), sizeof(float) * frame);
            validation.labels[i] = data.labels[split.validation[i]];
        }
        val = &validation;
    };
    return train_epochs(fresh_model(data, o), data, o, next_epoch, callbacks);
}

static TrainResult train_epochs(Model model, const Dataset& train, const TrainOptions& o,
                                const EpochFrames& next_epoch, const TrainCallbacks& callbacks)
{
    using clock = std::chrono::steady_clock;
    check_frames_fit(model.input, train.height * train.width, "model");
    if (model.classes() != int(train.class_names.size()))
        throw Error("model", "has " + std::to_string(model.classes()) + " classes, the training set " +
                                 std::to_string(train.class_names.size()));
    if (model.distance_mode != train.preprocess.distance_mode)
        throw Error("model", "was trained on " + distance_mode_name(model.distance_mode) + " distances, the training set has " +
                                 distance_mode_name(train.preprocess.distance_mode) + " ones");
    model.class_names = train.class_names;
    model.validate("model");

    const size_t frame = train.input_size();
    const int B = o.batch_size;
    // Separate streams (the order's is seed + 1): the shuffling does not depend on how many
    // dropout draws were made.
    Rng flip_rng(o.seed + 2), dropout_rng(o.seed + 3), augment_rng(o.seed + 4);
    const bool augmenting = o.augment.any();
    std::vector<float> raw, augmented(augmenting ? frame : 0);
    Network net(model, B);
    Adam adam;
    adam.learning_rate = o.learning_rate;
    adam.reset(model);
    Tensors grads = zeros_like_trainable(model);
    const std::vector<Layer> frozen(model.layers.begin(),
                                    model.layers.begin() + std::ptrdiff_t(std::min(o.frozen_layers, model.layers.size())));
    std::vector<size_t> order;
    std::vector<float> x(size_t(B) * frame);
    std::vector<int> labels(static_cast<size_t>(B));
    const bool flip_x = o.flip == Flip::horizontal || o.flip == Flip::horizontal_and_vertical;
    const bool flip_y = o.flip == Flip::vertical || o.flip == Flip::horizontal_and_vertical;

    std::optional<ReduceLrOnPlateau> reduce_lr;
    if (o.reduce_lr) reduce_lr.emplace(*o.reduce_lr);
    std::optional<EarlyStopping> early_stopping;
    if (o.early_stopping) early_stopping.emplace(*o.early_stopping);

    TrainResult result;
    result.best_model = model;
    double best_val_accuracy = -1;
    auto start = clock::now();
    const std::clock_t cpu_start = std::clock();
    for (int epoch = 0; epoch < o.epochs; epoch++) {
        auto epoch_start = clock::now();
        EpochLog log;
        log.epoch = epoch + 1;
        log.lr = adam.learning_rate;
        const Dataset* validation = nullptr;
        next_epoch(epoch, order, validation);
        const size_t n = order.size();
        const int batches = int((n + size_t(B) - 1) / size_t(B));
        double loss_sum = 0;
        long correct_sum = 0;
        for (int batch = 0; batch < batches; batch++) {
            const size_t first = size_t(batch) * size_t(B);
            const int count = int(std::min(size_t(B), n - first));
            for (int i = 0; i < count; i++) {
                size_t k = order[first + size_t(i)];
                // The frames come from anywhere in the set: ask for a later one's cache lines now.
                if (first + size_t(i) + kPrefetchAhead < n) {
                    const size_t later = order[first + size_t(i) + kPrefetchAhead];
                    if (augmenting)
                        prefetch_frame(train.raw_frame(later), train.raw_size());
                    else
                        prefetch_frame(train.input(later), frame);
                }
                bool fx = flip_x && flip_rng.bernoulli(0.5), fy = flip_y && flip_rng.bernoulli(0.5);
                const float* input = train.input(k);
                if (augmenting) {
                    augmented_input(train, k, o.augment, augment_rng, raw, augmented.data());
                    input = augmented.data();
                }
                copy_flipped(x.data() + size_t(i) * frame, input, train.height, train.width, 2, fx, fy);
                labels[size_t(i)] = train.labels[k];
            }
            int correct = 0;
            loss_sum += net.forward_backward(model, x.data(), labels.data(), count, dropout_rng, grads, correct);
            correct_sum += correct;
            keep_frozen(model, frozen, grads);
            adam.step(model, grads);
            if (callbacks.on_batch) callbacks.on_batch(batch + 1, batches);
        }
        log.loss = loss_sum / double(n);
        log.accuracy = double(correct_sum) / double(n);
        if (!std::isfinite(log.loss))
            throw Error("training", "the loss diverged to a non-finite value at epoch " + std::to_string(epoch + 1));

        std::vector<float> scores = predict_scores(model, validation->inputs.data(), validation->size(), o.threads);
        Metrics m = compute_metrics(scores, model.outputs(), validation->labels, validation->class_names);
        log.val_loss = m.loss;
        log.val_accuracy = m.accuracy;

        // checkpoint: best val_accuracy, strictly better than before (Keras ModelCheckpoint)
        if (log.val_accuracy > best_val_accuracy) {
            best_val_accuracy = log.val_accuracy;
            result.best_model = model;
            result.best_epoch = epoch + 1;
        }
        auto monitored = [&](const std::string& name) {
            if (name == "val_loss") return log.val_loss;
            if (name == "val_accuracy") return log.val_accuracy;
            if (name == "loss") return log.loss;
            return log.accuracy;
        };
        if (reduce_lr) adam.learning_rate = reduce_lr->on_epoch_end(monitored(o.reduce_lr->monitor), adam.learning_rate);
        bool stop = false;
        if (early_stopping) {
            bool improved = false;
            stop = early_stopping->on_epoch_end(epoch, monitored(o.early_stopping->monitor), improved);
        }
        log.seconds = std::chrono::duration<double>(clock::now() - epoch_start).count();
        result.history.push_back(log);
        if (callbacks.on_epoch) callbacks.on_epoch(log);
        if (stop) {
            result.stopped_early = true;
            break;
        }
    }
    result.last_model = std::move(model);
    result.seconds = std::chrono::duration<double>(clock::now() - start).count();
    result.cpu_seconds = double(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    return result;
}

}  // namespace hp::train
