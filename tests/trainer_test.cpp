// The training loop: callbacks on scripted validation curves, determinism, splits, a synthetic
// task it must learn, ST's user_config.yaml, and short trainings on ST's public dataset.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>

#include "config/user_config.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/postures.hpp"
#include "eval/metrics.hpp"
#include "model/model_file.hpp"
#include "model/predict.hpp"
#include "model/architectures.hpp"
#include "test_support.hpp"
#include "train/callbacks.hpp"
#include "train/splits.hpp"
#include "train/experiment.hpp"
#include "train/trainer.hpp"

using namespace hp;
using namespace hp::train;

// ---- callbacks on scripted curves ----

TEST(TrainerCallbacks, ReduceLrAfterPatienceEpochsWithoutImprovement)
{
    ReduceLrSettings s;
    s.patience = 3;
    s.factor = 0.1;
    s.min_lr = 1e-4;
    ReduceLrOnPlateau cb(s);
    // val_loss: improves twice, then a plateau (0.85 beats 0.9 by more than min_delta 1e-4;
    // 0.89995 does not)
    std::vector<double> val_loss = {1.0, 0.9, 0.89995, 0.95, 0.9, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85};
    std::vector<float> expected = {0.01f, 0.01f, 0.01f, 0.01f, 0.001f, 0.001f, 0.001f, 0.001f, 0.0001f, 0.0001f,
                                   0.0001f, 0.0001f};
    float lr = 0.01f;
    for (size_t i = 0; i < val_loss.size(); i++) {
        lr = cb.on_epoch_end(val_loss[i], lr);
        EXPECT_FLOAT_EQ(lr, expected[i]) << "after epoch " << i;
    }
}

TEST(TrainerCallbacks, EarlyStoppingCountsEpochsSinceBestAccuracy)
{
    EarlyStoppingSettings s;
    s.patience = 3;
    EarlyStopping cb(s);
    std::vector<double> val_accuracy = {0.5, 0.6, 0.6, 0.55, 0.6, 0.7};
    std::vector<bool> improved = {true, true, false, false, false};
    for (int e = 0; e < 5; e++) {
        bool better = false;
        bool stop = cb.on_epoch_end(e, val_accuracy[size_t(e)], better);
        EXPECT_EQ(better, improved[size_t(e)]) << e;
        EXPECT_EQ(stop, e == 4) << e;  // 3 epochs (2, 3, 4) without beating 0.6
    }
    EXPECT_EQ(cb.best_epoch(), 1);
}

TEST(TrainerCallbacks, UnknownMonitorIsAnError)
{
    EXPECT_THROW(monitor_is_maximized("val_f1"), Error);
    EXPECT_TRUE(monitor_is_maximized("val_accuracy"));
    EXPECT_FALSE(monitor_is_maximized("val_loss"));
}

// ---- a synthetic task: the class is the quadrant holding a near "hand" blob ----

static Dataset quadrant_dataset(size_t n, uint32_t seed, int size = 8)
{
    return hp::test::quadrant_dataset(n, seed, size, 0.3f, 3);
}

static TrainOptions short_recipe(int epochs)
{
    TrainOptions o;
    o.epochs = epochs;
    o.seed = 7;
    o.flip = Flip::none;  // a left-right flip would swap the quadrant classes
    return o;
}

// Fine-tuning with frozen layers moves the last layer alone: weights and batch normalization's
// moving statistics of the others stay bit for bit.
TEST(Trainer, FrozenLayersKeepTheirWeights)
{
    Dataset train = quadrant_dataset(300, 1), val = quadrant_dataset(100, 2);
    TrainOptions o = short_recipe(2);
    o.hidden_layers = hp::st_custom_hidden_layers(0.1f);
    const hp::Model base = train_model(train, val, o).last_model;
    o.frozen_layers = base.layers.size() - 1;
    const hp::Model tuned = train_model(base, train, val, o).last_model;
    for (size_t l = 0; l + 1 < base.layers.size(); l++) EXPECT_EQ(tuned.layers[l], base.layers[l]) << "layer " << l;
    EXPECT_NE(tuned.layers.back().weights, base.layers.back().weights);
    o.frozen_layers = 0;
    const hp::Model all = train_model(base, train, val, o).last_model;
    EXPECT_NE(all.layers[0].weights, base.layers[0].weights);
    EXPECT_NE(all.layers[1].weights[2], base.layers[1].weights[2]);  // moving mean
}

