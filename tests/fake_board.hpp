// A stand-in for ST's demo firmware on a pseudo-terminal pair: answers `ok` to every command,
// and after `enable` streams the given lines (RAN frames, garbage, whatever the test wants).
// The program under test opens port(); the board keeps the slave side open too, so the pair
// stays up until the board "vanishes" (closes the master side).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace hp::test {

struct FakeBoardOptions {
    int line_interval_ms = 0;     // pause between streamed lines (100 = the sensor's rate)
    bool vanish_at_end = false;   // close the master side once every line has been sent
    int vanish_delay_ms = 300;    // ...after this long, so the reader can drain what was sent
};

class FakeBoard {
public:
    FakeBoard(std::vector<std::string> lines, FakeBoardOptions options = {})
        : lines_(std::move(lines)), options_(options)
    {
        master_ = posix_openpt(O_RDWR | O_NOCTTY);
        if (master_ < 0 || grantpt(master_) != 0 || unlockpt(master_) != 0) throw std::runtime_error("no pty");
        port_ = ptsname(master_);
        slave_ = ::open(port_.c_str(), O_RDWR | O_NOCTTY);
        if (slave_ < 0) throw std::runtime_error("cannot open " + port_);
        termios tio{};
        tcgetattr(slave_, &tio);
        cfmakeraw(&tio);
        tcsetattr(slave_, TCSANOW, &tio);
        fcntl(master_, F_SETFL, fcntl(master_, F_GETFL) | O_NONBLOCK);
        // The program under test must not inherit the master side, or it would keep the "device" alive.
        fcntl(master_, F_SETFD, FD_CLOEXEC);
        fcntl(slave_, F_SETFD, FD_CLOEXEC);
        thread_ = std::thread([this] { run(); });
    }

    ~FakeBoard()
    {
        stop_ = true;
        thread_.join();
        if (master_ >= 0) ::close(master_);
        ::close(slave_);
    }

    const std::string& port() const { return port_; }
    bool vanished() const { return vanished_; }
    size_t lines_sent() const { return sent_; }

    // Commands received so far, without line endings.
    std::vector<std::string> commands()
    {
        std::lock_guard<std::mutex> lock(mutex_);
        return commands_;
    }

    // Waits up to timeout_ms for a command; true if it arrived.
    bool wait_for_command(const std::string& command, int timeout_ms = 3000)
    {
        for (int waited = 0; waited <= timeout_ms; waited += 10) {
            for (const auto& c : commands())
                if (c == command) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    }

private:
    void write_all(const std::string& bytes)
    {
        size_t done = 0;
        while (done < bytes.size() && !stop_) {
            ssize_t n = ::write(master_, bytes.data() + done, bytes.size() - done);
            if (n > 0) {
                done += size_t(n);
                continue;
            }
            pollfd p{master_, POLLOUT, 0};
            poll(&p, 1, 20);
            read_commands();  // keep answering while the reader is slow
        }
    }

    void read_commands()
    {
        char buf[256];
        ssize_t n;
        while ((n = ::read(master_, buf, sizeof buf)) > 0) {
            pending_.append(buf, size_t(n));
            size_t nl;
            while ((nl = pending_.find('\n')) != std::string::npos) {
                std::string command = pending_.substr(0, nl);
                pending_.erase(0, nl + 1);
                if (!command.empty() && command.back() == '\r') command.pop_back();
                {
                    std::lock_guard<std::mutex> lock(mutex_);
                    commands_.push_back(command);
                }
                if (command == "enable") streaming_ = true;
                if (command == "disable") streaming_ = false;
                if (::write(master_, "ok\r\n", 4) < 0) continue;  // a full pty: the ack is lost, as on a wire
            }
        }
    }

    void run()
    {
        auto last_line = std::chrono::steady_clock::now();
        while (!stop_) {
            pollfd p{master_, POLLIN, 0};
            poll(&p, 1, 5);
            read_commands();
            if (!streaming_) continue;
            if (sent_ < lines_.size()) {
                auto now = std::chrono::steady_clock::now();
                if (now - last_line < std::chrono::milliseconds(options_.line_interval_ms)) continue;
                last_line = now;
                write_all(lines_[sent_] + "\r\n");
                sent_++;
            } else if (options_.vanish_at_end && !vanished_) {
                std::this_thread::sleep_for(std::chrono::milliseconds(options_.vanish_delay_ms));
                ::close(master_);
                master_ = -1;
                vanished_ = true;
                return;
            }
        }
    }

    std::vector<std::string> lines_;
    FakeBoardOptions options_;
    int master_ = -1, slave_ = -1;
    std::string port_, pending_;
    std::thread thread_;
    std::atomic<bool> stop_{false}, streaming_{false}, vanished_{false};
    std::atomic<size_t> sent_{0};
    std::mutex mutex_;
    std::vector<std::string> commands_;
};

}  // namespace hp::test
