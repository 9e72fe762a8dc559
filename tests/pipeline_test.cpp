// The per-frame pipeline (runtime/hp_pipeline.h) with a stand-in network that records its calls:
// valid frames reach the network and its scores come out; frames without a usable target (no
// valid zone, no target counted, nearest target too near or too far) skip it, score all 0 and
// give class 0, as ST's firmware does (app_network.c); the label filter follows ST's rule.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "hp_pipeline.h"

namespace {

constexpr int kZones = 64;

// A network that counts its calls and answers fixed scores (ST's firmware would see the same).
struct FakeNetwork {
    std::vector<float> answer;
    int calls = 0;
    bool fail = false;
    std::vector<float> last_input;
};

int fake_run(void* context, const float* input, float* scores)
{
    auto* net = static_cast<FakeNetwork*>(context);
    net->calls++;
    net->last_input.assign(input, input + 2 * kZones);
    if (net->fail) return -1;
    for (size_t o = 0; o < net->answer.size(); o++) scores[o] = net->answer[o];
    return 0;
}

// A raw sensor frame: a hand at `distance` mm in the middle, background at 900 mm.
struct RawFrame {
    std::vector<float> distance, signal, status, nb;
    explicit RawFrame(float hand_distance)
        : distance(kZones, 900.0f), signal(kZones, 30.0f), status(kZones, 5.0f), nb(kZones, 1.0f)
    {
        for (int z : {27, 28, 35, 36}) {
            distance[size_t(z)] = hand_distance;
            signal[size_t(z)] = 800.0f;
        }
    }
};

// Where the pipeline writes a frame's outcome (a package's hp_result holds the same fields).
struct Outcome {
    int valid, raw_class, filtered_class;
};

class Pipeline : public ::testing::Test {
protected:
    FakeNetwork net{{0.01f, 0.02f, 0.95f, 0.02f}, 0, false, {}};
    std::vector<float> tensor = std::vector<float>(2 * kZones, -99.0f);
    hp_preprocess_config preprocess = HP_PREPROCESS_DEFAULTS;
    hp_postprocess_config postprocess = HP_POSTPROCESS_DEFAULTS;
    hp_pipeline pipeline{&preprocess, &postprocess, kZones, 4, fake_run, &net, tensor.data()};
    hp_label_filter filter{};
    std::vector<float> scores = std::vector<float>(4, 7.0f);  // garbage the pipeline must overwrite
    Outcome result{-1, -1, -1};

    void SetUp() override { hp_label_filter_init(&filter); }

    int run(const RawFrame& f, bool nb_known = true)
    {
        return hp_pipeline_frame(&pipeline, &filter, f.distance.data(), f.signal.data(), f.status.data(),
                                 nb_known ? f.nb.data() : nullptr, scores.data(), &result.valid, &result.raw_class,
                                 &result.filtered_class);
    }

    void expect_invalid_and_skipped(const char* what)
    {
        EXPECT_EQ(net.calls, 0) << what;
        EXPECT_EQ(result.valid, 0) << what;
        EXPECT_EQ(scores, std::vector<float>(4, 0.0f)) << what;
        EXPECT_EQ(result.raw_class, 0) << what;
    }
};

}  // namespace

TEST_F(Pipeline, ValidFrameGoesThroughTheNetworkAndThresholdedArgmax)
{
    ASSERT_EQ(run(RawFrame(200.0f)), 0);
    EXPECT_EQ(net.calls, 1);
    EXPECT_EQ(result.valid, 1);
    EXPECT_EQ(scores, net.answer);
    EXPECT_EQ(result.raw_class, 2);       // 0.95 > 0.9
    EXPECT_EQ(result.filtered_class, 0);  // one frame is not a run yet
    // The network saw the normalized frame: hand zone 27 (200 mm, 800), background zone 0
    // (900 mm > 200 + 120: removed -> 4000 mm, signal 0); SPEC §5 constants written out.
    ASSERT_EQ(net.last_input.size(), size_t(2 * kZones));
    EXPECT_FLOAT_EQ(net.last_input[2 * 27], (200.0f - 295.0f) / 196.0f);
    EXPECT_FLOAT_EQ(net.last_input[2 * 27 + 1], (800.0f - 281.0f) / 452.0f);
    EXPECT_FLOAT_EQ(net.last_input[0], (4000.0f - 295.0f) / 196.0f);
    EXPECT_FLOAT_EQ(net.last_input[1], (0.0f - 281.0f) / 452.0f);
}

TEST_F(Pipeline, UnsureNetworkGivesNone)
{
    net.answer = {0.3f, 0.3f, 0.35f, 0.05f};
    ASSERT_EQ(run(RawFrame(200.0f)), 0);
    EXPECT_EQ(net.calls, 1);
    EXPECT_EQ(result.valid, 1);
    EXPECT_EQ(result.raw_class, 0);
}

TEST_F(Pipeline, FrameWithoutValidZoneSkipsTheNetwork)
{
    RawFrame f(200.0f);
    for (float& s : f.status) s = 255.0f;  // no zone ranged
    ASSERT_EQ(run(f), 0);
    expect_invalid_and_skipped("no valid zone");
}

TEST_F(Pipeline, FrameWithNoTargetCountedSkipsTheNetwork)
{
    RawFrame f(200.0f);
    for (float& n : f.nb) n = 0.0f;  // statuses say valid, but no target was detected anywhere
    ASSERT_EQ(run(f), 0);
    expect_invalid_and_skipped("no target");
}

