#include "model/predict.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "hp_model_f32_batch.h"
#include "model/runtime_model.hpp"

namespace hp {

// Frames per thread below which another thread costs more than it saves.
constexpr size_t kMinFramesPerThread = 512;

std::vector<float> predict_scores(const Model& model, const float* inputs, size_t count, int threads)
{
    const RuntimeModel runtime(model);
    const size_t frame_floats = runtime.input_floats(), outputs = size_t(runtime.outputs());
    std::vector<float> scores(count * outputs);
    if (count == 0) return scores;
    if (inputs == nullptr) throw Error("predict_scores: no input frames");

    // Each thread runs whole blocks of HP_LANES frames (but for the last one's tail) with its own
    // scratch buffer.
    parallel_chunks(
        count, threads,
        [&](size_t begin, size_t end) {
            std::vector<float> scratch(runtime.batch_scratch_floats());
            runtime.run_batch(inputs + begin * frame_floats, end - begin, scores.data() + begin * outputs, scratch.data());
        },
        kMinFramesPerThread, HP_LANES);
    return scores;
}

int predicted_class(const float* scores, int outputs)
{
    if (outputs == 1) return scores[0] > 0.5f ? 1 : 0;
    return int(std::max_element(scores, scores + outputs) - scores);
}

}  // namespace hp
