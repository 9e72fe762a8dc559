// `handposture studio`'s server: the event fan-out, and the HTTP endpoints driven by a real
// HTTP client (cpp-httplib's) against a replay of a datalog written here. References: the
// datalog's own frames, the page files in the source tree, the model's known winning class.
// The page in a browser and the calibration end to end: tests/studio/studio_check.js.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.hpp"
#include "core/postures.hpp"
#include "data/datalog.hpp"
#include "model/model_file.hpp"
#include "studio/event_hub.hpp"
#include "studio/studio.hpp"
#include "test_support.hpp"

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// --- EventHub ------------------------------------------------------------------------------------

TEST(StudioEventHub, ReadersGetEveryEventInOrderAndALaggingOneSkipsToTheNewest)
{
    hp::studio::EventHub hub(4);
    uint64_t a = hub.newest(), b = hub.newest();
    hub.publish("frame", "1");
    hub.publish("frame", "2");
    EXPECT_EQ(hub.wait_after(a, 0), (std::vector<std::string>{"event: frame\ndata: 1\n\n", "event: frame\ndata: 2\n\n"}));
    for (int i = 3; i <= 9; i++) hub.publish("frame", std::to_string(i));
    const auto lagging = hub.wait_after(b, 0);  // kept the last 4 only
    ASSERT_EQ(lagging.size(), 4u);
    EXPECT_EQ(lagging.front(), "event: frame\ndata: 6\n\n");
    EXPECT_EQ(lagging.back(), "event: frame\ndata: 9\n\n");
    EXPECT_EQ(hub.wait_after(a, 0).size(), 4u);
    EXPECT_TRUE(hub.wait_after(a, 10).empty());  // nothing new: times out
}

TEST(StudioEventHub, CloseWakesAWaitingReader)
{
    hp::studio::EventHub hub;
    uint64_t cursor = hub.newest();
    std::thread closer([&] {
        std::this_thread::sleep_for(50ms);
        hub.close();
    });
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(hub.wait_after(cursor, 5000).empty());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    EXPECT_TRUE(hub.closed());
    closer.join();
}

// --- The server ----------------------------------------------------------------------------------

// Zero weights and a bias that makes class 3 (Love) win: the raw class of every valid frame.
hp::Model love_model()
{
    hp::Model m = hp::cnn2d_st_model(hp::ModelShape{}, hp::st_default_classes());
    hp::test::st_weights(m).dense2_bias[3] = 10.0f;
    return m;
}

// 40 frames; frame f: distance 200 + f mm (zone 9: 230 + f), signal 300 + zone; zone 5 invalid.
hp::Datalog test_log()
{
    hp::Datalog log;
    log.zones = 64;
    log.frames = 40;
    for (int f = 0; f < log.frames; f++) {
        for (int z = 0; z < 64; z++) {
            log.distance_mm.push_back(float(200 + f + (z == 9 ? 30 : 0)));
            log.signal_per_spad.push_back(float(300 + z));
            log.target_status.push_back(z == 5 ? 255.0f : 5.0f);
            log.valid.push_back(1.0f);
        }
        log.posture_code.push_back(21);
    }
    return log;
}

struct Server {
    hp::test::ScratchDir dir;
    std::unique_ptr<hp::studio::Studio> studio;
    std::thread thread;
    int port = 0;
    std::unique_ptr<httplib::Client> client;

    explicit Server(double record_seconds = 1)
    {
        hp::write_keras_h5(dir / "love.h5", love_model());
        hp::write_datalog_file(dir / "replay/log.npz", test_log());
        hp::studio::StudioOptions o;
        o.replay = dir / "replay";
        o.speed = 4;  // 25 ms per frame
        o.loop = true;
        o.model = dir / "love.h5";
        o.http_port = 0;
        o.out = dir / "out";
        o.record_seconds = record_seconds;
        o.postures = {"Like", "Love"};
        studio = std::make_unique<hp::studio::Studio>(o);
        port = studio->bind();
        thread = std::thread([this] { studio->serve(); });
        client = std::make_unique<httplib::Client>("127.0.0.1", port);
    }
    ~Server()
    {
        studio->stop();
        thread.join();
    }

    json get(const std::string& path, int status = 200)
    {
        auto res = client->Get(path);
        EXPECT_TRUE(res) << path;
        if (!res) return nullptr;
        EXPECT_EQ(res->status, status) << path << ": " << res->body;
        return json::parse(res->body);
    }
    json post(const std::string& path, const std::string& body, int status)
    {
        auto res = client->Post(path, body, "application/json");
        EXPECT_TRUE(res) << path;
        if (!res) return nullptr;
        EXPECT_EQ(res->status, status) << path << ": " << res->body;
        return json::parse(res->body);
    }
    // The first `count` frame events of a new event stream.
    std::vector<json> frames(size_t count)
    {
        httplib::Client c("127.0.0.1", port);
        std::string buffer;
        std::vector<json> out;
        c.Get("/events", [&](const char* data, size_t n) {
            buffer.append(data, n);
            for (size_t end; (end = buffer.find("\n\n")) != std::string::npos; buffer.erase(0, end + 2)) {
                const std::string message = buffer.substr(0, end);
                if (message.rfind("event: frame\ndata: ", 0) == 0) out.push_back(json::parse(message.substr(19)));
            }
            return out.size() < count;
        });
        return out;
    }
};

