#include "live/serial_line.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace hp {

namespace {

// Bounds of each integer on the wire (generous: they only reject what cannot be a reading).
struct Range {
    int64_t low, high;
};
constexpr Range kCounter{0, INT64_C(0x7fffffffffff)};
constexpr Range kPosture{0, 255};
constexpr Range kZoneField[kRanZoneFields] = {
    {0, 255},              // target_status
    {0, 255},              // nb_target_detected
    {-32768, 32767},       // distance_mm (int16 in the sensor driver)
    {0, INT64_C(1) << 32}, // signal_per_spad (kcps/SPAD)
    {INT64_MIN, INT64_MAX},// unused, ignored
    {0, 255},              // valid
};

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

LineError parse_integer(std::string_view text, Range range, int64_t& value)
{
    text = trim(text);
    if (text.empty()) return LineError::empty_field;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec == std::errc::result_out_of_range) return LineError::out_of_range;
    if (ec != std::errc() || ptr != end) return LineError::not_a_number;
    if (value < range.low || value > range.high) return LineError::out_of_range;
    return LineError::none;
}

}  // namespace

const char* line_error_name(LineError error)
{
    switch (error) {
    case LineError::none: return "none";
    case LineError::not_a_frame: return "not_a_frame";
    case LineError::field_count: return "field_count";
    case LineError::empty_field: return "empty_field";
    case LineError::not_a_number: return "not_a_number";
    case LineError::out_of_range: return "out_of_range";
    }
    return "unknown";
}

LineError parse_ran_line(std::string_view line, SensorFrame& frame, int* bad_field)
{
    int dummy;
    int& at = bad_field ? *bad_field : dummy;
    at = -1;
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);

    size_t fields = 1;
    for (char c : line) fields += c == ',';
    size_t first_comma = line.find(',');
    if (trim(line.substr(0, first_comma)) != "RAN") {
        at = 0;
        return LineError::not_a_frame;
    }
    int zones = 0;
    if (fields == kRanGlobalFields + 16 * kRanZoneFields) zones = 16;
    if (fields == kRanGlobalFields + 64 * kRanZoneFields) zones = 64;
    if (zones == 0) return LineError::field_count;

    frame.zones = zones;
    for (auto* v : {&frame.target_status, &frame.nb_targets, &frame.distance_mm, &frame.signal_per_spad, &frame.valid})
        v->assign(size_t(zones), 0.0f);
    float* zone_out[kRanZoneFields] = {frame.target_status.data(), frame.nb_targets.data(), frame.distance_mm.data(),
                                       frame.signal_per_spad.data(), nullptr, frame.valid.data()};

    size_t start = first_comma + 1;
    for (int f = 1; f < int(fields); ++f) {
        size_t comma = line.find(',', start);
        std::string_view text = line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        start = comma + 1;
        int64_t value = 0;
        LineError error = LineError::none;
        if (f >= kRanGlobalFields) {
            int zone = (f - kRanGlobalFields) / kRanZoneFields, k = (f - kRanGlobalFields) % kRanZoneFields;
            error = parse_integer(text, kZoneField[k], value);
            if (error == LineError::none && zone_out[k]) zone_out[k][zone] = float(value);
        } else if (f <= 3) {
            error = parse_integer(text, kCounter, value);
            if (error == LineError::none) (f == 1 ? frame.frame_counter : f == 2 ? frame.stream_count : frame.tick_ms) = long(value);
        } else if (f == 10) {
            frame.board_posture = -1;
            if (!trim(text).empty()) {
                error = parse_integer(text, kPosture, value);
                frame.board_posture = int(value);
            }
        }
        if (error != LineError::none) {
            at = f;
            return error;
        }
    }
    return LineError::none;
}

std::string format_ran_line(const SensorFrame& frame)
{
    std::string line = "RAN," + std::to_string(frame.frame_counter) + "," + std::to_string(frame.stream_count) + "," +
                       std::to_string(frame.tick_ms);
    for (int f = 4; f < kRanGlobalFields; ++f) {
        line += ',';
        if (f == 10 && frame.board_posture >= 0) line += std::to_string(frame.board_posture);
    }
    auto integer = [](float v) { return std::to_string(std::lround(std::isfinite(v) ? v : 0.0f)); };
    for (int z = 0; z < frame.zones; ++z) {
        float nb = frame.nb_targets.empty() ? 1.0f : frame.nb_targets[size_t(z)];
        float valid = frame.valid.empty() ? 1.0f : frame.valid[size_t(z)];
        line += ',' + integer(frame.target_status[size_t(z)]) + ',' + integer(nb) + ',' + integer(frame.distance_mm[size_t(z)]) +
                ',' + integer(frame.signal_per_spad[size_t(z)]) + ",0," + integer(valid);
    }
    return line;
}

}  // namespace hp
