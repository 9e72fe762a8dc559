#include "live/session.hpp"

#include "core/error.hpp"

namespace hp {

namespace {
constexpr size_t kFpsWindow = 10;
}

LiveSession::LiveSession(const Model& model, const hp_preprocess_config& preprocess,
                         const hp_postprocess_config& postprocess)
    : pipeline_(model, preprocess, postprocess, "live model")
{
}

const LiveResult& LiveSession::process(const SensorFrame& frame)
{
    const auto arrival = std::chrono::steady_clock::now();
    const size_t zones = size_t(frame.zones);
    const std::string where = "frame " + std::to_string(frame.frame_counter);
    if (frame.zones != pipeline_.zones())
        throw Error(where, std::to_string(frame.zones) + " zones, but the model takes " +
                               std::to_string(pipeline_.zones()));
    if (frame.distance_mm.size() != zones || frame.signal_per_spad.size() != zones || frame.target_status.size() != zones)
        throw Error(where, "fields do not have one value per zone");
    // A frame without the number of targets leaves it unknown (hp_preprocess_frame).
    const float* nb = frame.nb_targets.size() == zones ? frame.nb_targets.data() : nullptr;

    const auto start = std::chrono::steady_clock::now();
    const FrameOutcome& outcome = pipeline_.process(frame.distance_mm.data(), frame.signal_per_spad.data(),
                                                    frame.target_status.data(), nb);
    const auto stop = std::chrono::steady_clock::now();

    result_.frame = frame.frame_counter;
    result_.valid = outcome.valid;
    result_.scores = outcome.scores;
    result_.raw_class = outcome.raw_class;
    result_.filtered_class = outcome.filtered_class;
    result_.processing_us = std::chrono::duration<double, std::micro>(stop - start).count();

    counters_.frames++;
    if (!result_.valid) counters_.invalid_frames++;
    if (arrivals_.size() == kFpsWindow) arrivals_.erase(arrivals_.begin());
    arrivals_.push_back(arrival);
    double span = std::chrono::duration<double>(arrivals_.back() - arrivals_.front()).count();
    counters_.fps = arrivals_.size() > 1 && span > 0 ? double(arrivals_.size() - 1) / span : 0;
    return result_;
}

}  // namespace hp