TEST(Trainer, LearnsASyntheticTask)
{
    Dataset train = quadrant_dataset(600, 1), val = quadrant_dataset(200, 2);
    TrainResult r = train_model(train, val, short_recipe(8));
    ASSERT_EQ(r.history.size(), 8u);
    EXPECT_GT(r.history.back().val_accuracy, 0.95);
    EXPECT_LT(r.history.back().loss, r.history.front().loss);
    EXPECT_EQ(r.best_model.class_names, train.class_names);
    // the checkpoint is the first epoch with the best val_accuracy
    double best = 0;
    for (const auto& e : r.history) best = std::max(best, e.val_accuracy);
    EXPECT_EQ(r.history[size_t(r.best_epoch - 1)].val_accuracy, best);
    for (int e = 0; e < r.best_epoch - 1; e++) EXPECT_LT(r.history[size_t(e)].val_accuracy, best);
}

// ST's custom model (batch normalization trained with batch statistics, folded for inference)
// learns the task, and what it learned survives the .h5 round trip and the runtime.
TEST(Trainer, LearnsWithStCustomModel)
{
    Dataset train = quadrant_dataset(600, 1), val = quadrant_dataset(200, 2);
    TrainOptions o = short_recipe(6);
    o.hidden_layers = hp::st_custom_hidden_layers(0.1f);
    TrainResult r = train_model(train, val, o);
    EXPECT_FALSE(hp::as_cnn2d_st(r.best_model).has_value());
    EXPECT_GT(r.history[size_t(r.best_epoch - 1)].val_accuracy, 0.9);
    // the moving statistics moved off their initial 0 and 1
    EXPECT_NE(r.best_model.layers[1].weights[2][0], 0.0f);
    EXPECT_NE(r.best_model.layers[1].weights[3][0], 1.0f);
    hp::test::ScratchDir dir;
    hp::write_keras_h5(dir / "custom.h5", r.best_model);
    const hp::Model back = hp::read_keras_h5(dir / "custom.h5");
    EXPECT_EQ(back, r.best_model);
    EXPECT_EQ(predict_scores(back, val.inputs.data(), val.size()),
              predict_scores(r.best_model, val.inputs.data(), val.size()));
}

TEST(Trainer, LearnsATwoClassTaskWithOneSigmoidOutput)
{
    Dataset train = quadrant_dataset(400, 3, 4), val = quadrant_dataset(100, 4, 4);
    for (Dataset* d : {&train, &val}) {
        d->class_names = output_order({"None", "Like"});
        for (int& l : d->labels) l = l < 2 ? 0 : 1;  // top half vs bottom half
    }
    TrainResult r = train_model(train, val, short_recipe(10));
    EXPECT_EQ(r.best_model.outputs(), 1);
    EXPECT_EQ(r.best_model.input.height, 4);
    EXPECT_GT(r.history[size_t(r.best_epoch - 1)].val_accuracy, 0.95);
}

TEST(Trainer, SameSeedGivesBitIdenticalModelFiles)
{
    Dataset train = quadrant_dataset(300, 5), val = quadrant_dataset(100, 6);
    test::ScratchDir dir;
    TrainResult a = train_model(train, val, short_recipe(4));
    TrainResult b = train_model(train, val, short_recipe(4));
    EXPECT_EQ(a.best_model.layers, b.best_model.layers);
    write_keras_h5(dir / "a.h5", a.best_model);
    write_keras_h5(dir / "b.h5", b.best_model);
    EXPECT_EQ(read_file_bytes(dir / "a.h5"), read_file_bytes(dir / "b.h5"));
    TrainOptions other = short_recipe(4);
    other.seed = 8;
    EXPECT_NE(train_model(train, val, other).best_model.layers, a.best_model.layers);
}

TEST(Trainer, EarlyStoppingEndsTrainingAndKeepsTheBestEpoch)
{
    Dataset train = quadrant_dataset(300, 9), val = quadrant_dataset(100, 10);
    TrainOptions o = short_recipe(200);
    o.early_stopping->patience = 3;
    TrainResult r = train_model(train, val, o);
    EXPECT_TRUE(r.stopped_early);
    EXPECT_LT(r.history.size(), 200u);
    // Keras: stops once patience epochs passed without beating the best val_accuracy
    int last_improvement = 0;
    double best = -1;
    for (const auto& e : r.history)
        if (e.val_accuracy > best) {
            best = e.val_accuracy;
            last_improvement = e.epoch;
        }
    EXPECT_EQ(int(r.history.size()), last_improvement + 3);
    EXPECT_EQ(r.best_epoch, last_improvement);
}

