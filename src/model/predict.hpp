// Batched host inference over many frames, on threads, through the C99 runtime (hp_model_f32_batch.h:
// blocks of HP_LANES frames at once, each frame's scores bit-identical to hp_model_f32_run's).
#pragma once

#include <cstddef>
#include <vector>

#include "model/model.hpp"

namespace hp {

// Scores of `count` frames of model.shape.height*width*channels floats each, laid out back to
// back in `inputs`. Returns [count][model.shape.outputs()] probabilities. threads = 0: all cores.
std::vector<float> predict_scores(const Model& model, const float* inputs, size_t count, int threads = 0);

// Class index of one row of scores (argmax; for one sigmoid output, 1 if > 0.5).
int predicted_class(const float* scores, int outputs);

}  // namespace hp
