#include "model/predict.hpp"

#include <algorithm>
#include <thread>

#include "core/error.hpp"
#include "hp_model_f32_batch.h"

namespace hp {

// Frames per thread below which another thread costs more than it saves.
constexpr size_t kMinFramesPerThread = 512;

std::vector<float> predict_scores(const Model& model, const float* inputs, size_t count, int threads)
{
    model.validate("model");
    const hp_model_f32 view = model.runtime_view();
    const size_t frame_floats = size_t(model.shape.height) * size_t(model.shape.width) * size_t(model.shape.channels);
    const size_t outputs = size_t(model.shape.outputs());
    const size_t scratch_floats = hp_model_f32_batch_scratch_floats(&view);
    std::vector<float> scores(count * outputs);
    if (count == 0) return scores;
    if (inputs == nullptr || scratch_floats == 0) throw Error("predict_scores: no input frames or bad model dimensions");

    size_t workers = threads > 0 ? size_t(threads) : std::max(1u, std::thread::hardware_concurrency());
    workers = std::min(workers, (count + kMinFramesPerThread - 1) / kMinFramesPerThread);
    workers = std::max<size_t>(workers, 1);

    // Each worker runs a contiguous range of frames with its own scratch buffer, whole blocks of
    // HP_LANES frames but for the last worker's tail.
    auto run = [&](size_t begin, size_t end) {
        std::vector<float> scratch(scratch_floats);
        hp_model_f32_run_batch(&view, inputs + begin * frame_floats, end - begin, scores.data() + begin * outputs,
                               scratch.data());
    };
    std::vector<std::jthread> pool;
    const size_t per_worker = ((count + workers - 1) / workers + HP_LANES - 1) / HP_LANES * HP_LANES;
    for (size_t w = 1; w < workers; w++) {
        size_t begin = std::min(count, w * per_worker), end = std::min(count, begin + per_worker);
        if (begin < end) pool.emplace_back(run, begin, end);
    }
    run(0, std::min(count, per_worker));
    pool.clear();  // joins every worker before scores is handed back
    return scores;
}

int predicted_class(const float* scores, int outputs)
{
    if (outputs == 1) return scores[0] > 0.5f ? 1 : 0;
    return int(std::max_element(scores, scores + outputs) - scores);
}

}  // namespace hp