TEST(StudioServer, ServesThePageFromTheBinary)
{
    Server s;
    for (const char* file : {"index.html", "studio.js", "studio.css"}) {
        auto res = s.client->Get(std::string("/") + (std::string(file) == "index.html" ? "" : file));
        ASSERT_TRUE(res);
        EXPECT_EQ(res->status, 200);
        EXPECT_EQ(res->body, hp::test::read_text(std::filesystem::path(HP_SOURCE_DIR) / "web/studio" / file)) << file;
    }
    auto missing = s.client->Get("/nothing-here");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404);
}

TEST(StudioServer, StateNamesTheModelsClassesAndThePosturesAsked)
{
    Server s;
    const json state = s.get("/api/state");
    EXPECT_EQ(state["classes"].get<std::vector<std::string>>(), hp::st_default_classes());
    EXPECT_EQ(state["postures"], json({"Like", "Love"}));
    EXPECT_EQ(state["recordings"]["frames_per_take"], 10);
    EXPECT_TRUE(state["recordings"]["active"].is_null());
    EXPECT_EQ(state["calibration"]["status"], "idle");
}

TEST(StudioServer, EventStreamCarriesEachFrameOfTheSource)
{
    Server s;
    const hp::Datalog log = test_log();
    const std::vector<json> frames = s.frames(12);
    ASSERT_EQ(frames.size(), 12u);
    for (size_t k = 1; k < frames.size(); k++) {  // the first is the newest frame when connecting
        const json& f = frames[k];
        const long counter = f["frame"];
        EXPECT_EQ(counter, frames[k - 1]["frame"].get<long>() + 1);
        const int in_log = int(counter % log.frames);  // the replay loops
        std::vector<float> distance(log.distance_mm.begin() + in_log * 64, log.distance_mm.begin() + in_log * 64 + 64);
        EXPECT_EQ(f["distance"].get<std::vector<float>>(), distance) << counter;
        EXPECT_EQ(f["signal"][10].get<float>(), 310.0f);
        EXPECT_FALSE(f["zone_valid"][5].get<bool>());
        EXPECT_TRUE(f["zone_valid"][6].get<bool>());
        EXPECT_TRUE(f["valid"].get<bool>());
        EXPECT_EQ(f["raw_name"], "Love");
        EXPECT_GT(f["scores"][3].get<float>(), 0.9f);
        EXPECT_EQ(f["scores"].size(), 8u);
        EXPECT_EQ(f["malformed"], 0);
        EXPECT_EQ(f["dropped"], 0);
    }
}

TEST(StudioServer, RecordsOneTakeAsADatalogOfConsecutiveFrames)
{
    Server s;
    EXPECT_EQ(s.post("/api/record/start", R"({"label": "Fxxk"})", 400)["error"],
              "label 'Fxxk': not one of the model's classes");
    EXPECT_EQ(s.post("/api/record/start", "not json", 400)["error"], "request: the body is not a JSON object");
    EXPECT_EQ(s.post("/api/record/start", R"({"label": "Like", "user": "a/b"})", 400)["error"],
              "--user a/b: must be a non-empty name without \"__\" or '/'");
    s.post("/api/record/start", R"({"label": "Like", "user": "Ann"})", 200);
    EXPECT_EQ(s.post("/api/record/start", R"({"label": "Love"})", 409)["error"], "a take is running; stop it first");
    EXPECT_EQ(s.post("/api/calibrate", "", 409)["error"], "a take is running; wait for it or stop it");
    json take;
    for (int i = 0; i < 200 && take.is_null(); i++) {
        std::this_thread::sleep_for(20ms);
        const json r = s.get("/api/state")["recordings"];
        if (r["active"].is_null() && r["takes"].size() == 1) take = r["takes"][0];
    }
    ASSERT_FALSE(take.is_null()) << "the take did not end";
    EXPECT_EQ(take["ended"], "done");
    EXPECT_EQ(take["frames"], 10);
    EXPECT_EQ(take["label"], "Like");
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(take["folder"].get<std::string>())) files.push_back(e.path());
    ASSERT_EQ(files.size(), 1u);
    EXPECT_NE(files[0].filename().string().find("data_Like__Ann__1__"), std::string::npos);
    const hp::Datalog recorded = hp::read_datalog_file(files[0]);
    ASSERT_EQ(recorded.frames, 10);
    const int first = int(recorded.distance_mm[0]) - 200;  // which replayed frame the take began with
    for (int f = 0; f < 10; f++)
        EXPECT_EQ(recorded.distance_mm[size_t(f) * 64], float(200 + (first + f) % 40)) << f;
    EXPECT_EQ(recorded.posture_code, std::vector<float>(10, float(*hp::posture_code("Like"))));
}

