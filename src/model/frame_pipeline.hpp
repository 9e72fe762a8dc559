// The runtime's per-frame pipeline (hp_pipeline.h: preprocessing, the network on valid frames,
// thresholded argmax, label filter) around a float model on the host (RuntimeModel): what live mode and the
// deploy packages' test vectors run, the same C function the packages themselves call.
#pragma once

#include <string>
#include <vector>

#include "hp_pipeline.h"
#include "model/runtime_model.hpp"

namespace hp {

// One frame's outcome.
struct FrameOutcome {
    bool valid = false;         // nearest valid target in range (else the network did not run)
    std::vector<float> scores;  // [outputs]; all 0 for an invalid frame
    int raw_class = 0;          // thresholded argmax (0 for an invalid frame)
    int filtered_class = 0;     // after the label filter
};

class FramePipeline {
public:
    // The model must outlive the pipeline. Throws hp::Error (naming `where`) for a model the
    // runtime cannot run or whose input is not 4x4x2 or 8x8x2.
    FramePipeline(const Model& model, const hp_preprocess_config& preprocess,
                  const hp_postprocess_config& postprocess, const std::string& where = "model");
    FramePipeline(const FramePipeline&) = delete;
    FramePipeline& operator=(const FramePipeline&) = delete;

    int zones() const { return pipeline_.zones; }

    // One frame of zones() values per field; nb_targets may be null (unknown). Frames go in
    // order: the label filter keeps its state between calls. The outcome stays valid until the
    // next call. Throws hp::Error on failure.
    const FrameOutcome& process(const float* distance_mm, const float* signal_per_spad, const float* target_status,
                         const float* nb_targets);

    // The last frame's normalized tensor, H x W x 2.
    const std::vector<float>& tensor() const { return tensor_; }

private:
    static int run_network(void* context, const float* input, float* scores);

    RuntimeModel runtime_;
    std::vector<float> tensor_, scratch_;
    hp_preprocess_config preprocess_;  // pipeline_ points to both
    hp_postprocess_config postprocess_;
    hp_pipeline pipeline_;
    hp_label_filter filter_;
    FrameOutcome outcome_;
};

}  // namespace hp