TEST(Trainer, LearningRateDropsAfterValLossPlateau)
{
    Dataset train = quadrant_dataset(200, 11), val = quadrant_dataset(60, 12);
    TrainOptions o = short_recipe(40);
    o.early_stopping.reset();
    o.reduce_lr->patience = 2;
    TrainResult r = train_model(train, val, o);
    // replay the logged val_loss through Keras' rule and compare with the logged lr
    ReduceLrOnPlateau replay(*o.reduce_lr);
    float lr = o.learning_rate;
    bool dropped = false;
    for (const auto& e : r.history) {
        EXPECT_FLOAT_EQ(float(e.lr), lr) << "epoch " << e.epoch;
        lr = replay.on_epoch_end(e.val_loss, lr);
        dropped |= lr < o.learning_rate;
    }
    EXPECT_TRUE(dropped);
}

TEST(Trainer, RejectsEmptyOrMismatchedSets)
{
    Dataset train = quadrant_dataset(50, 13), val = quadrant_dataset(20, 14);
    Dataset empty = val;
    empty.inputs.clear();
    empty.labels.clear();
    empty.file_index.clear();
    empty.frame_index.clear();
    EXPECT_THROW(train_model(train, empty, short_recipe(1)), Error);
    Dataset other = val;
    other.class_names = output_order({"None", "Fist", "Like", "Love"});
    EXPECT_THROW(train_model(train, other, short_recipe(1)), Error);
}

// ---- splits ----

TEST(Splits, RandomSplitIsAPartitionOfTheRightSize)
{
    Split s = random_split(1001, 0.2, 42);
    EXPECT_EQ(s.validation.size(), 201u);  // ceil(0.2 * 1001)
    EXPECT_EQ(s.train.size(), 800u);
    std::set<size_t> all(s.train.begin(), s.train.end());
    all.insert(s.validation.begin(), s.validation.end());
    EXPECT_EQ(all.size(), 1001u);
    EXPECT_EQ(random_split(1001, 0.2, 42).validation, s.validation);
    EXPECT_NE(random_split(1001, 0.2, 43).validation, s.validation);
}

TEST(Splits, GroupSplitKeepsGroupsWhole)
{
    std::vector<std::string> groups;
    for (int g = 0; g < 10; g++)
        for (int k = 0; k < 10 + g; k++) groups.push_back(std::to_string(g).insert(0, 1, 'g'));
    Split s = group_split(groups, 0.25, 1);
    std::set<std::string> val_groups, train_groups;
    for (size_t i : s.validation) val_groups.insert(groups[i]);
    for (size_t i : s.train) train_groups.insert(groups[i]);
    for (const auto& g : val_groups) EXPECT_EQ(train_groups.count(g), 0u) << g;
    EXPECT_EQ(s.train.size() + s.validation.size(), groups.size());
    // as close to 25 % as whole groups allow: within one group's size (at most 19 frames)
    EXPECT_NEAR(double(s.validation.size()), 0.25 * double(groups.size()), 19.0);
    EXPECT_GE(val_groups.size(), 1u);
    EXPECT_FALSE(train_groups.empty());
    EXPECT_THROW(group_split(std::vector<std::string>(5, "one"), 0.2, 1), Error);
}

TEST(Splits, LeaveOneGroupOutFolds)
{
    std::vector<std::string> groups = {"b", "a", "b", "c", "a", "b"};
    auto folds = leave_one_group_out(groups);
    ASSERT_EQ(folds.size(), 3u);
    EXPECT_EQ(folds[0].group, "a");
    EXPECT_EQ(folds[0].held_out, (std::vector<size_t>{1, 4}));
    EXPECT_EQ(folds[0].train, (std::vector<size_t>{0, 2, 3, 5}));
    for (const auto& f : folds) {
        for (size_t i : f.held_out) EXPECT_EQ(groups[i], f.group);
        for (size_t i : f.train) EXPECT_NE(groups[i], f.group);
        EXPECT_EQ(f.held_out.size() + f.train.size(), groups.size());
    }
}

