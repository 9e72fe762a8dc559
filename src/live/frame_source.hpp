// Where live frames come from: a board on a serial port, or datalogs replayed at sensor rate.
#pragma once

#include <string>

#include "live/serial_line.hpp"

namespace hp {

enum class SourceEvent {
    frame,      // `frame` holds a new frame
    malformed,  // input that is not a usable frame; problem() says why
    idle,       // nothing yet (the caller may check for Ctrl-C and call again)
    vanished,   // the device went away; problem() says so. Later calls wait for it (reconnect) or end
    end,        // no more frames
};

class FrameSource {
public:
    virtual ~FrameSource() = default;
    // Waits a short while (about 100 ms at most) for the next event.
    virtual SourceEvent next(SensorFrame& frame) = 0;
    const std::string& problem() const { return problem_; }

protected:
    std::string problem_;
};

}  // namespace hp
