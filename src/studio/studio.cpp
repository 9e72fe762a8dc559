#include "studio/studio.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>

#include "codegen/embedded_files.hpp"
#include "codegen/package.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "hp_preprocess.h"
#include "live/live_view.hpp"
#include "live/replay_source.hpp"
#include "live/serial_source.hpp"
#include "live/session.hpp"
#include "model/class_names.hpp"
#include "model/model_file.hpp"
#include "studio/calibration_job.hpp"
#include "studio/event_hub.hpp"
#include "studio/recordings.hpp"
#include "studio/run_program.hpp"

namespace hp::studio {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

Model read_model(const StudioOptions& o)
{
    if (!fs::exists(o.model)) throw Error(o.model, "model file not found");
    Model model = read_keras_h5(o.model);
    model.class_names = resolve_class_names(model, o.classes, o.model.string(), "--classes");
    return model;
}

std::vector<std::string> guided_postures(const StudioOptions& o, const std::vector<std::string>& names)
{
    if (o.postures.empty()) return names;
    for (const std::string& p : o.postures)
        if (std::find(names.begin(), names.end(), p) == names.end())
            throw Error("--postures " + p, "not one of the model's classes");
    return o.postures;
}

std::unique_ptr<FrameSource> open_source(const StudioOptions& o)
{
    if (!o.replay.empty()) return std::make_unique<ReplaySource>(o.replay, o.speed);
    // An unplugged board is waited for: the page stays up and says so.
    return std::make_unique<SerialSource>(SerialOptions{o.port, o.baud, true});
}

// A zone the preprocessing can use (hp_preprocess.h rule 1); the page marks the others.
bool zone_valid(const SensorFrame& f, size_t z)
{
    return hp_zone_status_valid(f.target_status[z]) && (f.nb_targets.empty() || f.nb_targets[z] > 0);
}

json frame_json(const SensorFrame& f, const LiveResult& r, const LiveCounters& c, long dropped,
                const std::vector<std::string>& names)
{
    std::vector<bool> valid(size_t(f.zones));
    for (size_t z = 0; z < valid.size(); z++) valid[z] = zone_valid(f, z);
    std::vector<float> scores(names.size());
    for (size_t i = 0; i < names.size(); i++) scores[i] = class_score(r, int(i));
    return {{"frame", f.frame_counter},  {"tick_ms", f.tick_ms},        {"zones", f.zones},
            {"distance", f.distance_mm}, {"signal", f.signal_per_spad}, {"zone_valid", valid},
            {"valid", r.valid},          {"scores", scores},            {"raw", r.raw_class},
            {"filtered", r.filtered_class}, {"raw_name", class_name_of(names, r.raw_class)},
            {"filtered_name", class_name_of(names, r.filtered_class)},
            {"fps", c.fps},              {"frames", c.frames},          {"invalid_frames", c.invalid_frames},
            {"malformed", c.malformed_lines}, {"dropped", dropped},     {"processing_us", r.processing_us}};
}

// JSON text; bytes that are not UTF-8 (a path, a device name) become U+FFFD instead of an exception.
std::string text(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void reply(httplib::Response& res, int status, const json& body)
{
    res.status = status;
    res.set_content(text(body), "application/json");
}

json request_body(const httplib::Request& req)
{
    if (req.body.empty()) return json::object();
    json body = json::parse(req.body, nullptr, false);
    if (!body.is_object()) throw Error("request", "the body is not a JSON object");
    return body;
}

}  // namespace

struct Studio::Impl {
    StudioOptions options;
    Model model;
    std::vector<std::string> postures;
    std::string source_name;
    std::unique_ptr<FrameSource> source;
    LiveSession session;
    Recordings recordings;
    EventHub hub;
    CalibrationJob calibration;
    httplib::Server server;
    std::thread reader;
    std::atomic<bool> stopping{false};
    std::mutex mutex;           // guards status and last_frame
    std::mutex deploy_mutex;    // one deploy at a time
    std::string status = "starting";
    std::string last_frame;     // the newest frame event, for pages that connect
    long dropped = 0, last_counter = -1;

    explicit Impl(StudioOptions o)
        : options(std::move(o)),
          model(read_model(options)),
          postures(guided_postures(options, model.class_names)),
          source(open_source(options)),
          session(model),
          recordings(options.out / "recordings", std::lround(options.record_seconds * 10)),
          calibration(model,
                      CalibrationSetup{options.out / "recordings",
                                       options.base_data.empty() ? default_dataset_path() : options.base_data,
                                       options.out / "calibrated.h5", options.calibration_frames, options.calibration},
                      [this] { publish_state(); })
    {
        source_name = options.replay.empty() ? options.port + " @ " + std::to_string(options.baud) + " baud"
                                             : "replay " + options.replay.string();
        routes();
    }

    ~Impl()
    {
        stop();
        if (reader.joinable()) reader.join();
    }

    void set_status(const std::string& s)
    {
        std::lock_guard<std::mutex> lock(mutex);
        status = s;
    }

