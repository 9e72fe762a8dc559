#include "live/recorder.hpp"

#include <chrono>
#include <cmath>
#include <ctime>

#include "core/error.hpp"
#include "core/postures.hpp"
#include "hp_preprocess.h"

namespace hp {

namespace fs = std::filesystem;

namespace {

double now_seconds()
{
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Local time of `seconds` formatted with strftime `format`.
std::string local_time(double seconds, const char* format)
{
    std::time_t t = std::time_t(seconds);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, format, &tm);
    return buf;
}

// Next take number of label/user under dir: one more than the largest already there.
int next_take(const fs::path& dir, const std::string& prefix)
{
    int take = 0;
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (name.rfind(prefix, 0) != 0) continue;
        take = std::max(take, std::atoi(name.c_str() + prefix.size()));
    }
    return take + 1;
}

}  // namespace

DatalogRecorder::DatalogRecorder(const fs::path& dir, const std::string& label, const std::string& user, int rotate)
    : root_(dir), label_(label), user_(user), rotate_(rotate)
{
    auto code = posture_code(label);
    if (!code) throw Error("--label " + label, "not a known posture name");
    code_ = *code;
    if (user.empty() || user.find("__") != std::string::npos || user.find('/') != std::string::npos)
        throw Error("--user " + user, "must be a non-empty name without \"__\" or '/'");
    if (rotate <= 0) throw Error("--rotate", "must be a positive number of frames");
}

DatalogRecorder::~DatalogRecorder()
{
    try {
        flush();
    } catch (...) {
    }
}

void DatalogRecorder::add(const SensorFrame& frame)
{
    if (pending_.frames > 0 && frame.zones != pending_.zones) flush();
    if (stem_.empty()) {
        // The take is chosen when the first frame arrives, so parallel runs of other users do not collide.
        std::string prefix = "log__" + label_ + "__" + user_ + "__";
        take_ = next_take(root_ / label_, prefix);
        const std::string side = std::to_string(hp_grid_side(frame.zones)), layout = side + "x" + side;
        stem_ = label_ + "__" + user_ + "__" + std::to_string(take_) + "__VL53L8__handposture_api__" + layout + "__" +
                local_time(now_seconds(), "%Y%m%d_%H%M%S");
        npz_dir_ = root_ / label_ / ("log__" + stem_) / "npz";
    }
    if (pending_.frames == 0) {
        pending_ = Datalog{};
        pending_.zones = frame.zones;
        pending_start_ = now_seconds();
    }
    const size_t zones = size_t(frame.zones);
    auto append = [&](std::vector<float>& field, const std::vector<float>& values, float missing) {
        if (values.size() == zones)
            field.insert(field.end(), values.begin(), values.end());
        else
            field.insert(field.end(), zones, missing);
    };
    append(pending_.distance_mm, frame.distance_mm, NAN);
    append(pending_.signal_per_spad, frame.signal_per_spad, NAN);
    append(pending_.target_status, frame.target_status, NAN);
    append(pending_.nb_targets, frame.nb_targets, NAN);
    append(pending_.valid, frame.valid, 1.0f);
    pending_.posture_code.push_back(float(code_));
    pending_.frames++;
    if (pending_.frames >= rotate_) flush();
}

void DatalogRecorder::flush()
{
    if (pending_.frames == 0) return;
    double end = now_seconds();
    pending_.start_timestamp = pending_start_;
    pending_.end_timestamp = end;
    char millis[8];
    std::snprintf(millis, sizeof millis, ".%03d", int(std::fmod(end, 1.0) * 1000) % 1000);
    std::string name = "data_" + stem_ + "_ends" + local_time(end, "%H%M%S") + millis;
    // Two files closed within the same millisecond get distinct names.
    std::string unique = name;
    for (int i = 2; unique == last_name_ || fs::exists(npz_dir_ / (unique + ".npz")); ++i) unique = name + "_" + std::to_string(i);
    write_datalog_file(npz_dir_ / (unique + ".npz"), pending_);
    last_name_ = unique;
    frames_written_ += pending_.frames;
    files_written_++;
    pending_ = Datalog{};
    pending_.frames = 0;
}

}  // namespace hp