TEST_F(Pipeline, OnlyTheHandZonesValidIsEnough)
{
    RawFrame f(200.0f);
    for (int z = 0; z < kZones; z++)
        if (f.distance[size_t(z)] != 200.0f) f.status[size_t(z)] = 4.0f;  // background not ranged
    ASSERT_EQ(run(f), 0);
    EXPECT_EQ(net.calls, 1);
    EXPECT_EQ(result.valid, 1);
}

TEST_F(Pipeline, NearestTargetOutOfRangeSkipsTheNetwork)
{
    ASSERT_EQ(run(RawFrame(50.0f)), 0);  // nearer than Min_distance 100
    expect_invalid_and_skipped("too near");
    ASSERT_EQ(run(RawFrame(600.0f)), 0);  // farther than Max_distance 400
    expect_invalid_and_skipped("too far");
}

TEST_F(Pipeline, UnknownTargetCountsAreIgnored)
{
    RawFrame f(200.0f);
    for (float& n : f.nb) n = 0.0f;
    ASSERT_EQ(run(f, false), 0);  // no nb_targets field: statuses alone decide
    EXPECT_EQ(result.valid, 1);
    f.nb[5] = NAN;  // a gap in the field makes it unknown for the whole frame
    ASSERT_EQ(run(f), 0);
    EXPECT_EQ(result.valid, 1);
    EXPECT_EQ(net.calls, 2);
}

TEST_F(Pipeline, LabelFilterRunsOverValidAndInvalidFrames)
{
    // ST's filter (n = 3, keep last valid): a class is shown on the 5th equal raw class in a row;
    // an invalid frame gives raw class 0, which starts a new run but keeps the shown class.
    const std::vector<float> hand = {200, 200, 200, 200, 200, 50, 200};
    const std::vector<int> raw = {2, 2, 2, 2, 2, 0, 2}, shown = {0, 0, 0, 0, 2, 2, 2};
    for (size_t k = 0; k < hand.size(); k++) {
        ASSERT_EQ(run(RawFrame(hand[k])), 0);
        EXPECT_EQ(result.raw_class, raw[k]) << k;
        EXPECT_EQ(result.filtered_class, shown[k]) << k;
    }
    EXPECT_EQ(net.calls, 6);
}

TEST_F(Pipeline, TwoClassSigmoidOutput)
{
    net.answer = {0.97f};
    pipeline.outputs = 1;
    ASSERT_EQ(run(RawFrame(200.0f)), 0);
    EXPECT_EQ(result.raw_class, 1);
    EXPECT_EQ(scores[0], 0.97f);
    EXPECT_EQ(scores[1], 7.0f);  // only `outputs` scores are written
    ASSERT_EQ(run(RawFrame(50.0f)), 0);
    EXPECT_EQ(scores[0], 0.0f);
    EXPECT_EQ(scores[1], 7.0f);
}

TEST_F(Pipeline, FailuresReturnMinusOneAndLeaveTheFilter)
{
    for (int k = 0; k < 3; k++) ASSERT_EQ(run(RawFrame(200.0f)), 0);
    const hp_label_filter before = filter;
    net.fail = true;
    EXPECT_EQ(run(RawFrame(200.0f)), -1);
    EXPECT_EQ(filter.candidate, before.candidate);
    EXPECT_EQ(filter.run_length, before.run_length);
    EXPECT_EQ(filter.shown, before.shown);

    RawFrame f(200.0f);
    pipeline.zones = 32;  // no sensor mode
    EXPECT_EQ(run(f), -1);
    pipeline.zones = kZones;
    int* const valid = &result.valid;
    int* const raw = &result.raw_class;
    int* const shown = &result.filtered_class;
    EXPECT_EQ(hp_pipeline_frame(&pipeline, &filter, nullptr, f.signal.data(), f.status.data(), nullptr, scores.data(),
                                valid, raw, shown),
              -1);
    EXPECT_EQ(hp_pipeline_frame(&pipeline, nullptr, f.distance.data(), f.signal.data(), f.status.data(), nullptr,
                                scores.data(), valid, raw, shown),
              -1);
    // Every place the outcome goes must be there.
    const float* d = f.distance.data();
    const float* s = f.signal.data();
    const float* t = f.status.data();
    EXPECT_EQ(hp_pipeline_frame(&pipeline, &filter, d, s, t, nullptr, nullptr, valid, raw, shown), -1);
    EXPECT_EQ(hp_pipeline_frame(&pipeline, &filter, d, s, t, nullptr, scores.data(), nullptr, raw, shown), -1);
    EXPECT_EQ(hp_pipeline_frame(&pipeline, &filter, d, s, t, nullptr, scores.data(), valid, nullptr, shown), -1);
    EXPECT_EQ(hp_pipeline_frame(&pipeline, &filter, d, s, t, nullptr, scores.data(), valid, raw, nullptr), -1);
    EXPECT_EQ(hp_pipeline_frame(nullptr, &filter, d, s, t, nullptr, scores.data(), valid, raw, shown), -1);
    pipeline.postprocess = nullptr;
    EXPECT_EQ(run(f), -1);
    pipeline.postprocess = &postprocess;
    pipeline.preprocess = nullptr;
    EXPECT_EQ(run(f), -1);
    pipeline.preprocess = &preprocess;
    pipeline.network = nullptr;
    EXPECT_EQ(run(f), -1);
    EXPECT_EQ(net.calls, 4);  // only the first four frames reached the network
    EXPECT_EQ(filter.candidate, before.candidate);
}

TEST(GridSide, OfTheSensorsModes)
{
    EXPECT_EQ(hp_grid_side(16), 4);
    EXPECT_EQ(hp_grid_side(64), 8);
    EXPECT_EQ(hp_grid_side(32), 0);
    EXPECT_EQ(hp_grid_side(0), 0);
}
