// `handposture studio`: a local web page showing a sensor live (heat maps, scores, postures,
// counters) and guiding a calibration (one take per posture, then calibrate, then the model to
// download). One thread reads the frame source and pushes each frame to every open page as a
// server-sent event; calibration runs in a worker thread; HTTP is cpp-httplib's.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "train/calibrate.hpp"

namespace hp::studio {

struct StudioOptions {
    std::string port;                    // serial port of a board, or
    std::filesystem::path replay;        // datalogs to replay
    int baud = 921600;
    double speed = 1;                    // replay speed (1: 100 ms per frame)
    bool loop = false;                   // start the replay again at its end
    std::filesystem::path model;         // Keras .h5
    std::vector<std::string> classes;    // the model's class names if it does not store them
    std::string host = "127.0.0.1";
    int http_port = 8080;                // 0: any free port
    std::filesystem::path out = "studio";  // takes under out/recordings, the calibrated model out/calibrated.h5
    std::filesystem::path base_data;     // calibration's replay of the base's data (default: the public dataset)
    std::string user = "me";
    std::vector<std::string> postures;   // the guided order (default: the model's classes)
    double record_seconds = 10;          // one take, at the sensor's 10 frames per second
    // Takes of each posture the guided calibration records, in rounds: the first calibrates, the
    // second checks auto's methods, the others measure the result (train/calibrate.hpp).
    int takes = 3;
    int calibration_frames = 50;         // of each take, to calibrate on; the rest measure
    int countdown_seconds = 3;           // shown by the page before each take
    train::CalibrationOptions calibration;
    // The handposture executable: the page's deploy button runs its `deploy` on the calibrated
    // model (empty: the page only shows the command).
    std::filesystem::path cli;
};

class Studio {
public:
    // Reads the model and opens the source. Throws hp::Error naming the file or device at fault.
    explicit Studio(StudioOptions options);
    ~Studio();
    Studio(const Studio&) = delete;
    Studio& operator=(const Studio&) = delete;

    // Binds host:http_port and returns the port bound. Throws hp::Error if it cannot.
    int bind();
    // Reads frames and serves pages until stop() (from any thread). Throws hp::Error if the
    // server cannot run.
    void serve();
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace hp::studio
