// The calibration study of docs/cross-user.md: every method of calibrate.hpp measured on each
// user of a dataset as a person would use it, and one method chosen for that user on the other
// users only (nested leave-one-user-out), so the figure of the chosen method is honest.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "train/calibrate.hpp"
#include "train/trainer.hpp"

namespace hp::train {

// How a person's calibration frames are taken (split_for_calibration).
struct CalibrationSetting {
    bool spread = false;
    int frames_per_class = 100;
};

struct CalibrationStudyRow {
    std::string user;
    CalibrationSetting setting;
    Adaptation method = Adaptation::none;
    Adaptation applied = Adaptation::none;  // method, or auto's pick
    size_t calibration_frames = 0, held_back_frames = 0;
    double before = 0, after = 0, seconds = 0;  // accuracy on the user's held-back frames
    // This method's gains (after - before) on the fold's training users, each calibrating a base
    // trained on the other training users: what the choice below saw.
    std::vector<double> training_user_gains;
    bool chosen = false;  // choose_adaptation's pick from the training users' gains
};

struct CalibrationStudy {
    std::vector<Adaptation> methods = {Adaptation::none, Adaptation::fine_tune, Adaptation::last_layer,
                                       Adaptation::retrain, Adaptation::resume, Adaptation::automatic};
    std::vector<CalibrationSetting> settings;  // empty: K = 10, 25, 50, 100, first then spread
    CalibrationOptions calibration;            // its method is each of `methods` in turn
};

// For each user: a base model trained on the others (as run_crossval does), calibrated on the
// user's frames with each method and setting; and, inside that fold, each training user in turn
// calibrating a base trained on the remaining ones, whose gains choose the fold's method. Each
// row is passed to `on_row` as it is measured (for progress) and returned.
std::vector<CalibrationStudyRow> run_calibration_study(const Dataset& data, double validation_split,
                                                       const TrainOptions& options, const CalibrationStudy& study,
                                                       std::ostream& log, bool quiet,
                                                       const std::function<void(const CalibrationStudyRow&)>& on_row = {});

}  // namespace hp::train
