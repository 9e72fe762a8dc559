// `handposture live`: run a model on a board's frames as they arrive (serial port) or on recorded
// datalogs (--replay); show the postures in the terminal, one line per posture change when stdout
// is not a terminal, or JSON; optionally record.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>

#include "commands.hpp"
#include "usage.hpp"
#include "core/error.hpp"
#include "core/postures.hpp"
#include "live/live_view.hpp"
#include "live/recorder.hpp"
#include "live/replay_source.hpp"
#include "live/serial_source.hpp"
#include "live/session.hpp"
#include "model/class_names.hpp"
#include "model/model_file.hpp"

namespace hp::cli {

namespace {

volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_stop_signal(int) { g_stop = 1; }

struct LiveArgs {
    std::string port, model, replay, record, label, user;
    int baud = 921600;
    double speed = 1;
    long max_frames = 0;
    int rotate = 1000;
    bool json = false, reconnect = false;
    std::vector<std::string> classes;
};

// The terminal in the alternate screen with the cursor hidden, restored however we leave.
class ScreenGuard {
public:
    explicit ScreenGuard(bool active) : active_(active)
    {
        if (active_) std::fputs("\x1b[?1049h\x1b[?25l", stdout);
    }
    ~ScreenGuard()
    {
        if (active_) std::fputs("\x1b[?25h\x1b[?1049l", stdout);
        std::fflush(stdout);
    }

private:
    bool active_;
};

void run_live(const LiveArgs& args)
{
    if (args.port.empty() == args.replay.empty()) throw UsageError("give either --port DEV or --replay FILE|DIR");
    if (!args.record.empty() && (args.label.empty() || args.user.empty()))
        throw UsageError("--record needs --label NAME and --user NAME");
    Model model = read_keras_h5(args.model);
    // Without names a class shows as "class<i>" (live_view.hpp).
    const std::vector<std::string> names = resolve_class_names(model, args.classes, args.model, "--classes", false);
    LiveSession session(model);

    std::optional<DatalogRecorder> recorder;
    if (!args.record.empty()) recorder.emplace(args.record, args.label, args.user, args.rotate);

    std::unique_ptr<FrameSource> source;
    LiveViewInfo info;
    info.class_names = names;
    if (!args.replay.empty()) {
        source = std::make_unique<ReplaySource>(args.replay, args.speed);
        info.source = "replay " + args.replay;
    } else {
        source = std::make_unique<SerialSource>(SerialOptions{args.port, args.baud, args.reconnect});
        info.source = args.port + " @ " + std::to_string(args.baud) + " baud";
    }

    g_stop = 0;
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    const bool tty = !args.json && isatty(STDOUT_FILENO);
    std::optional<std::string> failure;
    double total_us = 0;
    PostureChangeLog changes;  // stdout is a pipe or a file: one line per posture change
    {
        ScreenGuard screen(tty);
        SensorFrame frame;
        try {
            while (!g_stop && (args.max_frames <= 0 || session.counters().frames < args.max_frames)) {
                SourceEvent event = source->next(frame);
                if (event == SourceEvent::end) break;
                if (event == SourceEvent::idle) continue;
                if (event == SourceEvent::malformed) {
                    session.count_malformed();
                    info.status = source->problem();
                    continue;
                }
                if (event == SourceEvent::vanished) {
                    if (recorder) recorder->flush();  // close the current file: nothing received is lost
                    info.status = source->problem();
                    if (args.json || !tty) std::fprintf(stderr, "handposture: %s\n", info.status.c_str());
                    if (!args.reconnect) failure = source->problem();
                    continue;
                }
                const LiveResult& result = session.process(frame);
                if (recorder) recorder->add(frame);
                total_us += result.processing_us;
                info.mean_processing_us = total_us / double(session.counters().frames);
                if (args.json) {
                    std::printf("%s\n", live_result_json(result, names).c_str());
                } else if (tty) {
                    std::fputs(("\x1b[H" + render_live_view(frame, session, info, true) + "\x1b[J").c_str(), stdout);
                } else if (auto line = changes.update(frame, result, names)) {
                    std::printf("%s\n", line->c_str());
                }
                std::fflush(stdout);
            }
        } catch (...) {
            if (recorder) recorder->flush();
            throw;
        }
        source.reset();  // sends `disable` to the board
        if (recorder) recorder->flush();
    }
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);

    const LiveCounters& c = session.counters();
    std::fprintf(stderr, "handposture live: %ld frames (%ld invalid), %ld malformed, mean processing %.2f us/frame\n",
                 c.frames, c.invalid_frames, c.malformed_lines, c.frames ? total_us / double(c.frames) : 0.0);
    if (recorder)
        std::fprintf(stderr, "handposture live: recorded %ld frames in %d files under %s\n", recorder->frames_written(),
                     recorder->files_written(), recorder->folder().string().c_str());
    if (failure) throw Error(*failure);
}

}  // namespace

void add_live_commands(CLI::App& app)
{
    auto args = std::make_shared<LiveArgs>();
    CLI::App* cmd = app.add_subcommand("live", "Run a model on a board's frames as they arrive, or on recorded datalogs");
    cmd->add_option("--port", args->port, "Serial port of the board running ST's demo firmware (e.g. /dev/ttyACM0)");
    cmd->add_option("--baud", args->baud, "Baud rate")->capture_default_str();
    cmd->add_option("--model", args->model, "Keras .h5 model")->required();
    cmd->add_option("--classes", args->classes, "Class names of the model (default: from the model, or ST's 8)")
        ->delimiter(',');
    cmd->add_option("--replay", args->replay, "Replay a datalog .npz, or every .npz under a folder, instead of a port");
    cmd->add_option("--speed", args->speed, "Replay speed: 1 = sensor rate (100 ms/frame), 0 = as fast as possible")
        ->capture_default_str();
    cmd->add_option("--max-frames", args->max_frames, "Stop after this many frames (0: no limit)");
    cmd->add_flag("--json", args->json,
                  "Print one JSON object per frame on stdout instead of the terminal view (when stdout is not a "
                  "terminal, the default is one line per posture change)");
    cmd->add_option("--record", args->record, "Record the frames as ST datalogs under this folder");
    cmd->add_option("--label", args->label, "Posture being recorded (with --record)");
    cmd->add_option("--user", args->user, "Person being recorded (with --record)");
    cmd->add_option("--rotate", args->rotate, "Frames per recorded .npz file")->capture_default_str();
    cmd->add_flag("--reconnect", args->reconnect, "When the device vanishes, wait for it to come back");
    cmd->callback([args] { run_live(*args); });
}

}  // namespace hp::cli