    json state_json()
    {
        json out = {{"source", source_name},
                    {"model", options.model.string()},
                    {"classes", model.class_names},
                    {"postures", postures},
                    {"user", options.user},
                    {"record_seconds", options.record_seconds},
                    {"takes", options.takes},
                    {"countdown_seconds", options.countdown_seconds},
                    {"calibration_frames", options.calibration_frames},
                    {"recordings", recordings.to_json()},
                    {"calibration", calibration.to_json()},
                    {"deploy_command", "handposture deploy --model " + (options.out / "calibrated.h5").string() +
                                           " --target cortex-m4 --out " + package_folder("cortex-m4").string()},
                    {"deploy_targets", options.cli.empty() ? std::vector<std::string>{} : codegen::deploy_targets()}};
        std::lock_guard<std::mutex> lock(mutex);
        out["status"] = status;
        return out;
    }

    std::filesystem::path package_folder(const std::string& target) const { return options.out / ("mcu_" + target); }

    void publish_state() { hub.publish("state", text(state_json())); }

    // A take cut short by the source: its frames so far are written, and every page told.
    void interrupt(const std::string& why)
    {
        set_status(why);
        recordings.stop("interrupted: " + why);
        publish_state();
    }

    void on_frame(const SensorFrame& frame)
    {
        const LiveResult* result = nullptr;
        try {
            result = &session.process(frame);
        } catch (const Error& e) {  // a frame of another size than the model's
            session.count_malformed();
            set_status(e.what());
            return;
        }
        if (last_counter >= 0 && frame.frame_counter > last_counter + 1) dropped += frame.frame_counter - last_counter - 1;
        last_counter = frame.frame_counter;
        const bool take_ended = recordings.add(frame);
        json event = frame_json(frame, *result, session.counters(), dropped, model.class_names);
        event["recording"] = recordings.to_json()["active"];
        const std::string frame_text = text(event);
        bool was_problem;
        {
            // Published under the lock that a new page takes to read last_frame and the hub's
            // newest event together: it gets each frame once, never twice.
            std::lock_guard<std::mutex> lock(mutex);
            last_frame = frame_text;
            was_problem = status != "receiving";
            status = "receiving";
            hub.publish("frame", frame_text);
        }
        if (take_ended || was_problem) publish_state();
    }

    void on_end()
    {
        if (options.loop) {
            source = open_source(options);
            last_counter = -1;
            return;
        }
        source.reset();
        interrupt("the replay ended");
    }

    void read_frames()
    {
        SensorFrame frame;
        while (!stopping) {
            if (!source) {
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
                continue;
            }
            SourceEvent event;
            try {
                event = source->next(frame);
            } catch (const std::exception& e) {  // a datalog that cannot be read
                source.reset();
                interrupt(e.what());
                continue;
            }
            switch (event) {
            case SourceEvent::frame:
                try {
                    on_frame(frame);
                } catch (const std::exception& e) {  // the server goes on; the page shows why
                    set_status(e.what());
                }
                break;
            case SourceEvent::malformed:
                session.count_malformed();
                set_status(source->problem());
                break;
            case SourceEvent::vanished: interrupt(source->problem()); break;
            case SourceEvent::end: on_end(); break;
            case SourceEvent::idle: break;
            }
        }
        source.reset();  // a board gets `disable`
        recordings.stop("stopped: server shut down");
    }

    void stop()
    {
        stopping = true;
        hub.close();
        server.stop();
    }

    void serve_file(const char* path, const char* type)
    {
        const std::string text(codegen::embedded_file(std::string("web/studio/") + path));
        server.Get(std::string("/") + (std::string(path) == "index.html" ? "" : path),
                   [text, type](const httplib::Request&, httplib::Response& res) {
                       res.set_header("Cache-Control", "no-store");
                       res.set_content(text, type);
                   });
    }