TEST(Splits, SplitByUserUsesTheDatalogUser)
{
    Dataset d = quadrant_dataset(90, 15);
    Split s = split_dataset(d, 0.3, SplitBy::user, 2);
    std::set<std::string> val_users, train_users;
    for (size_t i : s.validation) val_users.insert(d.user(i));
    for (size_t i : s.train) train_users.insert(d.user(i));
    EXPECT_EQ(val_users.size() + train_users.size(), 3u);
    for (const auto& u : val_users) EXPECT_EQ(train_users.count(u), 0u);
}

// ---- user_config.yaml ----

static const char* st_config = R"(
general:
  project_name: handposture
  logs_dir: logs
  saved_models_dir: saved_models
  global_seed: 123
  display_figures: False
operation_mode: training
dataset:
  name: ST_handposture_dataset
  class_names: [None, Like, Dislike, FlatHand, Fist, Love, BreakTime, CrossHands]
  training_path: data/train
  validation_path:
  validation_split: 0.25
  test_path:
preprocessing:
  Max_distance: 400
  Min_distance: 100
  Background_distance: 120
data_augmentation:
  random_flip:
    mode: horizontal_and_vertical
training:
  model:
    name: CNN2D_ST_HandPosture
    version: v1
    input_shape: (8, 8, 2)
  dropout: 0.3
  batch_size: 64
  epochs: 500
  optimizer:
    Adam:
      learning_rate: 0.005
  callbacks:
    ReduceLROnPlateau:
      monitor: val_loss
      factor: 0.5
      patience: 10
      min_lr: 1.0e-05
    EarlyStopping:
      monitor: val_accuracy
      restore_best_weights: true
      patience: 30
deployment:
  hardware_setup:
    serie: STM32F4
    board: NUCLEO-F401RE
hydra:
  run:
    dir: ./experiments_outputs/${now:%Y}
)";

static UserConfig parse(const std::string& text, std::string* warnings = nullptr)
{
    std::ostringstream w;
    UserConfig c = parse_user_config(text, "/cfg/user_config.yaml", w);
    if (warnings) *warnings = w.str();
    return c;
}

TEST(UserConfig, ReadsSTKeys)
{
    std::string warnings;
    UserConfig c = parse(st_config, &warnings);
    EXPECT_EQ(warnings, "");
    EXPECT_EQ(c.global_seed, 123u);
    EXPECT_EQ(c.options.seed, 123u);
    EXPECT_EQ(c.class_names.size(), 8u);
    EXPECT_EQ(c.training_path, std::filesystem::path("/cfg/data/train"));
    EXPECT_TRUE(c.validation_path.empty());
    EXPECT_DOUBLE_EQ(c.validation_split, 0.25);
    EXPECT_EQ(c.options.flip, Flip::horizontal_and_vertical);
    EXPECT_FLOAT_EQ(c.options.dropout, 0.3f);
    EXPECT_EQ(c.options.batch_size, 64);
    EXPECT_EQ(c.options.epochs, 500);
    EXPECT_FLOAT_EQ(c.options.learning_rate, 0.005f);
    ASSERT_TRUE(c.options.reduce_lr && c.options.early_stopping);
    EXPECT_DOUBLE_EQ(c.options.reduce_lr->factor, 0.5);
    EXPECT_EQ(c.options.reduce_lr->patience, 10);
    EXPECT_DOUBLE_EQ(c.options.reduce_lr->min_lr, 1e-5);
    EXPECT_EQ(c.options.early_stopping->patience, 30);
    EXPECT_EQ(c.input_height, 8);
    EXPECT_EQ(c.serie, "STM32F4");
    EXPECT_EQ(c.board, "NUCLEO-F401RE");
    EXPECT_EQ(c.output_dir.find("${"), std::string::npos);
    EXPECT_NE(c.output_dir.find("experiments_outputs/2"), std::string::npos);
}

static std::string replaced(const std::string& from, const std::string& to)
{
    std::string s = st_config;
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
}

static void expect_error_naming(const std::string& text, const std::string& key)
{
    try {
        parse(text);
        ADD_FAILURE() << "no error for " << key;
    } catch (const Error& e) {
        std::string what = e.what();
        EXPECT_NE(what.find("/cfg/user_config.yaml"), std::string::npos) << what;
        EXPECT_NE(what.find(key), std::string::npos) << what;
    }
}

