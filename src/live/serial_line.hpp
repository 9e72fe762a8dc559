// One line of ST's demo firmware serial stream (SPEC §9, `set gesture_gui=1`), parsed into a frame.
//
//   RAN,<frame>,<stream count>,<tick ms>,...,<posture code (field 10)>,...   51 global fields
//   then per zone: target_status,nb_target_detected,distance_mm,signal_per_spad,0,valid
//
// 51 + 16*6 = 147 fields (4x4) or 51 + 64*6 = 435 fields (8x8); every per-zone value is an integer.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hp {

constexpr int kRanGlobalFields = 51;
constexpr int kRanZoneFields = 6;

// One sensor frame as the processing path takes it, whether it came from the wire or a datalog.
struct SensorFrame {
    long frame_counter = 0;  // field 1 (replay: frame index)
    long stream_count = 0;   // field 2
    long tick_ms = 0;        // field 3
    int board_posture = -1;  // field 10: posture code shown by the board, -1 if empty
    int zones = 0;           // 16 or 64
    // [zones], z = row*W + col. nb_targets is empty when unknown (datalogs without that field).
    std::vector<float> target_status, nb_targets, distance_mm, signal_per_spad, valid;
};

enum class LineError {
    none = 0,
    not_a_frame,     // does not start with the RAN tag
    field_count,     // neither 51 + 16*6 nor 51 + 64*6 fields
    empty_field,     // a field that must hold a number is empty
    not_a_number,    // a field that must hold an integer holds something else
    out_of_range,    // an integer too large for its field (or overflowing)
};

// Short name of a reason, e.g. "field_count".
const char* line_error_name(LineError error);

// Parses one line (a trailing "\r" or "\n" is ignored) into `frame`. On error returns the reason,
// sets *bad_field (if given) to the 0-based field at fault (-1 if none) and leaves `frame` unspecified.
LineError parse_ran_line(std::string_view line, SensorFrame& frame, int* bad_field = nullptr);

// The line the firmware would print for `frame` (distance and signal rounded to integers; the
// unused global fields empty). For test boards and for documentation.
std::string format_ran_line(const SensorFrame& frame);

}  // namespace hp
