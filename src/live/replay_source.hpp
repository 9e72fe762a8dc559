// Frames from recorded datalogs (one .npz, or every .npz under a folder, in path order), at the
// sensor's rate of one frame per 100 ms divided by `speed` (0: as fast as possible).
#pragma once

#include <chrono>
#include <filesystem>
#include <vector>

#include "data/datalog.hpp"
#include "live/frame_source.hpp"

namespace hp {

class ReplaySource : public FrameSource {
public:
    // Throws hp::Error if the path does not exist, holds no .npz, or speed < 0.
    ReplaySource(const std::filesystem::path& path, double speed);

    // Throws hp::Error (naming the file) for a datalog that cannot be read.
    SourceEvent next(SensorFrame& frame) override;
    const std::vector<std::filesystem::path>& files() const { return files_; }

private:
    std::vector<std::filesystem::path> files_;
    double speed_;
    size_t file_ = 0;     // next file to open
    Datalog log_;
    int frame_in_log_ = 0;
    bool loaded_ = false;
    long frames_ = 0;     // frames delivered
    std::chrono::steady_clock::time_point start_;
};

}  // namespace hp
