// Fan-out of server-sent events: one producer (the frame reader, the calibration worker) publishes
// text events, any number of readers (one per open page) take them in order. A reader that falls
// behind skips to the newest events instead of holding the producer back.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace hp::studio {

class EventHub {
public:
    explicit EventHub(size_t keep = 32) : keep_(keep) {}

    // Adds an event (one SSE message: "event: NAME\ndata: JSON\n\n") and wakes every reader.
    void publish(const std::string& name, const std::string& json);

    // The events published after `cursor` (advanced to the last one returned), waiting up to
    // timeout_ms for one. Empty on timeout or once closed.
    std::vector<std::string> wait_after(uint64_t& cursor, int timeout_ms);

    // The sequence number of the newest event (a new reader starts here).
    uint64_t newest() const;

    // Wakes every reader for good (server shutdown).
    void close();
    bool closed() const;

private:
    size_t keep_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::string> events_;  // the last `keep_` events; events_.back() has number next_ - 1
    uint64_t next_ = 1;
    bool closed_ = false;
};

}  // namespace hp::studio
