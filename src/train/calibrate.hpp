// Calibration: a trained model fine-tuned on a few seconds of one person's postures, with a
// replay of the data it was trained on so it forgets nothing of the others (docs/cross-user.md).
#pragma once

#include <cstdint>
#include <vector>

#include "data/dataset.hpp"
#include "model/model.hpp"
#include "train/trainer.hpp"

namespace hp::train {

// Which of a person's frames calibrate and which are held back to measure it.
struct CalibrationSplit {
    std::vector<size_t> calibration, held_back;
};

// For each class, the person's first recording (in file order) gives `frames_per_class` frames:
// its first ones (contiguous, as a still hand gives), or, with `spread`, ones spread evenly over
// it (a hand moved nearer, farther, left and right while it was recorded). Every frame of the
// class's other recordings is held back; when it has only one, that recording's other frames are.
CalibrationSplit split_for_calibration(const Dataset& person, int frames_per_class, bool spread);

struct CalibrationOptions {
    int epochs = 6;
    float learning_rate = 0.001f;
    int replay_frames = 3000;  // frames of the base data mixed in, evenly spread
    uint32_t seed = 42;
    Augmentation augment = cross_user_augmentation();
    // Share of the base's weights in the result, w = b * base + (1 - b) * fine-tuned: between the
    // two, a model keeps more of what the base knew (docs/cross-user.md: 0.5 loses less than 0).
    float base_share = 0.5f;
};

// Fine-tunes every layer of `base` on `calibration` (oversampled to as many frames as the replay)
// mixed with `replay` (the base's training data, same classes and preprocessing). Throws hp::Error
// if the sets do not fit the model.
Model calibrate_model(const Model& base, const Dataset& calibration, const Dataset& replay,
                      const CalibrationOptions& options);

struct CalibrationOutcome {
    Model model;
    size_t calibration_frames = 0, held_back_frames = 0;
    double before = 0, after = 0;  // accuracy on the held-back frames, base and calibrated model
    double seconds = 0;            // wall time of the fine-tuning
};

// A person's recordings split (split_for_calibration), the base calibrated on their first
// frames and scored on the held-back ones before and after.
CalibrationOutcome calibrate_person(const Model& base, const Dataset& person, const Dataset& replay,
                                    int frames_per_class, bool spread, const CalibrationOptions& options);

// Fraction of `data`'s frames `model` classifies right (0 for no frames).
double accuracy_of(const Model& model, const Dataset& data);

}  // namespace hp::train
