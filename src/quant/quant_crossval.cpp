#include "quant/quant_crossval.hpp"

#include "core/error.hpp"
#include "eval/metrics.hpp"
#include "model/predict.hpp"
#include "train/experiment.hpp"

namespace hp {

std::vector<QuantFoldResult> crossval_int8(const Dataset& data, train::SplitBy by, double validation_split,
                                           const train::TrainOptions& options, size_t calibration_frames,
                                           CalibrationMethod method, std::ostream& log, bool quiet)
{
    if (by == train::SplitBy::frame) throw Error("split_by", "cross-validation needs groups: use user or recording");
    std::vector<QuantFoldResult> results;
    for (const train::Fold& fold : train::leave_one_group_out(train::frame_groups(data, by))) {
        // the folds, splits and training of train::run_crossval
        const Dataset pool = data.subset(fold.train), held_out = data.subset(fold.held_out);
        const train::Split split = train::random_split(pool.size(), validation_split, options.seed);
        const Dataset training = pool.subset(split.train), validation = pool.subset(split.validation);
        train::TrainCallbacks cb;
        if (!quiet)
            cb.on_epoch = [&log, &fold, &options](const train::EpochLog& e) {
                log << "[" << fold.group << "] " << train::format_epoch(e, options.epochs) << "\n";
            };
        const train::TrainResult t = train::train_model(training, validation, options, cb);

        std::vector<float> frames;
        for (size_t i : calibration_subset(training.size(), calibration_frames))
            frames.insert(frames.end(), training.input(i), training.input(i) + training.input_size());
        const QuantModel q = quantize_model(t.best_model, frames.data(), frames.size() / training.input_size(), method);

        const int outputs = t.best_model.shape.outputs();
        QuantFoldResult r;
        r.group = fold.group;
        r.train_frames = training.size();
        r.held_out_frames = held_out.size();
        r.best_epoch = t.best_epoch;
        r.float_accuracy = compute_metrics(predict_scores(t.best_model, held_out.inputs.data(), held_out.size()), outputs,
                                           held_out.labels, held_out.class_names)
                               .accuracy;
        r.int8_accuracy = compute_metrics(predict_scores(q, held_out.inputs.data(), held_out.size()), outputs,
                                          held_out.labels, held_out.class_names)
                              .accuracy;
        log << "held out " << r.group << ": float32 " << r.float_accuracy * 100 << " %, int8 " << r.int8_accuracy * 100
            << " % (" << r.held_out_frames << " frames)\n";
        results.push_back(r);
    }
    return results;
}

}  // namespace hp
