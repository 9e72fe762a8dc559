// `handposture studio`: the live view and a guided calibration as a local web page (studio/studio.hpp).
#include <csignal>
#include <filesystem>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "commands.hpp"
#include "usage.hpp"
#include "studio/studio.hpp"

namespace hp::cli {

namespace {

volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_studio_signal(int) { g_stop = 1; }

struct StudioArgs {
    studio::StudioOptions options;
    std::string listen = "127.0.0.1:8080";
};

// HOST:PORT, [IPV6]:PORT, :PORT or PORT into the options.
void parse_listen(const std::string& listen, studio::StudioOptions& o)
{
    const size_t colon = listen.rfind(':');
    const std::string host = colon == std::string::npos ? "" : listen.substr(0, colon);
    const std::string port = colon == std::string::npos ? listen : listen.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(port) > 65535)
        throw UsageError("--listen " + listen + ": expected HOST:PORT, e.g. 127.0.0.1:8080 (port 0: any free one)");
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        o.host = host.substr(1, host.size() - 2);  // [::1]:8080
    else if (!host.empty())
        o.host = host;
    o.http_port = std::stoi(port);
}

void run_studio(StudioArgs& a)
{
    studio::StudioOptions& o = a.options;
    if (o.port.empty() == o.replay.empty()) throw UsageError("give either --port DEV or --replay FILE|DIR");
    parse_listen(a.listen, o);
    std::error_code ec;
    o.cli = std::filesystem::read_symlink("/proc/self/exe", ec);  // the page's deploy button runs this binary
    studio::Studio studio(o);
    const int port = studio.bind();
    std::printf("handposture studio: http://%s:%d/ (Ctrl-C to stop)\n",
                o.host.find(':') == std::string::npos ? o.host.c_str() : ("[" + o.host + "]").c_str(), port);
    std::fflush(stdout);
    g_stop = 0;
    std::signal(SIGINT, on_studio_signal);
    std::signal(SIGTERM, on_studio_signal);
    std::signal(SIGPIPE, SIG_IGN);  // a page closed while we write to it
    std::thread watcher([&studio] {
        while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        studio.stop();
    });
    try {
        studio.serve();
    } catch (...) {
        g_stop = 1;
        watcher.join();
        throw;
    }
    g_stop = 1;
    watcher.join();
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    std::fprintf(stderr, "handposture studio: stopped; recordings under %s\n", (o.out / "recordings").c_str());
}

}  // namespace

void add_studio_commands(CLI::App& app)
{
    auto a = std::make_shared<StudioArgs>();
    studio::StudioOptions& o = a->options;
    CLI::App* cmd = app.add_subcommand("studio", "The live view and a guided calibration as a page in your browser");
    cmd->add_option("--port", o.port, "Serial port of the board running ST's demo firmware (e.g. /dev/ttyACM0)");
    cmd->add_option("--baud", o.baud, "Baud rate")->capture_default_str();
    cmd->add_option("--replay", o.replay, "Replay a datalog .npz, or every .npz under a folder, instead of a port");
    cmd->add_option("--speed", o.speed, "Replay speed: 1 = sensor rate (100 ms/frame), 0 = as fast as possible")
        ->capture_default_str();
    cmd->add_flag("--loop", o.loop, "Start the replay again when it ends");
    cmd->add_option("--model", o.model, "Keras .h5 model")->required();
    cmd->add_option("--classes", o.classes, "Class names of the model (default: from the model, or ST's 8)")
        ->delimiter(',');
    cmd->add_option("--listen", a->listen, "HOST:PORT the page is served on (port 0: any free one)")
        ->capture_default_str();
    cmd->add_option("--out", o.out, "Folder for the takes (recordings/) and the calibrated model (calibrated.h5)")
        ->capture_default_str();
    cmd->add_option("--user", o.user, "Name the takes are recorded under (the page can change it)")->capture_default_str();
    cmd->add_option("--postures", o.postures, "Postures the guided calibration asks for, in order (default: the model's)")
        ->delimiter(',');
    cmd->add_option("--record-seconds", o.record_seconds, "Length of one take, at 10 frames per second")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_option("--takes", o.takes,
                    "Takes of each posture the guided calibration records: the first calibrates, the second checks "
                    "the methods auto tries, the others measure before/after")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_option("--countdown", o.countdown_seconds, "Seconds the page counts down before each take")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd->add_option("--frames", o.calibration_frames,
                    "Frames of each posture's first take to calibrate on; its other frames measure before/after")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_option("--base-data", o.base_data,
                    "The data the base model was trained on, replayed while calibrating (default: the public dataset)");
    cmd->add_option("--epochs", o.calibration.epochs, "Fine-tuning epochs")->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("--retrain-epochs", o.calibration.retrain_epochs, "Most epochs of the retrain method auto tries")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->callback([a] { run_studio(*a); });
}

}  // namespace hp::cli
