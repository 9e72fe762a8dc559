#include "train/calibration_study.hpp"

#include <map>
#include <sstream>

#include "train/experiment.hpp"

namespace hp::train {

namespace {

std::vector<CalibrationSetting> settings_of(const CalibrationStudy& study)
{
    if (!study.settings.empty()) return study.settings;
    std::vector<CalibrationSetting> all;
    for (bool spread : {false, true})
        for (int k : {10, 25, 50, 100}) all.push_back({spread, k});
    return all;
}

CalibrationOutcome calibrated(const Model& base, const Dataset& person, const Dataset& replay,
                              CalibrationSetting s, Adaptation method, const CalibrationStudy& study, uint32_t seed)
{
    CalibrationOptions c = study.calibration;
    c.method = method;
    c.seed = seed;
    return calibrate_person(base, person, replay, s.frames_per_class, s.spread, c);
}

// gains[setting][method]: the gain of each training user of a fold, a base trained on the others.
using Gains = std::vector<std::vector<std::vector<double>>>;

Gains training_user_gains(const Dataset& training, double validation_split, const TrainOptions& options,
                          const CalibrationStudy& study, const std::vector<CalibrationSetting>& settings)
{
    Gains gains(settings.size(), std::vector<std::vector<double>>(study.methods.size()));
    std::ostringstream quiet_log;
    run_crossval(training, SplitBy::user, validation_split, options, quiet_log, true,
                 [&](const FoldResult&, const Model& base, const Dataset& rest, const Dataset& person) {
                     for (size_t s = 0; s < settings.size(); s++)
                         for (size_t m = 0; m < study.methods.size(); m++) {
                             const CalibrationOutcome r =
                                 calibrated(base, person, rest, settings[s], study.methods[m], study, options.seed);
                             gains[s][m].push_back(r.after - r.before);
                         }
                 });
    return gains;
}

}  // namespace

std::vector<CalibrationStudyRow> run_calibration_study(const Dataset& data, double validation_split,
                                                       const TrainOptions& options, const CalibrationStudy& study,
                                                       std::ostream& log, bool quiet,
                                                       const std::function<void(const CalibrationStudyRow&)>& on_row)
{
    const std::vector<CalibrationSetting> settings = settings_of(study);
    std::vector<CalibrationStudyRow> rows;
    run_crossval(data, SplitBy::user, validation_split, options, log, quiet,
                 [&](const FoldResult& fold, const Model& base, const Dataset& training, const Dataset& person) {
                     const Gains gains = training_user_gains(training, validation_split, options, study, settings);
                     for (size_t s = 0; s < settings.size(); s++) {
                         std::vector<std::pair<Adaptation, std::vector<double>>> candidates;
                         for (size_t m = 0; m < study.methods.size(); m++)
                             candidates.emplace_back(study.methods[m], gains[s][m]);
                         const Adaptation choice = choose_adaptation(candidates);
                         for (size_t m = 0; m < study.methods.size(); m++) {
                             const CalibrationOutcome r =
                                 calibrated(base, person, training, settings[s], study.methods[m], study, options.seed);
                             CalibrationStudyRow row{fold.group, settings[s], study.methods[m], r.method,
                                                     r.calibration_frames, r.held_back_frames, r.before, r.after,
                                                     r.seconds, gains[s][m], study.methods[m] == choice};
                             if (on_row) on_row(row);
                             rows.push_back(std::move(row));
                         }
                     }
                 });
    return rows;
}

}  // namespace hp::train
