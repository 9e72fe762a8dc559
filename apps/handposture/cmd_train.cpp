// `handposture train` (ST's training recipe from flags), `handposture run user_config.yaml`
// (ST's configuration file), `handposture crossval` (leave-one-user/recording-out accuracy).
#include <map>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "model/architectures.hpp"
#include "usage.hpp"
#include "config/user_config.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/postures.hpp"
#include "quant/model_any.hpp"
#include "quant/quant_crossval.hpp"
#include "train/calibrate.hpp"
#include "train/calibration_study.hpp"
#include "train/experiment.hpp"

namespace hp::cli {

namespace {

namespace fs = std::filesystem;

std::string timestamp()
{
    std::time_t t = std::time(nullptr);
    std::tm local{};
    localtime_r(&t, &local);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y_%m_%d_%H_%M_%S", &local);
    return buffer;
}

// What `train` and `crossval` share: the recipe's settings as flags. Their defaults are the
// library's (TrainOptions, ExperimentSettings), not restated here.
struct RecipeArgs {
    std::string data, split_by;
    std::vector<std::string> classes;
    train::TrainOptions options;
    std::string flip = train::flip_name(train::TrainOptions{}.flip);
    std::string recipe = "cross-user";
    std::string network = "CNN2D_ST_HandPosture";
    double validation_split = train::ExperimentSettings{}.validation_split;
    bool no_early_stopping = false, quiet = false;
};

void add_recipe_options(CLI::App* cmd, RecipeArgs& a)
{
    train::TrainOptions& o = a.options;
    cmd->add_option("--data", a.data, "Dataset folder or ST's .zip (default: the public dataset beside the repo)");
    cmd->add_option("--classes", a.classes, "Classes to keep (default: ST's 8)")->delimiter(',');
    cmd->add_option("--epochs", o.epochs, "Maximum number of epochs")->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("--batch-size", o.batch_size, "Batch size")->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("--lr", o.learning_rate, "Adam learning rate")->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("--dropout", o.dropout, "Dropout rate")->check(CLI::Range(0.0, 0.99))->capture_default_str();
    cmd->add_option("--flip", a.flip, "Random flip: horizontal, vertical, horizontal_and_vertical or none")
        ->capture_default_str();
    cmd->add_option("--seed", o.seed, "Seed of initial weights, shuffling, augmentation and splits")->capture_default_str();
    cmd->add_option("--validation-split", a.validation_split, "Fraction of the training data used for validation")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    cmd->add_option("--patience", o.early_stopping->patience, "EarlyStopping patience (epochs without a better val_accuracy)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd->add_option("--lr-patience", o.reduce_lr->patience, "ReduceLROnPlateau patience (epochs without a better val_loss)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd->add_option("--recipe", a.recipe,
                    "cross-user (augmentations, relative distances, 16 conv filters) or st (ST's model zoo's, exactly)")
        ->capture_default_str();
    cmd->add_option("--network", a.network,
                    "CNN2D_ST_HandPosture or custom (ST's custom_model.py); any other: training.model.layers in a "
                    "user_config.yaml (handposture run)")
        ->capture_default_str();
    cmd->add_flag("--no-early-stopping", a.no_early_stopping, "Run all --epochs");
    cmd->add_flag("--quiet", a.quiet, "No per-epoch lines");
}

fs::path data_path(const RecipeArgs& a) { return a.data.empty() ? default_dataset_path() : fs::path(a.data); }

// The flags' options with the recipe's choices; the recipe's distance mode goes to `preprocess`.
train::TrainOptions recipe_options(const RecipeArgs& a, hp_preprocess_config& preprocess)
{
    train::TrainOptions o = a.options;
    train::apply_recipe(train::parse_recipe(a.recipe, "--recipe"), o, preprocess);
    o.flip = train::parse_flip(a.flip, "--flip");
    if (a.no_early_stopping) o.early_stopping.reset();
    if (a.network != "CNN2D_ST_HandPosture")
        o.hidden_layers = named_hidden_layers(a.network, o.conv_filters, o.dense_units, o.dropout, "--network");
    return o;
}

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

struct TrainArgs {
    RecipeArgs recipe;
    std::string out, validation, test;
    bool resplit_each_epoch = false;
};

void run_train(const TrainArgs& a)
{
    train::ExperimentSettings s;
    s.data = data_path(a.recipe);
    s.validation = a.validation;
    s.test = a.test;
    s.dataset.classes = a.recipe.classes;
    s.validation_split = a.recipe.validation_split;
    s.split_by = train::parse_split_by(a.recipe.split_by, "--split-by");
    s.resplit_each_epoch = a.resplit_each_epoch;
    if (a.resplit_each_epoch && !a.validation.empty())
        throw UsageError("--resplit-each-epoch needs a random --validation-split, not --validation");
    if (a.resplit_each_epoch && s.split_by != train::SplitBy::frame)
        throw UsageError("--resplit-each-epoch needs a random --validation-split of frames, not --split-by " +
                         a.recipe.split_by);
    s.options = recipe_options(a.recipe, s.dataset.preprocess);
    s.out = a.out.empty() ? fs::path("experiments_outputs") / timestamp() : fs::path(a.out);
    s.progress_bar = stderr_is_terminal() && !a.recipe.quiet;
    s.quiet = a.recipe.quiet;
    train::run_training(s, std::cerr);
}

fs::path output_dir(const UserConfig& c, const std::string& out)
{
    if (!out.empty()) return out;
    if (!c.output_dir.empty()) return c.output_dir;
    return fs::path("experiments_outputs") / timestamp();
}

// The deploy target of an STM32 series (deployment.hardware_setup.serie), as ST's configs name them.
std::string target_of_serie(const std::string& serie)
{
    static const std::map<std::string, std::string> targets = {
        {"STM32F4", "cortex-m4"}, {"STM32L4", "cortex-m4"},     {"STM32G4", "cortex-m4"},
        {"STM32F3", "cortex-m4"}, {"STM32WB", "cortex-m4"},     {"STM32F7", "cortex-m7"},
        {"STM32H7", "cortex-m7"}, {"STM32L0", "cortex-m0plus"}, {"STM32G0", "cortex-m0plus"},
        {"STM32C0", "cortex-m0plus"}};
    if (serie.empty()) return "cortex-m4";  // ST's hand-posture board: NUCLEO-F401RE
    auto it = targets.find(serie);
    return it == targets.end() ? "generic" : it->second;
}

void run_config(const std::string& file, const std::string& out, bool quiet)
{
    UserConfig c = load_user_config(file, std::cerr);
    DatasetOptions dataset;
    dataset.classes = c.class_names;
    dataset.preprocess = c.preprocess;
    if (c.operation_mode == "training") {
        train::ExperimentSettings s;
        s.data = c.training_path;
        s.validation = c.validation_path;
        s.test = c.test_path;
        s.dataset = dataset;
        s.validation_split = c.validation_split;
        s.split_by = c.split_by;
        s.resplit_each_epoch = c.resplit_each_epoch;
        s.options = c.options;
        s.out = output_dir(c, out);
        s.logs_dir = c.logs_dir;
        s.saved_models_dir = c.saved_models_dir;
        s.progress_bar = stderr_is_terminal() && !quiet;
        s.quiet = quiet;
        train::ExperimentResult r = train::run_training(s, std::cerr);
        const TensorShape& in = r.training.best_model.input;
        if (in.height != c.input_height || in.width != c.input_width)
            std::cerr << "warning: " << file << ": training.model.input_shape: the data's frames are "
                      << in.height << "x" << in.width
                      << "; the model was built for them\n";
    } else if (c.operation_mode == "evaluation") {
        fs::path model = !c.model_path.empty() ? c.model_path : c.trained_model_path;
        fs::path data = !c.test_path.empty() ? c.test_path : !c.validation_path.empty() ? c.validation_path : c.training_path;
        std::string name = !c.test_path.empty() ? "test" : !c.validation_path.empty() ? "validation" : "training";
        fs::path dir = output_dir(c, out);
        if (!fs::exists(model)) throw Error(model, "model file not found");
        dataset.preprocess = preprocess_for(read_any_model(model).model, dataset.preprocess);
        train::run_evaluation(model, load_dataset(data, dataset), name, dir, std::cerr);
        std::cerr << "outputs in " << dir.string() << "\n";
    } else {
        fs::path model = !c.model_path.empty() ? c.model_path : c.trained_model_path;
        if (model.empty()) throw Error(file, "general.model_path: needed by operation_mode " + c.operation_mode);
        if (c.operation_mode == "benchmarking") {
            bench_from_config(model.string(), file);
        } else {
            fs::path dir = output_dir(c, out) / "deployment_package";
            deploy_from_config(model.string(), file, target_of_serie(c.serie), dir.string());
        }
    }
}

struct CrossvalArgs {
    RecipeArgs recipe;
    std::string json;
    bool quantize = false, calibration_study = false;
    train::CalibrationOptions calibration;  // --calibration-study's fine-tuning
    std::vector<std::string> calibration_methods = {"none", "fine-tune", "last-layer", "retrain", "resume", "auto"};
    std::vector<int> calibration_ks = {10, 25, 50, 100};
    size_t calibration_frames = 1000;
    std::string method = "minmax";
};

// crossval --quantize: float32 and int8 accuracy of each fold's model on the held-out group.
void run_crossval_int8(const CrossvalArgs& a, const Dataset& data, train::SplitBy by, const train::TrainOptions& options)
{
    const CalibrationMethod method = parse_calibration_method(a.method);
    std::vector<QuantFoldResult> folds =
        crossval_int8(data, by, a.recipe.validation_split, options, a.calibration_frames, method,
                      std::cerr, a.recipe.quiet);
    std::printf("%-40s %8s %8s %6s %9s %9s %8s\n", "held out", "train", "held", "best", "float32", "int8", "change");
    double float_sum = 0, int8_sum = 0;
    nlohmann::json json = nlohmann::json::array();
    for (const auto& [f, int8_accuracy] : folds) {
        std::printf("%-40s %8zu %8zu %6d %8.2f%% %8.2f%% %+8.2f\n", f.group.c_str(), f.train_frames, f.held_out_frames,
                    f.best_epoch, f.held_out_accuracy * 100, int8_accuracy * 100,
                    (int8_accuracy - f.held_out_accuracy) * 100);
        float_sum += f.held_out_accuracy;
        int8_sum += int8_accuracy;
        json.push_back({{"group", f.group},
                        {"train_frames", f.train_frames},
                        {"held_out_frames", f.held_out_frames},
                        {"best_epoch", f.best_epoch},
                        {"float_accuracy", f.held_out_accuracy},
                        {"int8_accuracy", int8_accuracy}});
    }
    const double n = double(folds.size());
    std::printf("mean held-out accuracy over %zu folds: float32 %.2f%%, int8 %.2f%%\n", folds.size(),
                float_sum / n * 100, int8_sum / n * 100);
    if (!a.json.empty())
        write_text_atomically(a.json, nlohmann::json{{"split_by", train::split_by_name(by)},
                                                     {"seed", a.recipe.options.seed},
                                                     {"calibration_method", a.method},
                                                     {"calibration_frames", a.calibration_frames},
                                                     {"mean_float_accuracy", float_sum / n},
                                                     {"mean_int8_accuracy", int8_sum / n},
                                                     {"folds", json}}
                                              .dump(2) + "\n");
}

// crossval --calibration-study: each user's fold model calibrated on that user's first K frames
// per posture with every method, and one method chosen per fold on its training users only.
void run_calibration_study(const CrossvalArgs& a, const Dataset& data, train::SplitBy by,
                           const train::TrainOptions& options)
{
    if (by != train::SplitBy::user) throw Error("--calibration-study", "calibrates people: use --split-by user");
    train::CalibrationStudy study;
    study.calibration = a.calibration;
    study.methods.clear();
    for (const std::string& m : a.calibration_methods)
        study.methods.push_back(train::parse_adaptation(m, "--calibration-methods"));
    for (bool spread : {false, true})
        for (int k : a.calibration_ks) study.settings.push_back({spread, k});
    nlohmann::json rows = nlohmann::json::array();
    std::printf("%-8s %-7s %5s %-11s %9s %9s %9s %8s %-6s %s\n", "user", "frames", "K", "method", "held", "before",
                "after", "seconds", "chosen", "gains on the training users");
    auto print_row = [&](const train::CalibrationStudyRow& r) {
        std::string gains;
        for (double g : r.training_user_gains) {
            char cell[16];
            std::snprintf(cell, sizeof cell, "%+.2f ", g * 100);
            gains += cell;
        }
        const std::string frames = r.setting.spread ? "spread" : "first";
        std::printf("%-8s %-7s %5d %-11s %9zu %8.2f%% %8.2f%% %8.1f %-6s %s\n", r.user.c_str(), frames.c_str(),
                    r.setting.frames_per_class, train::adaptation_name(r.method).c_str(), r.held_back_frames,
                    r.before * 100, r.after * 100, r.seconds, r.chosen ? "yes" : "", gains.c_str());
        std::fflush(stdout);
        rows.push_back({{"user", r.user},
                        {"frames", frames},
                        {"k", r.setting.frames_per_class},
                        {"method", train::adaptation_name(r.method)},
                        {"applied", train::adaptation_name(r.applied)},
                        {"calibration_frames", r.calibration_frames},
                        {"held_back_frames", r.held_back_frames},
                        {"before", r.before},
                        {"after", r.after},
                        {"seconds", r.seconds},
                        {"training_user_gains", r.training_user_gains},
                        {"chosen", r.chosen}});
    };
    train::run_calibration_study(data, a.recipe.validation_split, options, study, std::cerr, a.recipe.quiet, print_row);
    if (!a.json.empty())
        write_text_atomically(a.json, nlohmann::json{{"recipe", a.recipe.recipe}, {"seed", a.recipe.options.seed},
                                                     {"calibration", rows}}
                                              .dump(2) + "\n");
}

void run_crossval_command(const CrossvalArgs& a)
{
    train::SplitBy by = train::parse_split_by(a.recipe.split_by.empty() ? "user" : a.recipe.split_by, "--split-by");
    DatasetOptions options;
    options.classes = a.recipe.classes;
    const train::TrainOptions train_options = recipe_options(a.recipe, options.preprocess);
    Dataset data = load_dataset(data_path(a.recipe), options);
    if (a.quantize) return run_crossval_int8(a, data, by, train_options);
    if (a.calibration_study) return run_calibration_study(a, data, by, train_options);
    std::vector<train::FoldResult> folds =
        train::run_crossval(data, by, a.recipe.validation_split, train_options, std::cerr, a.recipe.quiet);
    std::printf("%-40s %8s %8s %8s %7s %6s %9s %9s\n", "held out", "train", "val", "held", "epochs", "best",
                "val acc", "held acc");
    double sum = 0;
    nlohmann::json json = nlohmann::json::array();
    for (const auto& f : folds) {
        std::printf("%-40s %8zu %8zu %8zu %7d %6d %8.2f%% %8.2f%%\n", f.group.c_str(), f.train_frames,
                    f.validation_frames, f.held_out_frames, f.epochs, f.best_epoch, f.validation_accuracy * 100,
                    f.held_out_accuracy * 100);
        sum += f.held_out_accuracy;
        json.push_back({{"group", f.group},
                        {"train_frames", f.train_frames},
                        {"validation_frames", f.validation_frames},
                        {"held_out_frames", f.held_out_frames},
                        {"epochs", f.epochs},
                        {"best_epoch", f.best_epoch},
                        {"validation_accuracy", f.validation_accuracy},
                        {"held_out_accuracy", f.held_out_accuracy},
                        {"seconds", f.seconds}});
    }
    std::printf("mean held-out accuracy over %zu folds: %.2f%%\n", folds.size(), sum / double(folds.size()) * 100);
    if (!a.json.empty())
        write_text_atomically(a.json, nlohmann::json{{"split_by", train::split_by_name(by)},
                                                     {"seed", a.recipe.options.seed},
                                                     {"recipe", a.recipe.recipe},
                                                     {"mean_held_out_accuracy", sum / double(folds.size())},
                                                     {"folds", json}}
                                              .dump(2) + "\n");
}

}  // namespace

void add_train_commands(CLI::App& app)
{
    auto train_args = std::make_shared<TrainArgs>();
    CLI::App* train = app.add_subcommand("train", "Train CNN2D_ST_HandPosture (cross-user recipe; --recipe st: ST's)");
    add_recipe_options(train, train_args->recipe);
    train->add_option("--out", train_args->out, "Output folder (default: experiments_outputs/<YYYY_MM_DD_HH_MM_SS>)");
    train->add_option("--validation", train_args->validation, "Validation data (instead of --validation-split)");
    train->add_option("--split-by", train_args->recipe.split_by,
                      "Validation split keeps whole groups: user or recording (default: random frames)");
    train->add_flag("--resplit-each-epoch", train_args->resplit_each_epoch,
                    "ST's loader, to compare with ST's figures: redraw the random validation split every epoch "
                    "(validation frames are also training frames: val_accuracy is not a held-out figure)");
    train->add_option("--test", train_args->test, "Test data, scored with the best model");
    train->callback([train_args] { run_train(*train_args); });

    auto config = std::make_shared<std::pair<std::string, std::string>>();
    auto quiet = std::make_shared<bool>(false);
    CLI::App* run = app.add_subcommand("run", "Run ST's user_config.yaml (operation_mode training, evaluation, deployment or benchmarking)");
    run->add_option("config", config->first, "user_config.yaml")->required();
    run->add_option("--out", config->second, "Output folder (default: hydra.run.dir or experiments_outputs/<time>)");
    run->add_flag("--quiet", *quiet, "No per-epoch lines");
    run->callback([config, quiet] { run_config(config->first, config->second, *quiet); });

    auto cv = std::make_shared<CrossvalArgs>();
    CLI::App* crossval = app.add_subcommand("crossval", "Leave-one-group-out accuracy: train without a user (or recording), test on it");
    add_recipe_options(crossval, cv->recipe);
    crossval->add_option("--split-by", cv->recipe.split_by, "Groups: user (default) or recording");
    crossval->add_option("--json", cv->json, "Also write the per-fold results as JSON");
    crossval->add_flag("--quantize", cv->quantize,
                       "Also quantize each fold's model to int8 (calibrated on its training frames) and score both");
    crossval->add_option("--calibration-frames", cv->calibration_frames,
                         "With --quantize: training frames to calibrate on, evenly spread (0: all)")
        ->capture_default_str();
    crossval->add_option("--method", cv->method, "With --quantize: calibration, minmax or percentile")
        ->capture_default_str();
    crossval->add_flag("--calibration-study", cv->calibration_study,
                       "Calibrate each user's fold model on that user's first K frames per posture (first ones, then "
                       "spread over its first recordings) with each method, score the rest before and after, and "
                       "choose a method per fold on its training users only");
    crossval->add_option("--calibration-methods", cv->calibration_methods,
                         "With --calibration-study: methods compared (none, fine-tune, last-layer, retrain, resume, auto)")
        ->delimiter(',')
        ->capture_default_str();
    crossval->add_option("--calibration-k", cv->calibration_ks, "With --calibration-study: frames per posture")
        ->delimiter(',')
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    crossval->add_option("--calibration-epochs", cv->calibration.epochs, "With --calibration-study: fine-tuning epochs")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    crossval->add_option("--calibration-lr", cv->calibration.learning_rate, "With --calibration-study: fine-tuning learning rate")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    crossval->add_option("--calibration-base-share", cv->calibration.base_share,
                         "With --calibration-study: share of the base's weights in the calibrated model")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    crossval->add_option("--calibration-replay", cv->calibration.replay_frames,
                         "With --calibration-study: base frames replayed")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    crossval->callback([cv] { run_crossval_command(*cv); });
}

}  // namespace hp::cli
