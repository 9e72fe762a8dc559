// A float model ready for the C99 runtime: ST's CNN2D_ST_HandPosture family on its fused fast
// path (hp_model.h, and the lane-parallel batch of hp_model_f32_batch.h), any other layer list
// on the general one (hp_net.h) from its inference plan. Prediction, evaluation, live mode and
// the generated packages' test vectors all run models through this.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "hp_model.h"
#include "hp_net.h"
#include "model/cnn2d_st.hpp"
#include "model/inference_plan.hpp"

namespace hp {

class RuntimeModel {
public:
    // The model must outlive this (the fast path points into its weights). Throws hp::Error
    // naming `where` for a model the runtime cannot run.
    explicit RuntimeModel(const Model& model, const std::string& where = "model");
    RuntimeModel(const RuntimeModel&) = delete;
    RuntimeModel& operator=(const RuntimeModel&) = delete;

    bool fast_path() const { return st_.has_value(); }
    int outputs() const { return outputs_; }
    size_t input_floats() const { return input_floats_; }

    // Floats of scratch run() needs, and run_batch() for a batch.
    size_t scratch_floats() const;
    size_t batch_scratch_floats() const;
    // One frame: input [input_floats()] -> scores [outputs()]. Returns 0, or -1 from the runtime.
    int run(const float* input, float* scores, float* scratch) const;
    // `count` frames back to back -> scores [count][outputs()], each frame's bits as run() gives.
    void run_batch(const float* inputs, size_t count, float* scores, float* scratch) const;

private:
    std::optional<Cnn2dSt> st_;
    hp_model_f32 st_view_{};
    InferencePlan plan_;
    std::vector<hp_layer_f32> layers_;
    hp_net_f32 net_{};
    int outputs_ = 0;
    size_t input_floats_ = 0;
};

// The runtime view of a CNN2D_ST_HandPosture model (pointers into its layers' weights).
hp_model_f32 runtime_view(const Cnn2dSt& st);

}  // namespace hp
