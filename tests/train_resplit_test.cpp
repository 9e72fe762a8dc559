// The resplit-each-epoch mode (ST's loader): the per-epoch split, that the trainer validates on
// it, determinism, the leak it causes, and the errors for combinations that make no sense.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "config/user_config.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/postures.hpp"
#include "eval/metrics.hpp"
#include "model/model_file.hpp"
#include "model/predict.hpp"
#include "test_support.hpp"
#include "train/init.hpp"
#include "train/splits.hpp"
#include "train/trainer.hpp"

using namespace hp;
using namespace hp::train;

static size_t common(std::vector<size_t> a, std::vector<size_t> b)
{
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    std::vector<size_t> both;
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
    return both.size();
}

static bool distinct_and_below(const std::vector<size_t>& v, size_t n)
{
    std::set<size_t> s(v.begin(), v.end());
    return s.size() == v.size() && (v.empty() || *s.rbegin() < n);
}

TEST(TrainResplit, SizesAreThoseOfSTTakeAndSkip)
{
    // ST: take(int((1 - 0.2) * N)) for training, skip the same count for validation
    for (size_t n : {size_t(10), size_t(1000), size_t(11443)}) {
        Split s = resplit_for_epoch(n, 0.2, 42, 0);
        const size_t n_train = size_t((1 - 0.2) * double(n));
        EXPECT_EQ(s.train.size(), n_train) << n;
        EXPECT_EQ(s.validation.size(), n - n_train) << n;
        EXPECT_TRUE(distinct_and_below(s.train, n));
        EXPECT_TRUE(distinct_and_below(s.validation, n));
        EXPECT_TRUE(std::is_sorted(s.validation.begin(), s.validation.end()));
    }
    EXPECT_EQ(resplit_for_epoch(11443, 0.2, 42, 3).train.size(), 9154u);  // the honest split's size too
    EXPECT_EQ(resplit_for_epoch(100, 0.25, 1, 0).validation.size(), 25u);
    EXPECT_THROW(resplit_for_epoch(100, 0.0, 1, 0), Error);
    EXPECT_THROW(resplit_for_epoch(100, 1.0, 1, 0), Error);
    EXPECT_THROW(resplit_for_epoch(1, 0.2, 1, 0), Error);  // floor(0.8) = 0 training frames
}

TEST(TrainResplit, SplitChangesEveryEpochAndDependsOnlyOnSeedAndEpoch)
{
    const size_t n = 1000;
    Split e0 = resplit_for_epoch(n, 0.2, 42, 0), e1 = resplit_for_epoch(n, 0.2, 42, 1);
    EXPECT_NE(e0.validation, e1.validation);
    EXPECT_NE(e0.train, e1.train);
    EXPECT_LT(common(e0.validation, e1.validation), 100u);  // ~40 expected by chance, 200 if unchanged
    Split again = resplit_for_epoch(n, 0.2, 42, 1);
    EXPECT_EQ(again.train, e1.train);
    EXPECT_EQ(again.validation, e1.validation);
    EXPECT_NE(resplit_for_epoch(n, 0.2, 43, 1).validation, e1.validation);
    // training frames come in permutation order, not sorted (they are the feeding order)
    EXPECT_FALSE(std::is_sorted(e0.train.begin(), e0.train.end()));
}

TEST(TrainResplit, ValidationFramesAreAlsoTrainingFrames)
{
    const size_t n = 1000;
    Split e0 = resplit_for_epoch(n, 0.2, 42, 0), e1 = resplit_for_epoch(n, 0.2, 42, 1);
    // independent permutations: within one epoch about 80 % of the validation frames are trained on
    const size_t same_epoch = common(e0.train, e0.validation);
    EXPECT_GT(same_epoch, 120u);
    EXPECT_LT(same_epoch, 200u);
    // over two epochs nearly every validation frame of epoch 1 was a training frame
    std::vector<size_t> trained = e0.train;
    trained.insert(trained.end(), e1.train.begin(), e1.train.end());
    std::sort(trained.begin(), trained.end());
    trained.erase(std::unique(trained.begin(), trained.end()), trained.end());
    EXPECT_GT(common(trained, e1.validation), 180u);  // 96 % expected
    // and an honest split never does that
    Split honest = random_split(n, 0.2, 42);
    EXPECT_EQ(common(honest.train, honest.validation), 0u);
}