TEST(StudioServer, StopKeepsTheFramesOfATakeCutShort)
{
    Server s(100);  // a take of 1,000 frames, stopped after a few
    s.post("/api/record/start", R"({"label": "Love"})", 200);
    for (int i = 0; i < 200 && s.get("/api/state")["recordings"]["active"]["frames"].get<long>() < 5; i++)
        std::this_thread::sleep_for(20ms);
    const json r = s.post("/api/record/stop", "", 200)["recordings"];
    ASSERT_EQ(r["takes"].size(), 1u);
    EXPECT_EQ(r["takes"][0]["ended"], "stopped");
    const long frames = r["takes"][0]["frames"];
    EXPECT_GE(frames, 5);
    long on_disk = 0;
    for (const auto& e : std::filesystem::directory_iterator(r["takes"][0]["folder"].get<std::string>()))
        on_disk += hp::read_datalog_file(e.path()).frames;
    EXPECT_EQ(on_disk, frames);
}

TEST(StudioServer, ATakeThatCannotBeWrittenEndsSayingWhyAndTheServerGoesOn)
{
    Server s;
    std::filesystem::create_directories(s.dir / "out/recordings");
    std::ofstream(s.dir / "out/recordings/Like") << "a file where the posture's folder would go";
    s.post("/api/record/start", R"({"label": "Like"})", 200);
    json take;
    for (int i = 0; i < 200 && take.is_null(); i++) {
        std::this_thread::sleep_for(20ms);
        const json r = s.get("/api/state")["recordings"];
        if (r["active"].is_null() && r["takes"].size() == 1) take = r["takes"][0];
    }
    ASSERT_FALSE(take.is_null()) << "the take did not end";
    EXPECT_EQ(take["ended"].get<std::string>().rfind("not saved: ", 0), 0u) << take["ended"];
    EXPECT_EQ(take["frames"], 0);
    EXPECT_EQ(s.frames(3).size(), 3u);  // still streaming
}

TEST(StudioServer, NoModelToDownloadBeforeACalibration)
{
    Server s;
    EXPECT_EQ(s.get("/api/model", 404)["error"], "no calibrated model yet");
    EXPECT_EQ(s.post("/api/deploy", "", 501)["error"], "deploy from the page is not available here");  // no cli given
    EXPECT_EQ(s.post("/api/calibrate", "", 400)["error"], "nothing recorded yet");
    EXPECT_EQ(s.get("/api/calibration")["status"], "idle");
}

TEST(StudioServer, StopsPromptlyWithAPageConnected)
{
    auto s = std::make_unique<Server>();
    std::thread page([port = s->port] {
        httplib::Client c("127.0.0.1", port);
        c.Get("/events", [](const char*, size_t) { return true; });
    });
    std::this_thread::sleep_for(200ms);
    const auto start = std::chrono::steady_clock::now();
    s.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
    page.join();
}

TEST(StudioServer, BadInputIsAnErrorNamingIt)
{
    hp::test::ScratchDir dir;
    hp::studio::StudioOptions o;
    o.replay = dir / "nothing";
    o.model = dir / "missing.h5";
    try {
        hp::studio::Studio studio(o);
        FAIL() << "no error";
    } catch (const hp::Error& e) {
        EXPECT_EQ(std::string(e.what()), (dir / "missing.h5").string() + ": model file not found");
    }
    hp::write_keras_h5(dir / "love.h5", love_model());
    o.model = dir / "love.h5";
    EXPECT_THROW(hp::studio::Studio{o}, hp::Error);  // no such replay folder
    o.postures = {"Like", "Fxxk"};
    hp::write_datalog_file(dir / "replay/log.npz", test_log());
    o.replay = dir / "replay";
    try {
        hp::studio::Studio studio(o);
        FAIL() << "no error";
    } catch (const hp::Error& e) {
        EXPECT_EQ(std::string(e.what()), "--postures Fxxk: not one of the model's classes");
    }
    // A port already taken.
    o.postures.clear();
    o.http_port = 0;
    hp::studio::Studio first(o);
    o.http_port = first.bind();
    hp::studio::Studio second(o);
    EXPECT_THROW(second.bind(), hp::Error);
}

TEST(StudioCli, UsageErrorsAsEveryCommand)
{
    const std::string model = hp::test::shell_quoted(hp::test::st_pretrained_h5());
    auto r = hp::test::run_cli("studio --model " + model);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_EQ(hp::test::lines_of(r.output).at(0), "handposture studio: give either --port DEV or --replay FILE|DIR");
    r = hp::test::run_cli("studio --model " + model + " --replay . --listen localhost:http");
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_EQ(hp::test::lines_of(r.output).at(0),
              "handposture studio: --listen localhost:http: expected HOST:PORT, e.g. 127.0.0.1:8080 (port 0: any free one)");
    r = hp::test::run_cli("studio --model " + model + " --port /dev/nonexistent-board");
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("/dev/nonexistent-board"), std::string::npos) << r.output;
}

}  // namespace