    void routes();
    void route_deploy();
    void route_events();
    void route_recording();
    void route_calibration();
};

void Studio::Impl::route_events()
{
    server.Get("/events", [this](const httplib::Request&, httplib::Response& res) {
        res.set_header("Cache-Control", "no-store");
        auto cursor = std::make_shared<uint64_t>(0);
        auto started = std::make_shared<bool>(false);
        res.set_chunked_content_provider("text/event-stream", [this, cursor, started](size_t, httplib::DataSink& sink) {
            if (hub.closed()) return false;
            std::string out;
            if (!*started) {  // the state and the newest frame at once, so the page draws without waiting
                *started = true;
                out = "retry: 1000\n\nevent: state\ndata: " + text(state_json()) + "\n\n";
                std::lock_guard<std::mutex> lock(mutex);
                *cursor = hub.newest();
                if (!last_frame.empty()) out += "event: frame\ndata: " + last_frame + "\n\n";
            } else {
                for (const std::string& e : hub.wait_after(*cursor, 1000)) out += e;
                if (out.empty()) out = ": idle\n\n";  // finds out a closed tab within a second
            }
            return !hub.closed() && sink.write(out.data(), out.size());
        });
    });
}

void Studio::Impl::route_recording()
{
    server.Post("/api/record/start", [this](const httplib::Request& req, httplib::Response& res) {
        try {
            const json body = request_body(req);
            const std::string label = body.value("label", ""), user = body.value("user", options.user);
            const auto& names = model.class_names;
            if (std::find(names.begin(), names.end(), label) == names.end())
                return reply(res, 400, {{"error", "label '" + label + "': not one of the model's classes"}});
            if (recordings.active()) return reply(res, 409, {{"error", "a take is running; stop it first"}});
            recordings.start(label, user);
        } catch (const std::exception& e) {
            return reply(res, 400, {{"error", e.what()}});
        }
        publish_state();
        reply(res, 200, state_json());
    });
    server.Post("/api/record/stop", [this](const httplib::Request&, httplib::Response& res) {
        recordings.stop("stopped");
        publish_state();
        reply(res, 200, state_json());
    });
}

void Studio::Impl::route_calibration()
{
    server.Post("/api/calibrate", [this](const httplib::Request&, httplib::Response& res) {
        if (recordings.active()) return reply(res, 409, {{"error", "a take is running; wait for it or stop it"}});
        if (recordings.to_json()["takes"].empty() && !fs::exists(options.out / "recordings"))
            return reply(res, 400, {{"error", "nothing recorded yet"}});
        if (!calibration.start()) return reply(res, 409, {{"error", "a calibration is running"}});
        reply(res, 202, calibration.to_json());
    });
    server.Get("/api/calibration", [this](const httplib::Request&, httplib::Response& res) {
        reply(res, 200, calibration.to_json());
    });
    server.Get("/api/model", [this](const httplib::Request&, httplib::Response& res) {
        if (!calibration.has_model()) return reply(res, 404, {{"error", "no calibrated model yet"}});
        try {
            const std::vector<unsigned char> bytes = read_file_bytes(calibration.setup().out_model);
            res.set_header("Content-Disposition", "attachment; filename=\"calibrated.h5\"");
            res.set_content(std::string(bytes.begin(), bytes.end()), "application/octet-stream");
        } catch (const std::exception& e) {
            reply(res, 500, {{"error", e.what()}});
        }
    });
}

void Studio::Impl::route_deploy()
{
    // `handposture deploy` itself, so the package is the command line's, sizes measured and all.
    server.Post("/api/deploy", [this](const httplib::Request& req, httplib::Response& res) {
        if (options.cli.empty()) return reply(res, 501, {{"error", "deploy from the page is not available here"}});
        if (!calibration.has_model()) return reply(res, 404, {{"error", "no calibrated model yet"}});
        std::string target;
        try {
            target = request_body(req).value("target", "cortex-m4");
        } catch (const std::exception& e) {
            return reply(res, 400, {{"error", e.what()}});
        }
        const auto& targets = codegen::deploy_targets();
        if (std::find(targets.begin(), targets.end(), target) == targets.end())
            return reply(res, 400, {{"error", "target '" + target + "': not a deploy target"}});
        std::lock_guard<std::mutex> lock(deploy_mutex);
        const fs::path folder = package_folder(target);
        const ProgramOutput r = run_program({options.cli.string(), "deploy", "--model", calibration.setup().out_model.string(),
                                             "--target", target, "--out", folder.string()});
        reply(res, r.exit_code == 0 ? 200 : 500,
              {{"exit_code", r.exit_code}, {"output", r.output}, {"folder", folder.string()}, {"target", target}});
    });
}

void Studio::Impl::routes()
{
    serve_file("index.html", "text/html; charset=utf-8");
    serve_file("studio.js", "text/javascript; charset=utf-8");
    serve_file("studio.css", "text/css; charset=utf-8");
    server.Get("/api/state", [this](const httplib::Request&, httplib::Response& res) { reply(res, 200, state_json()); });
    route_events();
    route_recording();
    route_calibration();
    route_deploy();
    // one thread per open page's event stream, plus the requests
    server.new_task_queue = [] { return new httplib::ThreadPool(16); };
    server.set_payload_max_length(64 * 1024);
    server.set_keep_alive_timeout(1);  // idle connections of closed pages do not hold up a stop
    // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a second studio on the
    // same port would share it silently instead of failing.
    server.set_socket_options([](int sock) {
        int yes = 1;
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
}

Studio::Studio(StudioOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Studio::~Studio() = default;

int Studio::bind()
{
    const StudioOptions& o = impl_->options;
    const std::string where = "--listen " + o.host + ":" + std::to_string(o.http_port);
    if (o.http_port == 0) {
        const int port = impl_->server.bind_to_any_port(o.host);
        if (port < 0) throw Error(where, "cannot listen there");
        return port;
    }
    if (!impl_->server.bind_to_port(o.host, o.http_port)) throw Error(where, "cannot listen there (in use?)");
    return o.http_port;
}

void Studio::serve()
{
    impl_->set_status("waiting for frames");
    impl_->reader = std::thread([this] { impl_->read_frames(); });
    const bool ok = impl_->server.listen_after_bind();
    impl_->stop();
    impl_->reader.join();
    if (!ok && !impl_->stopping) throw Error("studio", "the HTTP server stopped");
}

void Studio::stop() { impl_->stop(); }

}  // namespace hp::studio
