// The studio's calibration, run in a worker thread: the recordings so far against the base
// model (train/calibrate.hpp, what `handposture calibrate` does), the calibrated model written
// as a Keras .h5, accuracy and confusion matrices of both models on the held-back frames.
#pragma once

#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "model/model.hpp"
#include "train/calibrate.hpp"

namespace hp::studio {

struct CalibrationSetup {
    std::filesystem::path recordings;  // a dataset folder of the person's takes
    std::filesystem::path base_data;   // the data the base model was trained on (replayed)
    std::filesystem::path out_model;   // the calibrated model (.h5)
    int frames_per_posture = 50;       // of each posture's first take; its other frames measure
    train::CalibrationOptions options;
};

class CalibrationJob {
public:
    // `base` (with its class names) must outlive the job. on_change is called from the worker
    // when the job starts and ends.
    CalibrationJob(const Model& base, CalibrationSetup setup, std::function<void()> on_change);
    ~CalibrationJob();  // waits for a running job

    // Starts a run; false if one is running already.
    bool start();
    // {"status": "idle"|"running"|"done"|"failed", "error", "before", "after", "calibration_frames",
    //  "held_back_frames", "seconds", "class_names", "confusion_before", "confusion_after", "model"}
    nlohmann::json to_json() const;
    bool has_model() const;
    const CalibrationSetup& setup() const { return setup_; }

private:
    void run();

    const Model& base_;
    CalibrationSetup setup_;
    std::function<void()> on_change_;
    mutable std::mutex mutex_;
    std::thread worker_;
    nlohmann::json state_ = {{"status", "idle"}};
};

}  // namespace hp::studio
