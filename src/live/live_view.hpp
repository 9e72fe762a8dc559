// What live mode shows: a terminal view of the latest frame (heat maps, postures, score bars,
// counters) and one JSON object per frame for other programs.
#pragma once

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

}  // namespace hp
