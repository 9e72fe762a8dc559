#include "train/calibrate.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iterator>
#include <map>

#include "core/error.hpp"
#include "model/predict.hpp"
#include "quant/quant_model.hpp"
#include "train/init.hpp"
#include "train/splits.hpp"

namespace hp::train {

CalibrationSplit split_for_calibration(const Dataset& person, int frames_per_class, bool spread)
{
    if (frames_per_class < 1) throw Error("calibration", "frames per posture must be at least 1");
    // each class's recordings, in file order
    std::map<int, std::vector<int>> recordings;
    for (size_t i = 0; i < person.size(); i++) {
        std::vector<int>& files = recordings[person.labels[i]];
        if (std::find(files.begin(), files.end(), person.file_index[i]) == files.end())
            files.push_back(person.file_index[i]);
    }
    std::map<int, std::vector<size_t>> first_frames;
    CalibrationSplit split;
    for (size_t i = 0; i < person.size(); i++) {
        const std::vector<int>& files = recordings[person.labels[i]];
        if (person.file_index[i] == files[0])
            first_frames[person.labels[i]].push_back(i);
        else if (files.size() >= 3 && person.file_index[i] == files[1])
            split.check.push_back(i);
        else
            split.held_back.push_back(i);
    }
    std::vector<bool> calibrates(person.size(), false);
    for (const auto& [posture, frames] : first_frames) {
        const size_t k = std::min(size_t(frames_per_class), frames.size());
        const std::vector<size_t> picks = spread ? calibration_subset(frames.size(), k) : [&] {
            std::vector<size_t> first(k);
            for (size_t j = 0; j < k; j++) first[j] = j;
            return first;
        }();
        for (size_t j : picks) calibrates[frames[j]] = true;
        // a class recorded once: its other frames are the only ones to measure it on
        if (recordings[posture].size() == 1)
            for (size_t i : frames)
                if (!calibrates[i]) split.held_back.push_back(i);
    }
    for (size_t i = 0; i < person.size(); i++)
        if (calibrates[i]) split.calibration.push_back(i);
    std::sort(split.held_back.begin(), split.held_back.end());
    return split;
}

// Whether `model` classifies each frame of `data` right.
static std::vector<bool> right_answers(const Model& model, const Dataset& data)
{
    if (data.size() == 0) return {};
    const int outputs = model.outputs();
    const std::vector<float> scores = predict_scores(model, data.inputs.data(), data.size(), 1);
    std::vector<bool> right(data.size());
    for (size_t i = 0; i < data.size(); i++)
        right[i] = predicted_class(&scores[i * size_t(outputs)], outputs) == data.labels[i];
    return right;
}

// The fraction of true answers (0 for none).
static double share_right(const std::vector<bool>& right)
{
    if (right.empty()) return 0;
    return double(std::count(right.begin(), right.end(), true)) / double(right.size());
}

double accuracy_of(const Model& model, const Dataset& data) { return share_right(right_answers(model, data)); }

Adaptation parse_adaptation(const std::string& name, const std::string& where)
{
    for (Adaptation m : {Adaptation::none, Adaptation::fine_tune, Adaptation::last_layer, Adaptation::retrain,
                         Adaptation::resume, Adaptation::automatic})
        if (name == adaptation_name(m)) return m;
    throw Error(where,
                "unknown calibration method '" + name + "' (use none, fine-tune, last-layer, retrain, resume or auto)");
}

std::string adaptation_name(Adaptation method)
{
    switch (method) {
    case Adaptation::none: return "none";
    case Adaptation::fine_tune: return "fine-tune";
    case Adaptation::last_layer: return "last-layer";
    case Adaptation::retrain: return "retrain";
    case Adaptation::resume: return "resume";
    case Adaptation::automatic: return "auto";
    }
    return "?";
}

// The person's frames repeated to about `frames` frames (at least once each).
static Dataset oversampled(const Dataset& calibration, size_t frames)
{
    const size_t repeats = std::max<size_t>(1, frames / calibration.size());
    std::vector<size_t> picks;
    for (size_t r = 0; r < repeats; r++)
        for (size_t i = 0; i < calibration.size(); i++) picks.push_back(i);
    return calibration.subset(picks);
}

// A model of `base`'s layers trained on all of `replay` (less the 20 % that stop it early) beside
// the person's frames: afresh (retrain) or from the base's weights (resume).
static Model retrained(const Model& base, const Dataset& calibration, const Dataset& replay,
                       const CalibrationOptions& options)
{
    TrainOptions o;
    o.seed = options.seed;
    o.augment = options.augment;
    if (options.method == Adaptation::resume) {
        o.learning_rate = options.learning_rate;
        o.early_stopping->patience = options.resume_patience;
    } else {
        o.epochs = options.retrain_epochs;
    }
    const Split split = random_split(replay.size(), 0.2, options.seed);
    Dataset mixed = replay.subset(split.train);
    mixed.append(oversampled(calibration, size_t(options.replay_frames)));
    Model start = options.method == Adaptation::resume ? base : initial_model(base, options.seed);
    return std::move(train_model(std::move(start), mixed, replay.subset(split.validation), o).best_model);
}

// `base` fine-tuned on the person's frames beside `replay_frames` of the base data (every layer,
// or the output layer alone), then averaged with the base by `base_share`.
static Model fine_tuned(const Model& base, const Dataset& calibration, const Dataset& replay,
                        const CalibrationOptions& options)
{
    // each set is half of every epoch
    const std::vector<size_t> replayed = calibration_subset(replay.size(), size_t(options.replay_frames));
    Dataset mixed = replay.subset(replayed);
    mixed.append(oversampled(calibration, replayed.size()));

    TrainOptions o;
    o.epochs = options.epochs;
    o.learning_rate = options.learning_rate;
    o.seed = options.seed;
    o.augment = options.augment;
    o.reduce_lr.reset();
    o.early_stopping.reset();
    if (options.method == Adaptation::last_layer) o.frozen_layers = base.layers.size() - 1;
    // The last epoch's weights are kept: checkpointing on the person's frames would pick the
    // epoch that fits them best, not the one that generalizes.
    Model out = std::move(train_model(base, mixed, calibration, o).last_model);
    const float b = options.base_share;
    for (size_t l = 0; l < out.layers.size(); l++)
        for (size_t t = 0; t < out.layers[l].weights.size(); t++) {
            std::vector<float>& tuned = out.layers[l].weights[t];
            const std::vector<float>& from_base = base.layers[l].weights[t];
            for (size_t i = 0; i < tuned.size(); i++) tuned[i] = b * from_base[i] + (1 - b) * tuned[i];
        }
    return out;
}

Model calibrate_model(const Model& base, const Dataset& calibration, const Dataset& replay,
                      const CalibrationOptions& options)
{
    if (calibration.size() == 0) throw Error("calibration", "no frames of the person to calibrate on");
    if (replay.size() == 0) throw Error("base data", "no frames to replay");
    if (calibration.class_names != replay.class_names)
        throw Error("base data", "its classes differ from the person's (both must be the model's)");
    switch (options.method) {
    case Adaptation::automatic: throw Error("calibration", "auto chooses in calibrate_person, with check frames");
    case Adaptation::none: return base;
    case Adaptation::retrain:
    case Adaptation::resume: return retrained(base, calibration, replay, options);
    default: return fine_tuned(base, calibration, replay, options);
    }
}

Adaptation choose_adaptation(const std::vector<std::pair<Adaptation, std::vector<double>>>& gains)
{
    Adaptation best = Adaptation::none;
    double best_mean = 0;
    for (const auto& [method, per_person] : gains) {
        if (per_person.empty()) continue;
        const bool nobody_worse =
            std::all_of(per_person.begin(), per_person.end(), [](double gain) { return gain >= 0; });
        double mean = 0;
        for (double g : per_person) mean += g / double(per_person.size());
        if (nobody_worse && mean > best_mean) {
            best = method;
            best_mean = mean;
        }
    }
    return best;
}

double mcnemar_p_value(size_t wins, size_t losses)
{
    // P(X >= wins) for X ~ Binomial(wins + losses, 1/2), summed in logs (n may be thousands)
    const double n = double(wins + losses);
    double p = 0;
    for (size_t i = wins; i <= wins + losses; i++)
        p += std::exp(std::lgamma(n + 1) - std::lgamma(double(i) + 1) - std::lgamma(n - double(i) + 1) - n * std::log(2.0));
    return std::min(1.0, p);
}

// Adaptation::automatic: each candidate calibrated and tested against the base (right on
// `base_right` of the check frames) on the check frames; the most accurate of the significantly
// better ones kept, else the base.
static Model best_on_check(const Model& base, const Dataset& calibration, const Dataset& check,
                           const std::vector<bool>& base_right, const Dataset& replay, CalibrationOptions options,
                           CalibrationOutcome& out)
{
    const Adaptation candidates[] = {Adaptation::fine_tune, Adaptation::last_layer, Adaptation::resume, Adaptation::retrain};
    const double level = options.significance / double(std::size(candidates));
    Model best = base;
    double best_accuracy = -1;
    out.method = Adaptation::none;
    for (Adaptation m : candidates) {
        options.method = m;
        Model candidate = calibrate_model(base, calibration, replay, options);
        const std::vector<bool> right = right_answers(candidate, check);
        CheckedCandidate c;
        c.method = m;
        c.accuracy = share_right(right);
        for (size_t i = 0; i < right.size(); i++) {
            c.wins += right[i] && !base_right[i];
            c.losses += !right[i] && base_right[i];
        }
        c.p_value = mcnemar_p_value(c.wins, c.losses);
        c.significant = c.p_value < level;
        if (c.significant && c.accuracy > best_accuracy) {
            best = std::move(candidate);
            best_accuracy = c.accuracy;
            out.method = m;
        }
        out.checked.push_back(c);
    }
    return best;
}

CalibrationOutcome calibrate_person(const Model& base, const Dataset& person, const Dataset& replay,
                                    int frames_per_class, bool spread, const CalibrationOptions& options)
{
    CalibrationOutcome out;
    out.split = split_for_calibration(person, frames_per_class, spread);
    const CalibrationSplit& split = out.split;
    const Dataset calibration = person.subset(split.calibration), check = person.subset(split.check),
                  held_back = person.subset(split.held_back);
    const std::vector<bool> base_right_on_check = right_answers(base, check);
    out.calibration_frames = calibration.size();
    out.check_frames = split.check.size();
    out.held_back_frames = held_back.size();
    out.before = accuracy_of(base, held_back);
    out.check_before = share_right(base_right_on_check);
    const auto start = std::chrono::steady_clock::now();
    out.method = options.method;
    if (options.method == Adaptation::automatic && split.check.empty()) out.method = Adaptation::fine_tune;
    if (out.method == Adaptation::automatic) {
        out.model = best_on_check(base, calibration, check, base_right_on_check, replay, options, out);
    } else {
        CalibrationOptions o = options;
        o.method = out.method;
        out.model = calibrate_model(base, calibration, replay, o);
    }
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    out.after = accuracy_of(out.model, held_back);
    return out;
}

}  // namespace hp::train
