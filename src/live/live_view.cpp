#include "live/live_view.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/postures.hpp"
#include "hp_preprocess.h"
#include "report/plot.hpp"

namespace hp {

std::string class_name_of(const std::vector<std::string>& class_names, int i)
{
    if (i >= 0 && size_t(i) < class_names.size()) return class_names[size_t(i)];
    return "class" + std::to_string(i);
}

float class_score(const LiveResult& result, int i)
{
    if (result.scores.size() == 1) return i == 1 ? result.scores[0] : 1.0f - result.scores[0];
    return i >= 0 && size_t(i) < result.scores.size() ? result.scores[size_t(i)] : 0.0f;
}

std::optional<std::string> PostureChangeLog::update(const SensorFrame& frame, const LiveResult& result,
                                                    const std::vector<std::string>& class_names)
{
    if (!shown_class_) first_tick_ms_ = frame.tick_ms;
    else if (*shown_class_ == result.filtered_class) return std::nullopt;
    shown_class_ = result.filtered_class;
    // An invalid frame (no target in range) has scores, but they do not mean anything; a class
    // shown although another scores higher (None when no score passed the threshold) comes with
    // the top one.
    const int classes = std::max(int(result.scores.size()), 2);
    int top = 0;
    for (int k = 1; k < classes; ++k)
        if (class_score(result, k) > class_score(result, top)) top = k;
    char score[96] = "invalid frame";
    if (result.valid && top == result.filtered_class)
        std::snprintf(score, sizeof score, "%.2f", double(class_score(result, top)));
    else if (result.valid)
        std::snprintf(score, sizeof score, "top %s %.2f", class_name_of(class_names, top).c_str(),
                      double(class_score(result, top)));
    char line[192];
    std::snprintf(line, sizeof line, "t=%.1fs frame %ld posture %s (%s)", double(frame.tick_ms - first_tick_ms_) / 1000.0,
                  result.frame, class_name_of(class_names, result.filtered_class).c_str(), score);
    return std::string(line);
}

std::string render_live_view(const SensorFrame& frame, const LiveSession& session, const LiveViewInfo& info, bool color)
{
    const LiveResult& r = session.last();
    const LiveCounters& c = session.counters();
    const int side = hp_grid_side(frame.zones);
    const char* bold = color ? "\x1b[1m" : "";
    const char* green = color ? "\x1b[1;32m" : "";
    const char* dim = color ? "\x1b[2m" : "";
    const char* reset = color ? "\x1b[0m" : "";
    char line[256];

    std::string out = std::string(bold) + "handposture live" + reset + "  " + info.source + "\n";
    out += std::string(dim) + (info.status.empty() ? " " : info.status) + reset + "\n\n";

    // Zones without a valid target are shown as "-".
    Grid distance{"distance (mm)", side, side, {}, 100, 400};
    Grid signal{"signal (kcps/SPAD)", side, side, {}, 0, 1000};
    for (int z = 0; z < frame.zones; ++z) {
        bool ok = hp_zone_status_valid(frame.target_status[size_t(z)]);
        distance.values.push_back(ok ? std::round(frame.distance_mm[size_t(z)]) : NAN);
        signal.values.push_back(ok ? std::round(frame.signal_per_spad[size_t(z)]) : NAN);
    }
    out += render_grids_ansi({distance, signal}, color) + "\n";

    std::string board = frame.board_posture < 0 ? "-" : std::string(posture_name(frame.board_posture).value_or("?"));
    std::snprintf(line, sizeof line, "frame %-8ld %s  raw %s%-12s%s filtered %s%-12s%s board %s\n", r.frame,
                  r.valid ? "valid  " : "invalid", bold, class_name_of(info.class_names, r.raw_class).c_str(), reset, green,
                  class_name_of(info.class_names, r.filtered_class).c_str(), reset, board.c_str());
    out += line;
    // One bar per class score (a sigmoid model has one score: P(class 1)).
    const int width = 40;
    for (size_t k = 0; k < r.scores.size(); ++k) {
        int cls = r.scores.size() == 1 ? 1 : int(k);
        float score = class_score(r, cls);
        double s = std::isfinite(score) ? std::fmin(std::fmax(score, 0.0f), 1.0f) : 0.0;
        int filled = int(std::lround(s * width));
        std::string bar;
        for (int i = 0; i < width; ++i) bar += i < filled ? "#" : ".";
        bool raw = cls == r.raw_class && r.valid;
        std::snprintf(line, sizeof line, "  %-12s %s%s%s %.3f\n", class_name_of(info.class_names, cls).c_str(),
                      raw ? green : "", bar.c_str(), raw ? reset : "", s);
        out += line;
    }
    std::snprintf(line, sizeof line,
                  "\nframes %ld  fps %.1f  invalid %ld  malformed %ld  processing %.1f us (mean %.1f us)\n", c.frames,
                  c.fps, c.invalid_frames, c.malformed_lines, r.processing_us, info.mean_processing_us);
    out += line;
    out += std::string(dim) + "Ctrl-C to stop" + reset + "\n";
    return out;
}

std::string live_result_json(const LiveResult& result, const std::vector<std::string>& class_names)
{
    nlohmann::json j;
    j["frame"] = result.frame;
    j["valid"] = result.valid;
    j["scores"] = result.scores;
    j["raw_class"] = result.raw_class;
    j["filtered_class"] = result.filtered_class;
    j["raw_name"] = class_name_of(class_names, result.raw_class);
    j["filtered_name"] = class_name_of(class_names, result.filtered_class);
    j["processing_us"] = result.processing_us;
    return j.dump();
}

}  // namespace hp
