#include "train/experiment.hpp"

#include <cstdio>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "model/model_file.hpp"
#include "model/predict.hpp"
#include "report/plot.hpp"

namespace hp::train {

namespace fs = std::filesystem;

std::string format_epoch(const EpochLog& e, int epochs)
{
    char line[256];
    std::snprintf(line, sizeof line,
                  "Epoch %d/%d - %.3fs - loss: %.4f - accuracy: %.4f - val_loss: %.4f - val_accuracy: %.4f - lr: %.4g",
                  e.epoch, epochs, e.seconds, e.loss, e.accuracy, e.val_loss, e.val_accuracy, e.lr);
    return line;
}

static TrainCallbacks progress_callbacks(const ExperimentSettings& s, std::ostream& log)
{
    TrainCallbacks cb;
    const int epochs = s.options.epochs;
    if (s.progress_bar)
        cb.on_batch = [&log](int batch, int batches) {
            if (batch % 16 != 0 && batch != batches) return;
            const int width = 30, done = width * batch / batches;
            log << "\r" << batch << "/" << batches << " [" << std::string(size_t(done), '=')
                << std::string(size_t(width - done), '.') << "]" << std::flush;
        };
    if (!s.quiet)
        cb.on_epoch = [&log, epochs, bar = s.progress_bar](const EpochLog& e) {
            log << (bar ? "\r\033[K" : "") << format_epoch(e, epochs) << "\n" << std::flush;
        };
    return cb;
}

static std::string metrics_csv(const std::vector<EpochLog>& history)
{
    std::ostringstream csv;
    csv << "epoch,loss,accuracy,val_loss,val_accuracy,lr\n";
    csv.precision(9);
    for (const EpochLog& e : history)
        csv << e.epoch - 1 << "," << e.loss << "," << e.accuracy << "," << e.val_loss << "," << e.val_accuracy << ","
            << e.lr << "\n";
    return csv.str();
}

static void write_curves(const fs::path& out, const std::vector<EpochLog>& history)
{
    std::vector<double> x, loss, val_loss, acc, val_acc;
    for (const EpochLog& e : history) {
        x.push_back(e.epoch);
        loss.push_back(e.loss);
        val_loss.push_back(e.val_loss);
        acc.push_back(e.accuracy);
        val_acc.push_back(e.val_accuracy);
    }
    write_curves_png(out / "training_curves_loss.png", "Loss", "epoch", x, {{"loss", loss}, {"val_loss", val_loss}});
    write_curves_png(out / "training_curves_accuracy.png", "Accuracy", "epoch", x,
                     {{"accuracy", acc}, {"val_accuracy", val_acc}});
}

static Metrics score(const Model& model, const Dataset& data)
{
    std::vector<float> scores = predict_scores(model, data.inputs.data(), data.size(), 0);
    return compute_metrics(scores, model.outputs(), data.labels, data.class_names);
}

static nlohmann::json dataset_json(const Dataset& d, const fs::path& source)
{
    std::vector<long> per_class(d.class_names.size(), 0);
    for (int l : d.labels) per_class[size_t(l)]++;
    return {{"source", source.string()}, {"frames", d.size()}, {"frames_per_class", per_class}};
}

ExperimentResult run_training(const ExperimentSettings& s, std::ostream& log)
{
    if (s.resplit_each_epoch && !s.validation.empty())
        throw Error("resplit_each_epoch", "needs a random validation_split, not a validation set");
    if (s.resplit_each_epoch && s.split_by != SplitBy::frame)
        throw Error("resplit_each_epoch", "needs a random validation_split of frames, not split_by " +
                                              split_by_name(s.split_by));
    Dataset all = load_dataset(s.data, s.dataset);
    Dataset train, validation;
    std::string validation_source;
    if (!s.validation.empty()) {
        train = std::move(all);
        validation = load_dataset(s.validation, s.dataset);
        validation_source = s.validation.string();
    } else if (s.resplit_each_epoch) {
        train = std::move(all);
        validation_source = "validation_split " + std::to_string(s.validation_split) +
                            " of training data redrawn every epoch (ST's loader: validation frames are also "
                            "training frames, not held out)";
    } else {
        Split split = split_dataset(all, s.validation_split, s.split_by, s.options.seed);
        train = all.subset(split.train);
        validation = all.subset(split.validation);
        validation_source = "validation_split " + std::to_string(s.validation_split) + " of training data by " +
                            split_by_name(s.split_by);
    }
    std::optional<Dataset> test;
    if (!s.test.empty()) test = load_dataset(s.test, s.dataset);
    size_t train_frames = train.size(), validation_frames = validation.size();
    if (s.resplit_each_epoch) {
        Split first = resplit_for_epoch(train.size(), s.validation_split, s.options.seed, 0);
        train_frames = first.train.size();
        validation_frames = first.validation.size();
    }
    log << "training frames: " << train_frames << ", validation frames: " << validation_frames;
    if (test) log << ", test frames: " << test->size();
    log << " (" << train.height << "x" << train.width << ", " << train.class_names.size() << " classes)\n";
    if (s.resplit_each_epoch)
        log << "resplit each epoch (ST's loader): both sets are redrawn from all " << train.size()
            << " frames every epoch, so validation frames are also training frames; val_accuracy is NOT a "
               "held-out figure\n";

    ExperimentResult r;
    if (s.resplit_each_epoch) {
        r.training = train_model_resplit(train, s.validation_split, s.options, progress_callbacks(s, log));
        // the validation frames of the best epoch: what the checkpoint was chosen on
        validation = train.subset(
            resplit_for_epoch(train.size(), s.validation_split, s.options.seed, r.training.best_epoch - 1).validation);
    } else {
        r.training = train_model(train, validation, s.options, progress_callbacks(s, log));
    }
    const TrainResult& t = r.training;
    const Model& best = t.best_model;
    log << "best val_accuracy " << t.history[size_t(t.best_epoch - 1)].val_accuracy << " at epoch " << t.best_epoch
        << " of " << t.history.size() << (t.stopped_early ? " (early stopping)" : "") << ", " << t.seconds << " s ("
        << t.seconds / double(t.history.size()) * 1000 << " ms/epoch)"
        << (s.resplit_each_epoch ? " [not held out: resplit each epoch]" : "") << "\n";

    r.model_path = s.out / s.saved_models_dir / "best_model.h5";
    write_keras_h5(r.model_path, best);
    write_text_atomically(s.out / s.logs_dir / "metrics" / "train_metrics.csv", metrics_csv(t.history));
    write_curves(s.out, t.history);

    r.validation = score(best, validation);
    write_confusion_png(s.out / "confusion_matrix_validation.png", r.validation.confusion, best.class_names,
                        "Validation: accuracy " + std::to_string(r.validation.accuracy * 100).substr(0, 5) + " %" +
                            (s.resplit_each_epoch ? " (not held out)" : ""));
    log << "validation accuracy " << r.validation.accuracy * 100 << " %"
        << (s.resplit_each_epoch ? " (best epoch's validation frames, also trained on: not held out)" : "") << "\n"
        << render_confusion_text(r.validation.confusion, best.class_names);
    if (test) {
        r.test = score(best, *test);
        write_confusion_png(s.out / "confusion_matrix_test.png", r.test->confusion, best.class_names,
                            "Test: accuracy " + std::to_string(r.test->accuracy * 100).substr(0, 5) + " %");
        log << "test accuracy " << r.test->accuracy * 100 << " %\n"
            << render_confusion_text(r.test->confusion, best.class_names);
    }

    const TrainOptions& o = s.options;
    nlohmann::json settings = {
        {"data", s.data.string()},
        {"validation", validation_source},
        {"test", s.test.string()},
        {"classes", best.class_names},
        {"preprocessing",
         {{"Max_distance", s.dataset.preprocess.max_distance},
          {"Min_distance", s.dataset.preprocess.min_distance},
          {"Background_distance", s.dataset.preprocess.background_distance},
          {"distance_mode", distance_mode_name(s.dataset.preprocess.distance_mode)}}},
        {"augmentation",
         {{"distance_offset_mm", o.augment.distance_offset_mm},
          {"depth_scale", o.augment.depth_scale},
          {"reflectance_gain", o.augment.reflectance_gain},
          {"zone_shift", o.augment.zone_shift},
          {"zone_dropout", o.augment.zone_dropout},
          {"distance_noise_mm", o.augment.distance_noise_mm},
          {"signal_noise", o.augment.signal_noise}}},
        {"model", o.hidden_layers.empty() ? nlohmann::json("CNN2D_ST_HandPosture") : nlohmann::json("layers")},
        {"layers", [&] {
             std::vector<std::string> texts;
             for (const Layer& l : best.layers) texts.push_back(layer_text(l));
             return texts;
         }()},
        {"conv_filters", o.conv_filters},
        {"epochs", o.epochs},
        {"batch_size", o.batch_size},
        {"learning_rate", o.learning_rate},
        {"dropout", o.dropout},
        {"random_flip", flip_name(o.flip)},
        {"seed", o.seed},
        {"resplit_each_epoch", s.resplit_each_epoch},
        {"ReduceLROnPlateau", o.reduce_lr ? nlohmann::json{{"monitor", o.reduce_lr->monitor},
                                                           {"factor", o.reduce_lr->factor},
                                                           {"patience", o.reduce_lr->patience},
                                                           {"min_lr", o.reduce_lr->min_lr}}
                                          : nlohmann::json(nullptr)},
        {"EarlyStopping", o.early_stopping ? nlohmann::json{{"monitor", o.early_stopping->monitor},
                                                           {"patience", o.early_stopping->patience},
                                                           {"restore_best_weights", o.early_stopping->restore_best_weights}}
                                           : nlohmann::json(nullptr)}};
    r.summary = {{"settings", settings},
                 {"data",
                  {{"training", dataset_json(train, s.data)},
                   {"validation", dataset_json(validation, validation_source)}}},
                 {"training",
                  {{"epochs_run", t.history.size()},
                   {"best_epoch", t.best_epoch},
                   {"stopped_early", t.stopped_early},
                   {"seconds", t.seconds},
                   {"seconds_per_epoch", t.seconds / double(t.history.size())},
                   {"cpu_seconds", t.cpu_seconds},
                   {"cpu_seconds_per_epoch", t.cpu_seconds / double(t.history.size())},
                   {"parameters", best.parameter_count()}}},
                 {"model", fs::relative(r.model_path, s.out).string()},
                 {"validation", r.validation.to_json()}};
    r.summary["validation"]["held_out"] = !s.resplit_each_epoch;
    if (s.resplit_each_epoch) {
        r.summary["data"]["training"]["frames_per_epoch"] = train_frames;
        r.summary["data"]["validation"]["frames_per_epoch"] = validation_frames;
    }
    if (test) {
        r.summary["data"]["test"] = dataset_json(*test, s.test);
        r.summary["test"] = r.test->to_json();
    }
    write_text_atomically(s.out / "run.json", r.summary.dump(2) + "\n");
    log << "outputs in " << s.out.string() << "\n";
    return r;
}

Metrics run_evaluation(const fs::path& model_path, const Dataset& data, const std::string& name, const fs::path& out,
                       std::ostream& log)
{
    Model model = read_keras_h5(model_path);
    check_frames_fit(model.input, data.height * data.width, model_path.string());
    if (model.classes() != int(data.class_names.size()))
        throw Error(model_path, "model has " + std::to_string(model.classes()) + " classes, the data " +
                                    std::to_string(data.class_names.size()));
    if (!model.class_names.empty() && model.class_names != data.class_names)
        throw Error(model_path, "model classes differ from the configured classes");
    Metrics m = score(model, data);
    log << name << ": " << data.size() << " frames, accuracy " << m.accuracy * 100 << " %, loss " << m.loss << "\n"
        << render_confusion_text(m.confusion, data.class_names);
    if (!out.empty()) {
        write_confusion_png(out / ("confusion_matrix_" + name + ".png"), m.confusion, data.class_names,
                            name + ": accuracy " + std::to_string(m.accuracy * 100).substr(0, 5) + " %");
        write_text_atomically(out / ("evaluation_" + name + ".json"),
                              nlohmann::json{{"model", model_path.string()}, {"metrics", m.to_json()}}.dump(2) + "\n");
    }
    return m;
}

std::vector<FoldResult> run_crossval(const Dataset& data, SplitBy by, double validation_split,
                                     const TrainOptions& options, std::ostream& log, bool quiet,
                                     const FoldCallback& on_fold)
{
    if (by == SplitBy::frame) throw Error("split_by", "cross-validation needs groups: use user or recording");
    std::vector<FoldResult> results;
    for (const Fold& fold : leave_one_group_out(frame_groups(data, by))) {
        Dataset pool = data.subset(fold.train), held_out = data.subset(fold.held_out);
        Split split = random_split(pool.size(), validation_split, options.seed);
        Dataset train = pool.subset(split.train), validation = pool.subset(split.validation);
        TrainCallbacks cb;
        if (!quiet)
            cb.on_epoch = [&log, &fold, &options](const EpochLog& e) {
                log << "[" << fold.group << "] " << format_epoch(e, options.epochs) << "\n";
            };
        TrainResult t = train_model(train, validation, options, cb);
        FoldResult f;
        f.group = fold.group;
        f.train_frames = train.size();
        f.validation_frames = validation.size();
        f.held_out_frames = held_out.size();
        f.epochs = int(t.history.size());
        f.best_epoch = t.best_epoch;
        f.validation_accuracy = t.history[size_t(t.best_epoch - 1)].val_accuracy;
        f.held_out_accuracy = score(t.best_model, held_out).accuracy;
        f.seconds = t.seconds;
        log << "held out " << f.group << ": accuracy " << f.held_out_accuracy * 100 << " % (" << f.held_out_frames
            << " frames; best epoch " << f.best_epoch << " of " << f.epochs << ")\n";
        if (on_fold) on_fold(f, t.best_model, train, held_out);
        results.push_back(f);
    }
    return results;
}

}  // namespace hp::train