TEST(UserConfig, ErrorsNameTheKey)
{
    expect_error_naming(replaced("batch_size: 64", "batch_size: many"), "training.batch_size");
    expect_error_naming(replaced("batch_size: 64", "batch_size: 0"), "training.batch_size");
    expect_error_naming(replaced("epochs: 500", "epochs: [1, 2]"), "training.epochs");
    expect_error_naming(replaced("dropout: 0.3", "dropout: 1.5"), "training.dropout");
    expect_error_naming(replaced("Adam:", "SGD:"), "training.optimizer");
    expect_error_naming(replaced("[None, Like,", "[None, Lik,"), "dataset.class_names");
    expect_error_naming(replaced("mode: horizontal_and_vertical", "mode: diagonal"), "data_augmentation.random_flip.mode");
    expect_error_naming(replaced("input_shape: (8, 8, 2)", "input_shape: (8, 8, 3)"), "training.model.input_shape");
    for (const char* shape : {"(0, 0, 2)", "(8, 4, 2)", "(6, 6, 2)", "(16, 16, 2)", "(-8, -8, 2)"})
        expect_error_naming(replaced("input_shape: (8, 8, 2)", std::string("input_shape: ") + shape),
                            "training.model.input_shape");
    expect_error_naming(replaced("name: CNN2D_ST_HandPosture", "name: MobileNet"), "training.model.name");
    expect_error_naming(replaced("monitor: val_loss", "monitor: val_auc"), "training.callbacks.ReduceLROnPlateau.monitor");
    expect_error_naming(replaced("operation_mode: training", "operation_mode: dancing"), "operation_mode");
    expect_error_naming(replaced("global_seed: 123", "global_seed: -1"), "general.global_seed");
    expect_error_naming(replaced("validation_split: 0.25", "validation_split: 1"), "dataset.validation_split");
    expect_error_naming(replaced("Max_distance: 400", "Max_distance: 50"), "preprocessing.Max_distance");
    expect_error_naming("general: [1, 2]\n", "general");
    expect_error_naming("{{{", "not valid YAML");
}

// training.model.name: custom is ST's custom_model.py; a layers list is a network of its own.
TEST(UserConfig, CustomModelAndLayerLists)
{
    UserConfig c = parse(replaced("name: CNN2D_ST_HandPosture", "name: custom"));
    EXPECT_EQ(c.options.hidden_layers, hp::st_custom_hidden_layers(0.3f));  // training.dropout: 0.3
    const std::string layers = R"(name: custom
    layers:
      - Conv2D: {filters: 4, kernel_size: 5, padding: same, use_bias: false}
      - BatchNormalization: {momentum: 0.9}
      - ReLU
      - MaxPooling2D
      - Dropout: 0.1
      - Conv2D: {filters: 6, kernel_size: 1, activation: relu}
      - Flatten
      - Dense: {units: 12, activation: relu})";
    c = parse(replaced("name: CNN2D_ST_HandPosture", layers));
    ASSERT_EQ(c.options.hidden_layers.size(), 8u);
    const hp::Layer& conv = c.options.hidden_layers[0];
    EXPECT_EQ(conv.kind, hp::LayerKind::conv2d);
    EXPECT_EQ(conv.units, 4);
    EXPECT_EQ(conv.kernel_size, 5);
    EXPECT_TRUE(conv.same_padding);
    EXPECT_FALSE(conv.use_bias);
    EXPECT_FLOAT_EQ(c.options.hidden_layers[1].momentum, 0.9f);
    EXPECT_FLOAT_EQ(c.options.hidden_layers[4].rate, 0.1f);
    EXPECT_EQ(c.options.hidden_layers[5].activation, hp::Activation::relu);
    EXPECT_EQ(c.options.hidden_layers[7].units, 12);

    const std::string head = "name: custom\n    layers:\n";
    expect_error_naming(replaced("name: CNN2D_ST_HandPosture", head + "      - LSTM: {units: 3}"), "unknown layer 'LSTM'");
    expect_error_naming(replaced("name: CNN2D_ST_HandPosture", head + "      - Conv2D: {filters: 4, kernel_size: 7}"),
                        "kernel_size 7 unsupported");
    expect_error_naming(replaced("name: CNN2D_ST_HandPosture", head + "      - Dense: {units: 4}"), "a Flatten must come first");
    expect_error_naming(replaced("name: CNN2D_ST_HandPosture", head + "      - Conv2D: {filter: 4}"),
                        "training.model.layers[0].Conv2D.filter");
    expect_error_naming(replaced("name: CNN2D_ST_HandPosture", head + "      - Dense: {units: 4, activation: softmax}"),
                        "activation");
    expect_error_naming(replaced("name: CNN2D_ST_HandPosture", "name: MobileNet\n    layers: [Flatten]"),
                        "training.model.name");
}

