// libFuzzer target: one line of the board's serial stream. Any bytes give a frame or a typed
// reason; a parsed frame must hold one value per zone and print back to a line that parses to
// the same frame.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "live/serial_line.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    hp::SensorFrame frame;
    int field = -2;
    std::string_view line(reinterpret_cast<const char*>(data), size);
    hp::LineError error = hp::parse_ran_line(line, frame, &field);
    if (error != hp::LineError::none) {
        if (field < -1 || field >= int(size) + 1) std::abort();
        return 0;
    }
    if ((frame.zones != 16 && frame.zones != 64) || frame.distance_mm.size() != size_t(frame.zones)) std::abort();
    hp::SensorFrame again;
    if (hp::parse_ran_line(hp::format_ran_line(frame), again) != hp::LineError::none) std::abort();
    if (again.distance_mm != frame.distance_mm || again.signal_per_spad != frame.signal_per_spad ||
        again.target_status != frame.target_status || again.frame_counter != frame.frame_counter)
        std::abort();
    return 0;
}
