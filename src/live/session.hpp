// The processing path of live mode, shared by the serial and replay sources: one frame through
// the runtime's per-frame pipeline (hp_pipeline.h, what deploy packages run), timed on the host.
#pragma once

#include <chrono>
#include <vector>

#include "live/serial_line.hpp"
#include "model/frame_pipeline.hpp"

namespace hp {

struct LiveResult {
    long frame = 0;              // the frame's counter
    bool valid = false;          // preprocessing kept the frame (nearest target in range)
    std::vector<float> scores;   // [model outputs]; all 0 for an invalid frame (the network is skipped)
    int raw_class = 0;           // thresholded argmax (0 for an invalid frame)
    int filtered_class = 0;      // after the label filter
    double processing_us = 0;    // preprocess + network + postprocess on this host
};

struct LiveCounters {
    long frames = 0;           // frames processed
    long invalid_frames = 0;   // of which preprocessing rejected (out of range)
    long malformed_lines = 0;  // input that was not a usable frame
    double fps = 0;            // frame arrival rate over the last few frames
};

class LiveSession {
public:
    // The model must outlive the session. Throws hp::Error for a model that does not take sensor frames.
    explicit LiveSession(const Model& model, const hp_preprocess_config& preprocess = HP_PREPROCESS_DEFAULTS,
                         const hp_postprocess_config& postprocess = HP_POSTPROCESS_DEFAULTS);

    // Processes one frame. Throws hp::Error if its zone count does not match the model's input.
    const LiveResult& process(const SensorFrame& frame);
    void count_malformed() { counters_.malformed_lines++; }

    const LiveCounters& counters() const { return counters_; }
    const LiveResult& last() const { return result_; }
    const std::vector<float>& input() const { return pipeline_.tensor(); }  // last normalized tensor, H x W x 2

private:
    FramePipeline pipeline_;
    LiveResult result_;
    LiveCounters counters_;
    std::vector<std::chrono::steady_clock::time_point> arrivals_;  // ring of the last arrivals
};

}  // namespace hp