TEST(UserConfig, UnknownKeysWarn)
{
    std::string warnings;
    UserConfig c = parse(replaced("  batch_size: 64", "  batch_size: 64\n  batch_sise: 12"), &warnings);
    EXPECT_NE(warnings.find("training.batch_sise"), std::string::npos) << warnings;
    EXPECT_NE(warnings.find("unknown key"), std::string::npos) << warnings;
    EXPECT_EQ(c.options.batch_size, 64);
    parse(replaced("    EarlyStopping:", "    TensorBoard:\n      log_dir: x\n    EarlyStopping:"), &warnings);
    EXPECT_NE(warnings.find("training.callbacks.TensorBoard"), std::string::npos) << warnings;
}

TEST(UserConfig, MissingPathsNameTheKey)
{
    test::ScratchDir dir;
    write_text_atomically(dir / "user_config.yaml", st_config);
    std::ostringstream warnings;
    try {
        load_user_config(dir / "user_config.yaml", warnings);
        ADD_FAILURE() << "no error for a missing training_path";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("dataset.training_path"), std::string::npos) << e.what();
    }
    std::string no_path = replaced("  training_path: data/train\n", "");
    write_text_atomically(dir / "user_config.yaml", no_path);
    EXPECT_THROW(load_user_config(dir / "user_config.yaml", warnings), Error);
    std::filesystem::create_directories(dir / "data/train");
    write_text_atomically(dir / "user_config.yaml", st_config);
    EXPECT_NO_THROW(load_user_config(dir / "user_config.yaml", warnings));
}

TEST(UserConfig, DefaultsAreSTRecipe)
{
    UserConfig c = parse("operation_mode: training\n");
    EXPECT_EQ(c.options.batch_size, 32);
    EXPECT_EQ(c.options.epochs, 1000);
    EXPECT_FLOAT_EQ(c.options.learning_rate, 0.01f);
    EXPECT_FLOAT_EQ(c.options.dropout, 0.2f);
    EXPECT_EQ(c.global_seed, 42u);
    EXPECT_DOUBLE_EQ(c.validation_split, 0.2);
    EXPECT_FLOAT_EQ(c.preprocess.max_distance, 400.0f);
}

// Our keys give the cross-user recipe; ST's config, without them, ST's recipe.
TEST(UserConfig, CrossUserKeysGiveTheCrossUserRecipe)
{
    const auto config_of = [](const char* name) {
        std::ostringstream warnings;
        const auto path = std::filesystem::path(HP_SOURCE_DIR) / "configs" / name;
        UserConfig c = parse_user_config(test::read_text(path), path, warnings);
        EXPECT_EQ(warnings.str(), "") << name;
        return c;
    };
    TrainOptions want = config_of("st_8classes_vl53l8cx.yaml").options;
    hp_preprocess_config want_pre = config_of("st_8classes_vl53l8cx.yaml").preprocess;
    EXPECT_FALSE(want.augment.any());
    EXPECT_EQ(want_pre.distance_mode, HP_DISTANCE_ABSOLUTE);
    EXPECT_EQ(want.conv_filters, 8);
    apply_recipe(Recipe::cross_user, want, want_pre);
    const UserConfig cross = config_of("cross_user_8classes_vl53l8cx.yaml");
    EXPECT_EQ(cross.preprocess.distance_mode, HP_DISTANCE_RELATIVE);
    EXPECT_EQ(cross.options.conv_filters, want.conv_filters);
    const Augmentation& a = cross.options.augment;
    const Augmentation& b = want.augment;
    EXPECT_EQ(std::tie(a.distance_offset_mm, a.depth_scale, a.reflectance_gain, a.zone_shift, a.zone_dropout,
                       a.distance_noise_mm, a.signal_noise),
              std::tie(b.distance_offset_mm, b.depth_scale, b.reflectance_gain, b.zone_shift, b.zone_dropout,
                       b.distance_noise_mm, b.signal_noise));
    EXPECT_THROW(parse("data_augmentation:\n  zone_dropout: 1.5\n"), Error);
    EXPECT_THROW(parse("preprocessing:\n  distance_mode: logarithmic\n"), Error);
}

