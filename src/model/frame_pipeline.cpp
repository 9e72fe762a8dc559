#include "model/frame_pipeline.hpp"

#include "core/error.hpp"

namespace hp {

FramePipeline::FramePipeline(const Model& model, const hp_preprocess_config& preprocess,
                             const hp_postprocess_config& postprocess, const std::string& where)
    : runtime_(model, where), preprocess_(preprocess_for(model, preprocess)), postprocess_(postprocess)
{
    const int zones = model.input.height * model.input.width;
    check_frames_fit(model.input, zones, where);
    tensor_.assign(size_t(zones) * 2, 0.0f);
    scratch_.assign(runtime_.scratch_floats(), 0.0f);
    pipeline_ = hp_pipeline{&preprocess_, &postprocess_, zones, runtime_.outputs(), &FramePipeline::run_network, this,
                            tensor_.data()};
    hp_label_filter_init(&filter_);
    outcome_.scores.assign(size_t(pipeline_.outputs), 0.0f);
}

int FramePipeline::run_network(void* context, const float* input, float* scores)
{
    auto* self = static_cast<FramePipeline*>(context);
    return self->runtime_.run(input, scores, self->scratch_.data());
}

const FrameOutcome& FramePipeline::process(const float* distance_mm, const float* signal_per_spad,
                                           const float* target_status, const float* nb_targets)
{
    FrameOutcome& out = outcome_;
    int valid = 0;
    if (hp_pipeline_frame(&pipeline_, &filter_, distance_mm, signal_per_spad, target_status, nb_targets,
                          out.scores.data(), &valid, &out.raw_class, &out.filtered_class) != 0)
        throw Error("frame pipeline", "the runtime failed on a frame");
    out.valid = valid != 0;
    return out;
}

}  // namespace hp
