#include "studio/calibration_job.hpp"

#include "core/error.hpp"
#include "eval/metrics.hpp"
#include "model/model_dataset.hpp"
#include "model/model_file.hpp"
#include "model/predict.hpp"

namespace hp::studio {

namespace {

// Accuracy and confusion matrix ([label][predicted]) of `model` on `data`.
nlohmann::json scored(const Model& model, const Dataset& data)
{
    const std::vector<float> scores = predict_scores(model, data.inputs.data(), data.size(), 1);
    const int outputs = int(scores.size() / data.size());
    const Metrics m = compute_metrics(scores, outputs, data.labels, data.class_names);
    return {{"accuracy", m.accuracy}, {"confusion", m.confusion}};
}

// auto's candidates as the page lists them.
nlohmann::json checked_json(const std::vector<train::CheckedCandidate>& checked)
{
    nlohmann::json out = nlohmann::json::array();
    for (const train::CheckedCandidate& k : checked)
        out.push_back({{"method", train::adaptation_name(k.method)},
                       {"accuracy", k.accuracy},
                       {"wins", k.wins},
                       {"losses", k.losses},
                       {"p_value", k.p_value},
                       {"significant", k.significant}});
    return out;
}

}  // namespace

CalibrationJob::CalibrationJob(const Model& base, CalibrationSetup setup, std::function<void()> on_change)
    : base_(base), setup_(std::move(setup)), on_change_(std::move(on_change))
{
}

CalibrationJob::~CalibrationJob()
{
    if (worker_.joinable()) worker_.join();
}

bool CalibrationJob::start()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (state_["status"] == "running") return false;
        state_ = {{"status", "running"}};
    }
    if (worker_.joinable()) worker_.join();  // the previous run, finished
    worker_ = std::thread([this] { run(); });
    return true;
}

void CalibrationJob::run()
{
    if (on_change_) on_change_();
    nlohmann::json result;
    try {
        const std::vector<std::string>& names = base_.class_names;
        const Dataset person = load_dataset_for_model(setup_.recordings, base_, names, MissingClasses::report);
        const Dataset replay = load_dataset_for_model(setup_.base_data, base_, names, MissingClasses::fail);
        const int k = setup_.frames_per_posture;
        train::CalibrationOutcome c = train::calibrate_person(base_, person, replay, k, false, setup_.options);
        // The frames calibrate_person measured on, for the confusion matrices.
        const Dataset held = person.subset(c.split.held_back);
        write_keras_h5(setup_.out_model, c.model);
        result = {{"status", "done"},
                  {"before", c.before},
                  {"after", c.after},
                  {"method", train::adaptation_name(c.method)},
                  {"calibration_frames", c.calibration_frames},
                  {"check_frames", c.check_frames},
                  {"check_before", c.check_before},
                  {"checked", checked_json(c.checked)},
                  {"held_back_frames", c.held_back_frames},
                  {"seconds", c.seconds},
                  {"class_names", names},
                  {"model", setup_.out_model.string()}};
        if (held.size() > 0) {
            result["confusion_before"] = scored(base_, held)["confusion"];
            result["confusion_after"] = scored(c.model, held)["confusion"];
        }
    } catch (const std::exception& e) {
        result = {{"status", "failed"}, {"error", e.what()}};
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        state_ = result;
    }
    if (on_change_) on_change_();
}

nlohmann::json CalibrationJob::to_json() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return state_;
}

bool CalibrationJob::has_model() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return state_["status"] == "done";
}

}  // namespace hp::studio