// ---- the trainer in this mode ----

static Dataset quadrant_dataset(size_t n, uint32_t seed) { return hp::test::quadrant_dataset(n, seed, 8, 0.6f, 1); }

static TrainOptions short_recipe(int epochs)
{
    TrainOptions o;
    o.epochs = epochs;
    o.seed = 11;
    o.flip = Flip::none;
    o.early_stopping.reset();
    return o;
}

TEST(TrainResplit, CheckpointIsScoredOnThatEpochsValidationFrames)
{
    Dataset data = quadrant_dataset(400, 21);
    TrainResult r = train_model_resplit(data, 0.2, short_recipe(6));
    ASSERT_EQ(r.history.size(), 6u);
    // the best model scored independently on the validation frames of its epoch gives the
    // logged val_loss and val_accuracy exactly
    Dataset val = data.subset(resplit_for_epoch(data.size(), 0.2, 11, r.best_epoch - 1).validation);
    std::vector<float> scores = predict_scores(r.best_model, val.inputs.data(), val.size(), 1);
    Metrics m = compute_metrics(scores, r.best_model.outputs(), val.labels, val.class_names);
    EXPECT_EQ(m.loss, r.history[size_t(r.best_epoch - 1)].val_loss);
    EXPECT_EQ(m.accuracy, r.history[size_t(r.best_epoch - 1)].val_accuracy);
    // and on another epoch's validation frames it gives another loss
    Dataset other = data.subset(resplit_for_epoch(data.size(), 0.2, 11, r.best_epoch).validation);
    std::vector<float> other_scores = predict_scores(r.best_model, other.inputs.data(), other.size(), 1);
    EXPECT_NE(compute_metrics(other_scores, 4, other.labels, other.class_names).loss, m.loss);
    EXPECT_GT(r.history.back().accuracy, 0.9);  // it learns
}

TEST(TrainResplit, CallbacksRunOnThePerEpochValidation)
{
    Dataset data = quadrant_dataset(300, 22);
    TrainOptions o = short_recipe(30);
    o.reduce_lr->patience = 2;
    o.early_stopping = EarlyStoppingSettings{};
    o.early_stopping->patience = 4;
    TrainResult r = train_model_resplit(data, 0.2, o);
    // replay Keras' rules over the logged per-epoch validation
    ReduceLrOnPlateau lr_replay(*o.reduce_lr);
    EarlyStopping stop_replay(*o.early_stopping);
    float lr = o.learning_rate;
    bool stop = false;
    size_t epochs = 0;
    for (const auto& e : r.history) {
        EXPECT_FLOAT_EQ(float(e.lr), lr) << "epoch " << e.epoch;
        lr = lr_replay.on_epoch_end(e.val_loss, lr);
        bool improved = false;
        stop = stop_replay.on_epoch_end(e.epoch - 1, e.val_accuracy, improved);
        epochs++;
        if (stop) break;
    }
    EXPECT_EQ(epochs, r.history.size());
    EXPECT_EQ(stop, r.stopped_early);
    double best = -1;
    int best_epoch = 0;
    for (const auto& e : r.history)
        if (e.val_accuracy > best) best = e.val_accuracy, best_epoch = e.epoch;
    EXPECT_EQ(r.best_epoch, best_epoch);
}

// The saved weights, compared bit for bit. (The .h5 files themselves also hold HDF5's object
// times, in seconds, so two files written a second apart differ in those bytes.)
static bool same_bits(const Model& a, const Model& b)
{
    auto bits = [](const Model& m) {
        std::string s;
        for (const auto* v : m.trainable_tensors()) s.append(reinterpret_cast<const char*>(v->data()), v->size() * sizeof(float));
        return s;
    };
    return bits(a) == bits(b);
}

