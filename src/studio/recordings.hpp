// The studio's recordings: one take of one posture at a time, as ST datalogs (live/recorder.hpp,
// what `live --record` writes), each take a single .npz written atomically when it has its
// frames or is stopped early (the page's Stop, an unplugged board, the server shutting down).
// A take belongs to the server, not to a page: a closed tab or a reload does not end it.
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "live/recorder.hpp"

namespace hp::studio {

struct Take {
    std::string label, user;
    long frames = 0;           // written to disk
    std::string folder;        // the take's npz folder
    std::string ended = "";    // "done", "stopped", or why it was cut short
};

class Recordings {
public:
    // Takes go under dir/<label>/...; a take ends by itself after frames_per_take frames.
    Recordings(std::filesystem::path dir, long frames_per_take);
    ~Recordings();

    // Starts a take. Throws hp::Error for an unknown posture, a bad user name, or a take running.
    void start(const std::string& label, const std::string& user);
    // Ends the running take, if any, keeping its frames; `why` says how it ended.
    void stop(const std::string& why);
    // A frame from the sensor: recorded if a take runs. True when this frame ended the take.
    bool add(const SensorFrame& frame);

    bool active() const;
    // {"folder", "frames_per_take", "active": {label, user, frames, target} | null, "takes": [...]}
    nlohmann::json to_json() const;
    const std::filesystem::path& folder() const { return dir_; }

private:
    void finish(const std::string& why);  // with mutex_ held

    std::filesystem::path dir_;
    long frames_per_take_;
    mutable std::mutex mutex_;
    std::optional<DatalogRecorder> recorder_;
    Take current_;
    long received_ = 0;  // frames of the running take
    std::vector<Take> takes_;
};

}  // namespace hp::studio
