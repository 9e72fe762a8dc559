// A model as inference runs it: every batch normalization folded into the Conv2D or Dense before
// it, ReLU layers fused into the layer that feeds them, Dropout and Flatten gone (NHWC flattening
// is the identity). Every runtime, exporter and generator starts from this one plan, so none can
// fold or fuse differently.
#pragma once

#include <string>
#include <vector>

#include "model/model.hpp"

namespace hp {

struct PlanLayer {
    enum class Kind { conv2d, max_pool, dense } kind = Kind::dense;
    std::string name;         // the model layer it comes from
    TensorShape in, out;
    int kernel_size = 0;      // conv2d
    int padding = 0;          // conv2d: 0 (valid) or kernel_size / 2 (same)
    bool relu = false;        // conv2d, dense: ReLU on the output
    std::vector<float> kernel;  // conv2d [k][k][C][F], dense [in][out] (Keras layouts)
    std::vector<float> bias;    // [out]; empty for a conv2d without one (a dense layer always has one)
};

struct InferencePlan {
    TensorShape input;
    std::vector<PlanLayer> layers;
    int outputs = 0;          // of the last layer
    bool sigmoid = false;     // one sigmoid output (2 classes); else softmax over `outputs`
    long mac_count() const;
};

// The plan of a valid model. Throws hp::Error naming `where` and the layer for a batch
// normalization that does not follow a Conv2D or Dense, or a ReLU that follows no layer it can
// join (the runtime has no separate ReLU or normalization).
InferencePlan inference_plan(const Model& model, const std::string& where = "model");

}  // namespace hp
