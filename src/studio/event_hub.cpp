#include "studio/event_hub.hpp"

#include <chrono>

namespace hp::studio {

void EventHub::publish(const std::string& name, const std::string& json)
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        events_.push_back("event: " + name + "\ndata: " + json + "\n\n");
        if (events_.size() > keep_) events_.pop_front();
        next_++;
    }
    changed_.notify_all();
}

std::vector<std::string> EventHub::wait_after(uint64_t& cursor, int timeout_ms)
{
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return closed_ || next_ - 1 > cursor; });
    std::vector<std::string> out;
    if (closed_) return out;
    const uint64_t oldest = next_ - events_.size();  // number of events_.front()
    for (uint64_t n = std::max(cursor + 1, oldest); n < next_; n++) out.push_back(events_[size_t(n - oldest)]);
    cursor = next_ - 1;
    return out;
}

uint64_t EventHub::newest() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return next_ - 1;
}

void EventHub::close()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        closed_ = true;
    }
    changed_.notify_all();
}

bool EventHub::closed() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return closed_;
}

}  // namespace hp::studio