TEST(TrainResplit, SameSeedGivesBitIdenticalSavedWeights)
{
    Dataset data = quadrant_dataset(300, 23);
    test::ScratchDir dir;
    TrainResult a = train_model_resplit(data, 0.2, short_recipe(4));
    TrainResult b = train_model_resplit(data, 0.2, short_recipe(4));
    write_keras_h5(dir / "a.h5", a.best_model);
    write_keras_h5(dir / "b.h5", b.best_model);
    EXPECT_TRUE(same_bits(read_keras_h5(dir / "a.h5"), read_keras_h5(dir / "b.h5")));
    TrainOptions other = short_recipe(4);
    other.seed = 12;
    EXPECT_NE(train_model_resplit(data, 0.2, other).best_model.layers, a.best_model.layers);
    // and not the same run as the fixed split's
    Split fixed = random_split(data.size(), 0.2, 11);
    EXPECT_NE(train_model(data.subset(fixed.train), data.subset(fixed.validation), short_recipe(4)).best_model.layers,
              a.best_model.layers);
}

// ---- user_config.yaml and the CLI ----

static void expect_config_error(const std::string& yaml, const std::string& needle)
{
    std::ostringstream warnings;
    try {
        parse_user_config(yaml, "/cfg/user_config.yaml", warnings);
        ADD_FAILURE() << "no error for:\n" << yaml;
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("user_config.yaml"), std::string::npos) << e.what();
    }
}

TEST(TrainResplit, ConfigKeyIsReadAndRefusedWithFixedValidation)
{
    std::ostringstream warnings;
    UserConfig on = parse_user_config("dataset:\n  validation_split: 0.2\n  resplit_each_epoch: true\n", "u.yaml", warnings);
    EXPECT_TRUE(on.resplit_each_epoch);
    EXPECT_EQ(warnings.str(), "");  // a known key
    EXPECT_FALSE(parse_user_config("dataset:\n  validation_split: 0.2\n", "u.yaml", warnings).resplit_each_epoch);
    EXPECT_FALSE(parse_user_config("dataset:\n  resplit_each_epoch: false\n  split_by: user\n", "u.yaml", warnings)
                     .resplit_each_epoch);
    expect_config_error("dataset:\n  resplit_each_epoch: sometimes\n", "dataset.resplit_each_epoch");
    expect_config_error("dataset:\n  resplit_each_epoch: true\n  validation_path: val\n", "dataset.resplit_each_epoch");
    expect_config_error("dataset:\n  resplit_each_epoch: true\n  split_by: user\n", "dataset.resplit_each_epoch");
    expect_config_error("dataset:\n  split_by: recording\n  resplit_each_epoch: true\n", "dataset.resplit_each_epoch");
}

TEST(TrainResplit, CommandRefusesFixedValidation)
{
    test::ScratchDir dir;
    // refused before any data is read (the data folder does not exist)
    auto with_dir = test::run_cli("train --data " + (dir / "none").string() + " --resplit-each-epoch --validation " +
                                  (dir / "val").string() + " --out " + (dir / "out").string());
    EXPECT_EQ(with_dir.exit_code, 2);  // a usage error
    EXPECT_NE(with_dir.output.find("--resplit-each-epoch"), std::string::npos) << with_dir.output;
    EXPECT_NE(with_dir.output.find("--validation"), std::string::npos) << with_dir.output;
    auto by_user = test::run_cli("train --data " + (dir / "none").string() +
                                 " --resplit-each-epoch --split-by user --out " + (dir / "out").string());
    EXPECT_EQ(by_user.exit_code, 2);
    EXPECT_NE(by_user.output.find("--resplit-each-epoch"), std::string::npos) << by_user.output;
    EXPECT_NE(by_user.output.find("--split-by"), std::string::npos) << by_user.output;
    write_text_atomically(dir / "u.yaml", "dataset:\n  training_path: .\n  validation_path: .\n  resplit_each_epoch: true\n");
    auto yaml = test::run_cli("run " + (dir / "u.yaml").string() + " --out " + (dir / "out").string());
    EXPECT_EQ(yaml.exit_code, 1);
    EXPECT_NE(yaml.output.find("dataset.resplit_each_epoch"), std::string::npos) << yaml.output;
    EXPECT_FALSE(std::filesystem::exists(dir / "out"));
}

