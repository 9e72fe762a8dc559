// One ST GestureEVK datalog (.npz, SPEC §3), read into per-frame, per-zone float arrays.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "hp_preprocess.h"

namespace hp {

struct Datalog {
    int zones = 64;  // 16 (4x4) or 64 (8x8)
    int frames = 0;
    // [frames][zones], row-major zones (z = row*W + col). A field missing from the file is NaN.
    std::vector<float> distance_mm, signal_per_spad, target_status, nb_targets, valid;
    std::vector<float> posture_code;  // [frames] .GestureGT (NaN if missing)
    double start_timestamp = 0, end_timestamp = 0;

    int side() const { return hp_grid_side(zones); }
    bool has_nb_targets() const;  // false when the file had no nb_target_detected field
    // True if any field this frame needs (distance, signal, status, valid, posture) is NaN.
    bool frame_has_nan(int frame) const;
};

// Reads a datalog from npz bytes; `name` is used in error messages. Throws hp::Error.
Datalog read_datalog(std::span<const unsigned char> npz_bytes, const std::string& name);
Datalog read_datalog_file(const std::filesystem::path& path);

// An 8x8 datalog as a 4x4 sensor would see it (VL53L5CX/VL53L8CX 4x4 mode): each 4x4 zone
// merges a 2x2 block. Valid sub-zones (status 5 or 9, and nb_targets > 0 when known) are
// averaged (distance, signal) and the zone gets status 5, valid 1, nb_targets 1; with no valid
// sub-zone it averages all four and keeps the first sub-zone's status (valid 0, nb_targets 0).
// A NaN in a block gives a NaN in that field of the zone. A 4x4 datalog is returned unchanged.
Datalog downsample_to_4x4(const Datalog& log);

// Writes a datalog in ST's format (same entries, names, dtypes), atomically.
void write_datalog_file(const std::filesystem::path& path, const Datalog& log);

}  // namespace hp
