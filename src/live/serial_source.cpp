#include "live/serial_source.hpp"

#include <fcntl.h>
#include <libserialport.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "core/error.hpp"

namespace hp {

namespace {

constexpr int kPollMs = 100;
constexpr size_t kMaxLine = 16384;  // an 8x8 line is about 3 KB

bool termios_speed(int baud, speed_t& speed)
{
    switch (baud) {
    case 9600: speed = B9600; return true;
    case 19200: speed = B19200; return true;
    case 38400: speed = B38400; return true;
    case 57600: speed = B57600; return true;
    case 115200: speed = B115200; return true;
    case 230400: speed = B230400; return true;
    case 460800: speed = B460800; return true;
    case 921600: speed = B921600; return true;
    default: return false;
    }
}

std::string sp_problem(const char* what)
{
    char* message = sp_last_error_message();
    std::string text = std::string(what) + ": " + (message ? message : "unknown error");
    sp_free_error_message(message);
    return text;
}

}  // namespace

SerialSource::SerialSource(const SerialOptions& options) : options_(options)
{
    speed_t unused;
    if (!termios_speed(options.baud, unused)) throw Error(options.port, "unsupported baud rate " + std::to_string(options.baud));
    std::string problem;
    if (!open_port(problem)) throw Error(options.port, problem);
}

SerialSource::~SerialSource() { close_port(true); }

bool SerialSource::open_port(std::string& problem)
{
    if (sp_get_port_by_name(options_.port.c_str(), &port_) == SP_OK) {
        if (sp_open(port_, SP_MODE_READ_WRITE) != SP_OK || sp_set_baudrate(port_, options_.baud) != SP_OK ||
            sp_set_bits(port_, 8) != SP_OK || sp_set_parity(port_, SP_PARITY_NONE) != SP_OK ||
            sp_set_stopbits(port_, 1) != SP_OK || sp_set_flowcontrol(port_, SP_FLOWCONTROL_NONE) != SP_OK ||
            sp_get_port_handle(port_, &fd_) != SP_OK) {
            problem = sp_problem("cannot open serial port");
            sp_close(port_);
            sp_free_port(port_);
            port_ = nullptr;
            fd_ = -1;
            return false;
        }
    } else {
        port_ = nullptr;
        // A pseudo-terminal (a test board, socat): raw mode by hand, same settings.
        int fd = ::open(options_.port.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
            problem = std::string("cannot open: ") + std::strerror(errno);
            return false;
        }
        termios tio{};
        speed_t speed = B921600;
        termios_speed(options_.baud, speed);
        if (!isatty(fd) || tcgetattr(fd, &tio) != 0) {
            problem = "not a serial port";
            ::close(fd);
            return false;
        }
        cfmakeraw(&tio);
        cfsetispeed(&tio, speed);
        cfsetospeed(&tio, speed);
        tio.c_cflag &= ~(CSTOPB | PARENB | CRTSCTS | CSIZE);
        tio.c_cflag |= CS8 | CLOCAL | CREAD;
        if (tcsetattr(fd, TCSANOW, &tio) != 0) {
            problem = std::string("cannot configure: ") + std::strerror(errno);
            ::close(fd);
            return false;
        }
        fd_ = fd;
    }
    buffer_.clear();
    skipping_ = false;
    send("set gesture_gui=1\n");
    send("enable\n");
    return true;
}

void SerialSource::close_port(bool send_disable)
{
    if (fd_ < 0) return;
    if (send_disable) {
        send("disable\n");
        tcdrain(fd_);
    }
    if (port_) {
        sp_close(port_);
        sp_free_port(port_);
        port_ = nullptr;
    } else {
        ::close(fd_);
    }
    fd_ = -1;
}

void SerialSource::send(const std::string& command)
{
    size_t done = 0;
    for (int attempts = 0; done < command.size() && attempts < 20; ++attempts) {
        ssize_t n = ::write(fd_, command.data() + done, command.size() - done);
        if (n > 0) {
            done += size_t(n);
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            return;  // a vanished device shows up on the next read
        } else {
            pollfd p{fd_, POLLOUT, 0};
            poll(&p, 1, 10);
        }
    }
}

SourceEvent SerialSource::next(SensorFrame& frame)
{
    if (fd_ < 0) {
        if (gone_ || !options_.reconnect) return SourceEvent::end;
        std::string problem;
        if (!open_port(problem)) {
            std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs * 5));
            return SourceEvent::idle;
        }
    }
    for (;;) {
        // A complete line in the buffer?
        size_t newline = buffer_.find('\n');
        if (newline != std::string::npos) {
            std::string line = buffer_.substr(0, newline);
            buffer_.erase(0, newline + 1);
            if (skipping_) {
                skipping_ = false;
                continue;
            }
            while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
            if (line.empty() || line == "ok") continue;  // blank lines and command acknowledgements
            int field = -1;
            LineError error = parse_ran_line(line, frame, &field);
            if (error == LineError::none) return SourceEvent::frame;
            problem_ = std::string("malformed line (") + line_error_name(error) +
                       (field >= 0 ? ", field " + std::to_string(field) : std::string()) + ")";
            return SourceEvent::malformed;
        }
        if (buffer_.size() > kMaxLine) {
            buffer_.clear();
            if (!skipping_) {
                skipping_ = true;
                problem_ = "malformed line (longer than " + std::to_string(kMaxLine) + " bytes)";
                return SourceEvent::malformed;
            }
        }
        pollfd p{fd_, POLLIN, 0};
        int ready = poll(&p, 1, kPollMs);
        if (ready < 0 && errno == EINTR) return SourceEvent::idle;
        if (ready == 0) return SourceEvent::idle;
        if (ready > 0 && (p.revents & POLLIN)) {
            char chunk[4096];
            ssize_t n = ::read(fd_, chunk, sizeof chunk);
            if (n > 0) {
                buffer_.append(chunk, size_t(n));
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) return SourceEvent::idle;
        }
        // Hang-up, error or end of file: the device is gone.
        close_port(false);
        gone_ = !options_.reconnect;
        problem_ = options_.port + ": device vanished" + (options_.reconnect ? ", waiting for it to come back" : "");
        return SourceEvent::vanished;
    }
}

}  // namespace hp
