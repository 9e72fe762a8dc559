// Recording live frames as ST-format datalogs (SPEC §3), one take per run:
//   DIR/<label>/log__<label>__<user>__<take>__VL53L8__handposture_api__<8x8|4x4>__<YYYYMMDD_HHMMSS>/npz/
//     data_<label>__<user>__<take>__VL53L8__handposture_api__<8x8>__<YYYYMMDD_HHMMSS>_ends<HHMMSS.mmm>.npz
// A file is written every `rotate` frames and when the recording is closed (Ctrl-C, a vanished
// device, the end of the stream), so everything received is kept. Files are written atomically.
#pragma once

#include <filesystem>
#include <string>

#include "data/datalog.hpp"
#include "live/serial_line.hpp"

namespace hp {

class DatalogRecorder {
public:
    // label must be a known posture name (its code is stored as .GestureGT); user must not be empty or
    // contain "__" or '/'. rotate: frames per file (> 0). Throws hp::Error.
    DatalogRecorder(const std::filesystem::path& dir, const std::string& label, const std::string& user, int rotate);
    ~DatalogRecorder();  // writes pending frames (errors are swallowed here; call close() to see them)
    DatalogRecorder(const DatalogRecorder&) = delete;
    DatalogRecorder& operator=(const DatalogRecorder&) = delete;

    void add(const SensorFrame& frame);
    // Writes the pending frames, if any, as one file. Safe to call repeatedly.
    void flush();

    const std::filesystem::path& folder() const { return npz_dir_; }  // the take's npz folder (made on first write)
    long frames_written() const { return frames_written_; }
    int files_written() const { return files_written_; }

private:
    std::filesystem::path root_;
    std::string label_, user_, stem_;  // stem: "<label>__<user>__<take>__VL53L8__handposture_api__<WxH>__<time>"
    int code_, rotate_, take_ = 0;
    std::filesystem::path npz_dir_;
    Datalog pending_;
    double pending_start_ = 0;
    std::string last_name_;
    long frames_written_ = 0;
    int files_written_ = 0;
};

}  // namespace hp
