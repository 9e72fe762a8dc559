// Leave-one-group-out cross-validation of the int8 model: each fold trains the float model as
// `handposture crossval` does, quantizes its best model (calibrated on the fold's training
// frames) and scores both on the held-out group, so the int8 cost is measured on people the
// model never saw.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "quant/quant_model.hpp"
#include "train/splits.hpp"
#include "train/trainer.hpp"

namespace hp {

struct QuantFoldResult {
    std::string group;               // the held-out group
    size_t train_frames = 0, held_out_frames = 0;
    int best_epoch = 0;
    double float_accuracy = 0;       // held-out accuracy of the float32 model
    double int8_accuracy = 0;        // of the same model quantized
};

// One result per group (sorted by name), trained by train::run_crossval (same splits and seeds);
// calibration on at most `calibration_frames` training frames evenly spread, with `method`.
std::vector<QuantFoldResult> crossval_int8(const Dataset& data, train::SplitBy by, double validation_split,
                                           const train::TrainOptions& options, size_t calibration_frames,
                                           CalibrationMethod method, std::ostream& log, bool quiet);

}  // namespace hp
