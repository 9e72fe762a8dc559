#include "quant/quant_crossval.hpp"

#include "eval/metrics.hpp"
#include "model/predict.hpp"
#include "train/experiment.hpp"

namespace hp {

std::vector<QuantFoldResult> crossval_int8(const Dataset& data, train::SplitBy by, double validation_split,
                                           const train::TrainOptions& options, size_t calibration_frames,
                                           CalibrationMethod method, std::ostream& log, bool quiet)
{
    std::vector<QuantFoldResult> results;
    auto quantize_fold = [&](const train::FoldResult& fold, const Model& best, const Dataset& training,
                             const Dataset& held_out) {
        std::vector<float> frames;
        for (size_t i : calibration_subset(training.size(), calibration_frames))
            frames.insert(frames.end(), training.input(i), training.input(i) + training.input_size());
        const QuantModel q = quantize_model(best, frames.data(), frames.size() / training.input_size(), method);
        QuantFoldResult r;
        r.fold = fold;
        r.int8_accuracy = compute_metrics(predict_scores(q, held_out.inputs.data(), held_out.size()),
                                          best.outputs(), held_out.labels, held_out.class_names)
                              .accuracy;
        log << "held out " << fold.group << ": int8 " << r.int8_accuracy * 100 << " % (float32 "
            << fold.held_out_accuracy * 100 << " %)\n";
        results.push_back(r);
    };
    train::run_crossval(data, by, validation_split, options, log, quiet, quantize_fold);
    return results;
}

}  // namespace hp
