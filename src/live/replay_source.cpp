#include "live/replay_source.hpp"

#include <algorithm>
#include <cmath>
#include <thread>

#include "core/error.hpp"

namespace hp {

namespace fs = std::filesystem;

ReplaySource::ReplaySource(const fs::path& path, double speed) : speed_(speed)
{
    if (!(speed >= 0)) throw Error("--speed", "must be 0 (as fast as possible) or positive");
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
             it.increment(ec))
            if (it->is_regular_file() && it->path().extension() == ".npz") files_.push_back(it->path());
        if (ec) throw Error(path, "cannot list: " + ec.message());
        std::sort(files_.begin(), files_.end());
        if (files_.empty()) throw Error(path, "no .npz datalogs in this folder");
    } else if (fs::exists(path, ec)) {
        files_.push_back(path);
    } else {
        throw Error(path, "no such file or folder");
    }
    start_ = std::chrono::steady_clock::now();
}

SourceEvent ReplaySource::next(SensorFrame& frame)
{
    if (speed_ > 0) {
        // Frame k is due k * 100 ms / speed after the start; wait in slices so Ctrl-C is seen.
        auto due = start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                std::chrono::duration<double, std::milli>(100.0 * double(frames_) / speed_));
        auto now = std::chrono::steady_clock::now();
        if (now < due) {
            std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(due - now, std::chrono::milliseconds(100)));
            if (std::chrono::steady_clock::now() < due) return SourceEvent::idle;
        }
    }
    while (!loaded_ || frame_in_log_ >= log_.frames) {
        if (file_ >= files_.size()) return SourceEvent::end;
        log_ = read_datalog_file(files_[file_++]);
        loaded_ = true;
        frame_in_log_ = 0;
    }
    const int n = frame_in_log_++;
    const size_t zones = size_t(log_.zones), at = size_t(n) * zones;
    frame.frame_counter = frames_++;
    frame.stream_count = 0;
    frame.tick_ms = long(std::lround(double(frame.frame_counter) * 100.0));
    float code = log_.posture_code[size_t(n)];
    frame.board_posture = std::isfinite(code) && code >= 0 && code < 256 ? int(code) : -1;
    frame.zones = log_.zones;
    auto slice = [&](const std::vector<float>& field, std::vector<float>& out) {
        out.assign(field.begin() + long(at), field.begin() + long(at + zones));
    };
    slice(log_.distance_mm, frame.distance_mm);
    slice(log_.signal_per_spad, frame.signal_per_spad);
    slice(log_.target_status, frame.target_status);
    slice(log_.valid, frame.valid);
    if (log_.has_nb_targets())
        slice(log_.nb_targets, frame.nb_targets);
    else
        frame.nb_targets.clear();
    bool missing = false;
    for (const auto* field : {&frame.distance_mm, &frame.signal_per_spad, &frame.target_status})
        for (float v : *field) missing = missing || std::isnan(v);
    if (missing) {
        problem_ = files_[file_ - 1].string() + ": frame " + std::to_string(n) + " has missing fields";
        return SourceEvent::malformed;
    }
    return SourceEvent::frame;
}

}  // namespace hp
