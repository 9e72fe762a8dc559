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
#include "train/experiment.hpp"
#include "train/splits.hpp"
#include "train/trainer.hpp"

namespace hp {

struct QuantFoldResult {
    train::FoldResult fold;     // the float32 model's fold (held_out_accuracy: float32)
    double int8_accuracy = 0;   // held-out accuracy of the same model quantized
};

// One result per group (sorted by name), trained by train::run_crossval (same splits and seeds);
// calibration on at most `calibration_frames` training frames evenly spread, with `method`.
std::vector<QuantFoldResult> crossval_int8(const Dataset& data, train::SplitBy by, double validation_split,
                                           const train::TrainOptions& options, size_t calibration_frames,
                                           CalibrationMethod method, std::ostream& log, bool quiet);

}  // namespace hp
