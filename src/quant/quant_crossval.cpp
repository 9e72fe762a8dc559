#include "quant/quant_crossval.hpp"

#include "eval/metrics.hpp"
#include "model/predict.hpp"
#include "quant/quant_net.hpp"
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
        // CNN2D_ST_HandPosture on its own scheme, any other list on the general network
        const AnyQuant q = quantize_any_model(best, frames.data(), frames.size() / training.input_size(), method);
        const std::vector<float> scores =
            std::visit([&](const auto& m) { return predict_scores(m, held_out.inputs.data(), held_out.size()); }, q);
        QuantFoldResult r;
        r.fold = fold;
        r.int8_accuracy = compute_metrics(scores, best.outputs(), held_out.labels, held_out.class_names).accuracy;
        log << "held out " << fold.group << ": int8 " << r.int8_accuracy * 100 << " % (float32 "
            << fold.held_out_accuracy * 100 << " %)\n";
        results.push_back(r);
    };
    train::run_crossval(data, by, validation_split, options, log, quiet, quantize_fold);
    return results;
}

}  // namespace hp
