// Frames from ST's demo firmware over a serial port (SPEC §9): 921600 baud 8N1 by default, sends
// `set gesture_gui=1` and `enable` on connection and `disable` when done, reads RAN lines.
// Real ports are opened and configured with libserialport; pseudo-terminals (which libserialport
// does not handle) with termios. Either way the stream is read from the port's file descriptor.
#pragma once

#include <string>

#include "live/frame_source.hpp"

struct sp_port;

namespace hp {

struct SerialOptions {
    std::string port;       // e.g. /dev/ttyACM0
    int baud = 921600;
    bool reconnect = false; // after the device vanishes, wait for it to come back
};

class SerialSource : public FrameSource {
public:
    // Opens the port and starts the stream; throws hp::Error naming the port if it cannot.
    explicit SerialSource(const SerialOptions& options);
    ~SerialSource() override;  // sends `disable` if still connected
    SerialSource(const SerialSource&) = delete;
    SerialSource& operator=(const SerialSource&) = delete;

    SourceEvent next(SensorFrame& frame) override;
    bool connected() const { return fd_ >= 0; }

private:
    bool open_port(std::string& problem);  // false on failure, with the reason
    void close_port(bool send_disable);
    void send(const std::string& command);

    SerialOptions options_;
    sp_port* port_ = nullptr;  // null for a pseudo-terminal
    int fd_ = -1;
    std::string buffer_;       // bytes received after the last complete line
    bool skipping_ = false;    // inside an overlong line, dropping bytes up to its end
    bool gone_ = false;        // vanished without reconnect
};

}  // namespace hp
