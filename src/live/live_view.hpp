// What live mode shows: a terminal view of the latest frame (heat maps, postures, score bars,
// counters) and one JSON object per frame for other programs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "live/session.hpp"

namespace hp {

struct LiveViewInfo {
    std::string source;                    // e.g. "/dev/ttyACM0 @ 921600" or "replay x.npz"
    std::string status;                    // last problem or state, shown under the title
    std::vector<std::string> class_names;  // output order
    double mean_processing_us = 0;
};

// The whole screen for one frame. color: ANSI colors (a terminal), else plain text.
std::string render_live_view(const SensorFrame& frame, const LiveSession& session, const LiveViewInfo& info, bool color);

// {"frame", "valid", "scores", "raw_class", "filtered_class", "raw_name", "filtered_name", "processing_us"}
// on one line.
std::string live_result_json(const LiveResult& result, const std::vector<std::string>& class_names);

// Name of class i, or "class<i>" when the list is too short.
std::string class_name_of(const std::vector<std::string>& class_names, int i);

// Score of class i in a result; a sigmoid model's one score s is P(class 1), so class 0 gets 1 - s.
float class_score(const LiveResult& result, int i);

// What live mode prints when stdout is not a terminal (a pipe, a log file): one line per change
// of the filtered posture instead of the whole view per frame, e.g.
// "t=12.3s frame 123 posture Like (0.97)", t counting from the first frame's tick. In place of
// the score: "invalid frame" when no target was in range, "top Fist 0.62" when another class
// scores higher than the one shown (None when no score passed the threshold).
class PostureChangeLog {
public:
    // The line for this frame if its filtered class differs from the previous frame's (the first
    // frame always gives one), else nothing.
    std::optional<std::string> update(const SensorFrame& frame, const LiveResult& result,
                                      const std::vector<std::string>& class_names);

private:
    std::optional<int> shown_class_;
    long first_tick_ms_ = 0;
};

}  // namespace hp