// ---- ST's public dataset ----

TEST(TrainerPublic, ThirtyEpochsOfSTRecipeReach95PercentValidation)
{
    HP_REQUIRE_SHARED();
    Dataset all = load_dataset(test::public_dataset_zip(), {});
    Split split = random_split(all.size(), 0.2, 42);
    TrainOptions o;
    o.epochs = 30;
    o.early_stopping.reset();
    TrainResult r = train_model(all.subset(split.train), all.subset(split.validation), o);
    ASSERT_EQ(r.history.size(), 30u);
    EXPECT_GT(r.history[size_t(r.best_epoch - 1)].val_accuracy, 0.95);
}

TEST(TrainerPublic, TrainCommandWritesSTOutputsThatAgreeWithTheModel)
{
    HP_REQUIRE_SHARED();
    test::ScratchDir dir;
    auto result = test::run_cli("train --data " + test::public_dataset_zip().string() + " --out " +
                                (dir / "run").string() + " --recipe st --epochs 3 --seed 5 --quiet --test " +
                                test::public_dataset_zip().string());
    ASSERT_EQ(result.exit_code, 0) << result.output;
    for (const char* f : {"saved_models/best_model.h5", "logs/metrics/train_metrics.csv", "run.json",
                          "training_curves_loss.png", "training_curves_accuracy.png", "confusion_matrix_validation.png",
                          "confusion_matrix_test.png"})
        EXPECT_TRUE(std::filesystem::exists(dir / "run" / f)) << f;
    std::vector<unsigned char> csv = read_file_bytes(dir / "run/logs/metrics/train_metrics.csv");
    std::string text(csv.begin(), csv.end());
    EXPECT_EQ(text.rfind("epoch,loss,accuracy,val_loss,val_accuracy,lr\n0,", 0), 0u) << text;
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4);
    std::vector<unsigned char> json_bytes = read_file_bytes(dir / "run/run.json");
    auto run = nlohmann::json::parse(json_bytes.begin(), json_bytes.end());
    EXPECT_EQ(run["training"]["epochs_run"], 3);
    EXPECT_EQ(run["data"]["training"]["frames"].get<size_t>() + run["data"]["validation"]["frames"].get<size_t>(), 11443u);
    // the saved model scores the same validation frames (same seed, same split) as reported
    Model model = read_keras_h5(dir / "run/saved_models/best_model.h5");
    EXPECT_EQ(model.class_names, st_default_classes());
    Dataset all = load_dataset(test::public_dataset_zip(), {});
    Dataset val = all.subset(random_split(all.size(), 0.2, 5).validation);
    std::vector<float> scores = predict_scores(model, val.inputs.data(), val.size(), 1);
    Metrics m = compute_metrics(scores, model.outputs(), val.labels, val.class_names);
    EXPECT_DOUBLE_EQ(m.accuracy, run["validation"]["accuracy"].get<double>());
    EXPECT_EQ(m.frames, long(val.size()));
}

TEST(TrainerPublic, RunCommandReadsSTConfigAndCrossvalReportsEveryUser)
{
    HP_REQUIRE_SHARED();
    test::ScratchDir dir;
    std::string config = replaced("epochs: 500", "epochs: 2");
    config = config.substr(0, config.find("hydra:"));
    config.replace(config.find("training_path: data/train"), std::string("training_path: data/train").size(),
                   "training_path: " + test::public_dataset_zip().string());
    write_text_atomically(dir / "user_config.yaml", config);
    auto run = test::run_cli("run " + (dir / "user_config.yaml").string() + " --out " + (dir / "out").string());
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("Epoch 2/2"), std::string::npos) << run.output;
    EXPECT_TRUE(std::filesystem::exists(dir / "out/saved_models/best_model.h5"));

    auto cv = test::run_cli("crossval --data " + test::public_dataset_zip().string() +
                            " --split-by user --epochs 2 --quiet --json " + (dir / "cv.json").string());
    ASSERT_EQ(cv.exit_code, 0) << cv.output;
    std::vector<unsigned char> bytes = read_file_bytes(dir / "cv.json");
    auto json = nlohmann::json::parse(bytes.begin(), bytes.end());
    ASSERT_EQ(json["folds"].size(), 4u);
    size_t held = 0;
    for (int u = 0; u < 4; u++) {
        EXPECT_EQ(json["folds"][size_t(u)]["group"], "User" + std::to_string(u + 1));
        held += json["folds"][size_t(u)]["held_out_frames"].get<size_t>();
    }
    EXPECT_EQ(held, 11443u);
}

