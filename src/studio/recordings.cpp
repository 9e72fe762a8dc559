#include "studio/recordings.hpp"

#include "core/error.hpp"

namespace hp::studio {

Recordings::Recordings(std::filesystem::path dir, long frames_per_take)
    : dir_(std::move(dir)), frames_per_take_(frames_per_take)
{
    if (frames_per_take_ < 1) throw Error("--record-seconds", "a take needs at least one frame");
}

Recordings::~Recordings()
{
    try {
        stop("stopped: server shut down");
    } catch (...) {
    }
}

void Recordings::start(const std::string& label, const std::string& user)
{
    std::lock_guard<std::mutex> lock(mutex_);
    if (recorder_) throw Error("recording", "a take of " + current_.label + " is running; stop it first");
    // one file per take: calibration takes a posture's first recording (file) to calibrate on
    recorder_.emplace(dir_, label, user, int(frames_per_take_));
    current_ = Take{label, user, 0, "", ""};
    received_ = 0;
}

void Recordings::stop(const std::string& why)
{
    std::lock_guard<std::mutex> lock(mutex_);
    if (recorder_) finish(why);
}

bool Recordings::add(const SensorFrame& frame)
{
    std::lock_guard<std::mutex> lock(mutex_);
    if (!recorder_) return false;
    try {
        recorder_->add(frame);
    } catch (const std::exception& e) {  // a file that cannot be written ends the take, not the server
        finish(std::string("not saved: ") + e.what());
        return true;
    }
    if (++received_ < frames_per_take_) return false;
    finish("done");
    return true;
}

void Recordings::finish(const std::string& why)
{
    // The take is over whatever happens to its file; a write error is reported as how it ended.
    current_.ended = why;
    try {
        recorder_->flush();
    } catch (const std::exception& e) {
        current_.ended = std::string("not saved: ") + e.what();
    }
    current_.frames = recorder_->frames_written();
    current_.folder = recorder_->folder().string();
    takes_.push_back(current_);
    try {
        recorder_.reset();  // its destructor writes nothing more: the pending frames went above
    } catch (...) {
    }
}

bool Recordings::active() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return recorder_.has_value();
}

nlohmann::json Recordings::to_json() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    nlohmann::json takes = nlohmann::json::array();
    for (const Take& t : takes_)
        takes.push_back({{"label", t.label}, {"user", t.user}, {"frames", t.frames}, {"folder", t.folder}, {"ended", t.ended}});
    nlohmann::json active = nullptr;
    if (recorder_)
        active = {{"label", current_.label}, {"user", current_.user}, {"frames", received_}, {"target", frames_per_take_}};
    return {{"folder", dir_.string()}, {"frames_per_take", frames_per_take_}, {"active", active}, {"takes", takes}};
}

}  // namespace hp::studio
