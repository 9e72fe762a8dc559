#include "live/session.hpp"

#include <cmath>

#include "core/error.hpp"
#include "hp_model.h"

namespace hp {

namespace {
constexpr size_t kFpsWindow = 10;
}

LiveSession::LiveSession(const Model& model, const hp_preprocess_config& preprocess,
                         const hp_postprocess_config& postprocess)
    : model_(model), view_(model.runtime_view()), preprocess_(preprocess), postprocess_(postprocess)
{
    model.validate("live model");
    if (model.shape.channels != 2) throw Error("live model", "expects 2 input channels (distance, signal)");
    input_.assign(size_t(model.shape.height) * model.shape.width * 2, 0.0f);
    scratch_.assign(hp_model_f32_scratch_floats(&view_), 0.0f);
    result_.scores.assign(size_t(model.shape.outputs()), 0.0f);
    hp_label_filter_init(&filter_);
}

const LiveResult& LiveSession::process(const SensorFrame& frame)
{
    const auto arrival = std::chrono::steady_clock::now();
    const size_t zones = size_t(frame.zones);
    if (frame.zones != model_.shape.height * model_.shape.width)
        throw Error("frame " + std::to_string(frame.frame_counter),
                    std::to_string(frame.zones) + " zones, but the model takes " + std::to_string(model_.shape.height) +
                        "x" + std::to_string(model_.shape.width));
    if (frame.distance_mm.size() != zones || frame.signal_per_spad.size() != zones || frame.target_status.size() != zones)
        throw Error("frame " + std::to_string(frame.frame_counter), "fields do not have one value per zone");
    // Like the dataset loader: the number of targets is used only when every zone has one.
    const float* nb = frame.nb_targets.size() == zones ? frame.nb_targets.data() : nullptr;
    for (size_t z = 0; nb && z < zones; ++z)
        if (std::isnan(nb[z])) nb = nullptr;

    const auto start = std::chrono::steady_clock::now();
    int status = hp_preprocess_frame(&preprocess_, frame.zones, frame.distance_mm.data(), frame.signal_per_spad.data(),
                                     frame.target_status.data(), nb, input_.data());
    const bool valid = status == HP_FRAME_KEPT;
    if (hp_model_f32_run(&view_, input_.data(), result_.scores.data(), scratch_.data()) != 0)
        throw Error("live model", "the runtime rejected the model's dimensions");
    int raw = hp_raw_class(&postprocess_, result_.scores.data(), int(result_.scores.size()), valid ? 1 : 0);
    int shown = hp_label_filter_update(&postprocess_, &filter_, raw);
    const auto stop = std::chrono::steady_clock::now();

    result_.frame = frame.frame_counter;
    result_.valid = valid;
    result_.raw_class = raw;
    result_.filtered_class = shown;
    result_.processing_us = std::chrono::duration<double, std::micro>(stop - start).count();

    counters_.frames++;
    if (!valid) counters_.invalid_frames++;
    if (arrivals_.size() == kFpsWindow) arrivals_.erase(arrivals_.begin());
    arrivals_.push_back(arrival);
    double span = std::chrono::duration<double>(arrivals_.back() - arrivals_.front()).count();
    counters_.fps = arrivals_.size() > 1 && span > 0 ? double(arrivals_.size() - 1) / span : 0;
    return result_;
}

}  // namespace hp