static nlohmann::json read_json(const std::filesystem::path& file)
{
    auto bytes = read_file_bytes(file);
    return nlohmann::json::parse(std::string(bytes.begin(), bytes.end()));
}

TEST(TrainResplitPublic, RunJsonRecordsTheModeAndTheOutputSaysItIsNotHeldOut)
{
    HP_REQUIRE_SHARED();
    test::ScratchDir dir;
    auto run = test::run_cli("train --data " + test::public_dataset_zip().string() +
                             " --resplit-each-epoch --epochs 3 --seed 5 --out " + (dir / "a").string());
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("NOT a held-out figure"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("training frames: 9154, validation frames: 2289"), std::string::npos) << run.output;
    nlohmann::json j = read_json(dir / "a/run.json");
    EXPECT_EQ(j["settings"]["resplit_each_epoch"], true);
    EXPECT_EQ(j["validation"]["held_out"], false);
    EXPECT_EQ(j["data"]["training"]["frames"], 11443);
    EXPECT_EQ(j["data"]["training"]["frames_per_epoch"], 9154);
    EXPECT_EQ(j["data"]["validation"]["frames"], 2289);
    // the reported validation accuracy is the best epoch's, as logged in train_metrics.csv
    const int best = j["training"]["best_epoch"];
    auto csv_bytes = read_file_bytes(dir / "a/logs/metrics/train_metrics.csv");
    std::istringstream csv(std::string(csv_bytes.begin(), csv_bytes.end()));
    std::string line;
    for (int i = 0; i <= best; i++) std::getline(csv, line);  // header, then epochs 1..best
    const double logged = std::stod(line.substr(line.rfind(',', line.rfind(',') - 1) + 1));
    EXPECT_NEAR(double(j["validation"]["accuracy"]), logged, 1e-8) << line;
    auto again = test::run_cli("train --data " + test::public_dataset_zip().string() +
                               " --resplit-each-epoch --epochs 3 --seed 5 --quiet --out " + (dir / "b").string());
    ASSERT_EQ(again.exit_code, 0) << again.output;
    EXPECT_TRUE(same_bits(read_keras_h5(dir / "a/saved_models/best_model.h5"),
                          read_keras_h5(dir / "b/saved_models/best_model.h5")));
    // the same from user_config.yaml
    write_text_atomically(dir / "u.yaml", "dataset:\n  training_path: " + test::public_dataset_zip().string() +
                                              "\n  resplit_each_epoch: true\ntraining:\n  epochs: 2\n");
    auto yaml = test::run_cli("run " + (dir / "u.yaml").string() + " --quiet --out " + (dir / "y").string());
    ASSERT_EQ(yaml.exit_code, 0) << yaml.output;
    EXPECT_NE(yaml.output.find("NOT a held-out figure"), std::string::npos) << yaml.output;
    EXPECT_EQ(read_json(dir / "y/run.json")["settings"]["resplit_each_epoch"], true);
    // the default stays the honest split
    auto honest = test::run_cli("train --data " + test::public_dataset_zip().string() +
                                " --epochs 1 --quiet --out " + (dir / "c").string());
    ASSERT_EQ(honest.exit_code, 0) << honest.output;
    nlohmann::json h = read_json(dir / "c/run.json");
    EXPECT_EQ(h["settings"]["resplit_each_epoch"], false);
    EXPECT_EQ(h["validation"]["held_out"], true);
}
