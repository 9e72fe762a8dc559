// Calibration: a trained model adapted to a few seconds of one person's postures, with the data
// it was trained on beside them so it forgets nothing of the others (docs/cross-user.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "model/model.hpp"
#include "train/trainer.hpp"

namespace hp::train {

// Which of a person's frames calibrate, which check the methods of `auto`, and which are held
// back to measure the result.
struct CalibrationSplit {
    std::vector<size_t> calibration, check, held_back;
};

// For each class, the person's first recording (in file order) gives `frames_per_class` frames:
// its first ones (contiguous, as a still hand gives), or, with `spread`, ones spread evenly over
// it (a hand moved nearer, farther, left and right while it was recorded). A class recorded three
// times or more has its second recording checked; every frame of its other recordings is held
// back; when it has only one, that recording's other frames are.
CalibrationSplit split_for_calibration(const Dataset& person, int frames_per_class, bool spread);

// How a base model is adapted to a person's frames.
enum class Adaptation {
    none,        // the base model as it is
    fine_tune,   // every layer fine-tuned on the person's frames beside a replay of the base data
    last_layer,  // the output layer alone fine-tuned, the same way
    retrain,     // a fresh model trained on the base data and the person's frames, oversampled
    resume,      // the base's training resumed on the same data as retrain, from the base's weights
    automatic,   // fine-tune, last-layer, resume and retrain each tried; of those significantly better
                 // than the base on the person's check recordings, the best kept (none if no one is)
};
// "none", "fine-tune", "last-layer", "retrain", "resume", "auto"; throws hp::Error naming `where`.
Adaptation parse_adaptation(const std::string& name, const std::string& where);
std::string adaptation_name(Adaptation method);

struct CalibrationOptions {
    Adaptation method = Adaptation::automatic;
    int replay_frames = 3000;  // frames of the base data mixed in, evenly spread (retrain: all of it,
                               // the person's frames still oversampled to this many)
    uint32_t seed = 42;
    Augmentation augment = cross_user_augmentation();
    // fine-tune and last-layer: epochs, learning rate, and the share of the base's weights in the
    // result, w = b * base + (1 - b) * fine-tuned (between the two, a model keeps more of what the
    // base knew: docs/cross-user.md).
    int epochs = 6;
    float learning_rate = 0.001f;
    float base_share = 0.5f;
    // retrain trains as `train` does (TrainOptions' defaults, these `augment` and `seed`) on the
    // whole base data, less 20 % of it that stops it early, beside the person's frames, for at most
    // `retrain_epochs` epochs (about 6 s on one core); resume the same from the base's weights at
    // `learning_rate`, stopping after `resume_patience` epochs without a better validation accuracy.
    int retrain_epochs = 100;
    int resume_patience = 10;
    // auto: a candidate replaces the base only if a one-sided exact McNemar test on the check
    // frames rejects "no better than the base" at this level, Bonferroni-corrected for the
    // number of candidates. The check recordings are few and their frames alike, so a frame or
    // two more right is noise, and a model kept on noise is often worse on the rest.
    double significance = 0.05;
};

// auto's verdict on one candidate, from the person's check frames.
struct CheckedCandidate {
    Adaptation method = Adaptation::none;
    double accuracy = 0;          // on the check frames
    size_t wins = 0, losses = 0;  // check frames it gets right and the base wrong, and the reverse
    double p_value = 1;           // mcnemar_p_value(wins, losses)
    bool significant = false;     // p_value below the corrected level
};

// One-sided exact McNemar test: the probability that a model no better than another would be
// right on at least `wins` of the `wins + losses` frames where exactly one of the two is right.
double mcnemar_p_value(size_t wins, size_t losses);

// `base` adapted by options.method (not automatic) to `calibration` (the person's frames,
// oversampled to as many as the replayed ones) mixed with `replay` (the base's training data, same
// classes and preprocessing). Throws hp::Error if the sets do not fit the model.
Model calibrate_model(const Model& base, const Dataset& calibration, const Dataset& replay,
                      const CalibrationOptions& options);

struct CalibrationOutcome {
    Model model;
    Adaptation method = Adaptation::none;  // the one applied (auto's pick)
    std::vector<CheckedCandidate> checked; // auto's candidates, in the order tried
    CalibrationSplit split;                // of the person's frames
    size_t calibration_frames = 0, check_frames = 0, held_back_frames = 0;
    double before = 0, after = 0;  // accuracy on the held-back frames, base and calibrated model
    double check_before = 0;       // the base's accuracy on the check frames
    double seconds = 0;            // wall time of the calibration
};

// A person's recordings split (split_for_calibration), the base calibrated on their first
// frames and scored on the held-back ones before and after. Adaptation::automatic without check
// frames (no posture recorded three times) falls back to fine-tune, which nothing can check.
CalibrationOutcome calibrate_person(const Model& base, const Dataset& person, const Dataset& replay,
                                    int frames_per_class, bool spread, const CalibrationOptions& options);

// The guard of a method chosen on other people: given each candidate's accuracy gains (after -
// before) on a set of people, the one with the best mean gain among those that made nobody
// worse; Adaptation::none when none did (or no candidate has gains).
Adaptation choose_adaptation(const std::vector<std::pair<Adaptation, std::vector<double>>>& gains);

// Fraction of `data`'s frames `model` classifies right (0 for no frames).
double accuracy_of(const Model& model, const Dataset& data);

}  // namespace hp::train