TEST(TrainerPublic, CommandErrorsNameTheProblem)
{
    test::ScratchDir dir;
    auto missing = test::run_cli("run " + (dir / "nope.yaml").string());
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.output.find("nope.yaml"), std::string::npos) << missing.output;
    write_text_atomically(dir / "bad.yaml", replaced("batch_size: 64", "batch_size: lots"));
    auto bad = test::run_cli("run " + (dir / "bad.yaml").string());
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.output.find("training.batch_size"), std::string::npos) << bad.output;
    write_text_atomically(dir / "deploy.yaml", "operation_mode: deployment\n");
    auto deploy = test::run_cli("run " + (dir / "deploy.yaml").string());
    EXPECT_EQ(deploy.exit_code, 1);
    EXPECT_NE(deploy.output.find("general.model_path"), std::string::npos) << deploy.output;
    auto flip = test::run_cli("train --data " + (dir / "none").string() + " --flip sideways");
    EXPECT_EQ(flip.exit_code, 1);
    EXPECT_NE(flip.output.find("--flip"), std::string::npos) << flip.output;
}

TEST(TrainerPublic, RunEvaluationModeScoresSTPretrainedModel)
{
    HP_REQUIRE_SHARED();
    test::ScratchDir dir;
    write_text_atomically(dir / "eval.yaml", "general:\n  model_path: " + test::st_pretrained_h5().string() +
                                                 "\noperation_mode: evaluation\ndataset:\n  test_path: " +
                                                 test::public_dataset_zip().string() + "\n");
    auto run = test::run_cli("run " + (dir / "eval.yaml").string() + " --out " + (dir / "out").string());
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_TRUE(std::filesystem::exists(dir / "out/confusion_matrix_test.png"));
    std::vector<unsigned char> bytes = read_file_bytes(dir / "out/evaluation_test.json");
    auto json = nlohmann::json::parse(bytes.begin(), bytes.end());
    // SPEC §10: ST's pretrained model scores 98.96 % on all 11,443 kept public frames
    EXPECT_EQ(json["metrics"]["frames"], 11443);
    EXPECT_NEAR(json["metrics"]["accuracy"].get<double>(), 0.9896, 0.00005);
}

// `train` and `crossval` take their defaults from the library's structs (the help shows them),
// not from numbers of their own; a config without the keys gets the same.
TEST(TrainCli, FlagDefaultsAreTheLibrarys)
{
    const hp::train::TrainOptions o;
    const hp::train::ExperimentSettings s;
    const auto number = [](double v) {
        std::ostringstream out;
        out << v;
        return out.str();
    };
    for (const char* command : {"train", "crossval"}) {
        const auto help = hp::test::run_cli(std::string(command) + " --help");
        ASSERT_EQ(help.exit_code, 0) << help.output;
        for (const std::string& shown :
             {"--epochs INT:POSITIVE=" + std::to_string(o.epochs), "--batch-size INT:POSITIVE=" + std::to_string(o.batch_size),
              "--lr FLOAT:POSITIVE=" + number(o.learning_rate), "=" + number(o.dropout) + "\n",
              "--flip TEXT=" + hp::train::flip_name(o.flip), "--seed UINT=" + std::to_string(o.seed),
              "--patience INT:NONNEGATIVE=" + std::to_string(o.early_stopping->patience),
              "--lr-patience INT:NONNEGATIVE=" + std::to_string(o.reduce_lr->patience),
              "=" + number(s.validation_split) + "\n"})
            EXPECT_NE(help.output.find(shown), std::string::npos) << command << ": " << shown << "\n" << help.output;
    }
    std::ostringstream warnings;
    const hp::UserConfig c = hp::parse_user_config("operation_mode: training\n", "c.yaml", warnings);
    EXPECT_EQ(c.global_seed, o.seed);
    EXPECT_EQ(c.validation_split, s.validation_split);
}
