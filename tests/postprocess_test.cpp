// Postprocessing (runtime/hp_postprocess.c) against sequences traced by hand through ST's demo
// firmware (app_network.c: argmax with THRESHOLD_NN_OUTPUT 0.9, label_filter with LABEL_FILTER_N 3).
#include <gtest/gtest.h>

#include <vector>

#include "hp_postprocess.h"

namespace {

std::vector<int> run_filter(const hp_postprocess_config& config, const std::vector<int>& raw)
{
    hp_label_filter filter;
    hp_label_filter_init(&filter);
    std::vector<int> shown;
    for (int c : raw) shown.push_back(hp_label_filter_update(&config, &filter, c));
    return shown;
}

// raw class per frame; traced state (previous_label, label_count, handposture_label) from (0,0,0).
const std::vector<int> kRaw = {0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 5, 5, 2, 2, 2, 2, 2, 0};

}  // namespace

TEST(Postprocess, RawClassIsThresholdedArgmax)
{
    const hp_postprocess_config config = HP_POSTPROCESS_DEFAULTS;
    const float confident[] = {0.05f, 0.92f, 0.03f};
    const float unsure[] = {0.10f, 0.85f, 0.05f};
    const float none_wins[] = {0.50f, 0.45f, 0.05f};
    const float last[] = {0.0f, 0.05f, 0.95f};
    const float at_threshold[] = {0.05f, 0.9f, 0.05f};
    EXPECT_EQ(hp_raw_class(&config, confident, 3, 1), 1);
    EXPECT_EQ(hp_raw_class(&config, unsure, 3, 1), 0);
    EXPECT_EQ(hp_raw_class(&config, none_wins, 3, 1), 0);
    EXPECT_EQ(hp_raw_class(&config, last, 3, 1), 2);
    EXPECT_EQ(hp_raw_class(&config, at_threshold, 3, 1), 0);  // ST: strictly greater
    EXPECT_EQ(hp_raw_class(&config, confident, 3, 0), 0);     // invalid frame
}

TEST(Postprocess, RawClassFollowsStScanOnNonSoftmaxScores)
{
    const hp_postprocess_config config = HP_POSTPROCESS_DEFAULTS;
    // Class 0 needs no threshold and is beaten only by a larger score above the threshold.
    const float zero_high[] = {0.97f, 0.95f, 0.96f};
    const float tie[] = {0.0f, 0.95f, 0.95f};
    const float later_larger[] = {0.95f, 0.5f, 0.96f};
    EXPECT_EQ(hp_raw_class(&config, zero_high, 3, 1), 0);
    EXPECT_EQ(hp_raw_class(&config, tie, 3, 1), 1);  // first of equal maxima
    EXPECT_EQ(hp_raw_class(&config, later_larger, 3, 1), 2);
}

TEST(Postprocess, SigmoidOutputIsThePairOneMinusSAndS)
{
    hp_postprocess_config config = HP_POSTPROCESS_DEFAULTS;
    const float high = 0.95f, mid = 0.6f, low = 0.05f, s04 = 0.4f;
    EXPECT_EQ(hp_raw_class(&config, &high, 1, 1), 1);
    EXPECT_EQ(hp_raw_class(&config, &mid, 1, 1), 0);  // above 0.5 but not above 0.9
    EXPECT_EQ(hp_raw_class(&config, &low, 1, 1), 0);
    EXPECT_EQ(hp_raw_class(&config, &high, 1, 0), 0);
    config.score_threshold = 0.3f;  // a low threshold still needs s > 1 - s
    EXPECT_EQ(hp_raw_class(&config, &s04, 1, 1), 0);
    EXPECT_EQ(hp_raw_class(&config, &mid, 1, 1), 1);
}

TEST(Postprocess, LabelFilterKeepLastValidMatchesStTrace)
{
    const hp_postprocess_config config = HP_POSTPROCESS_DEFAULTS;  // n = 3, keep last valid
    // Frame 5 starts a run of 2 (count 0); counts 1, 2, 3 on frames 6-8; frame 9 shows it.
    // The 5s never reach the filter; the shown 2 is kept through them and after the final 0.
    const std::vector<int> expected = {0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
    EXPECT_EQ(run_filter(config, kRaw), expected);
}

TEST(Postprocess, LabelFilterWithoutKeepLastValidResetsOnChange)
{
    hp_postprocess_config config = HP_POSTPROCESS_DEFAULTS;
    config.keep_last_valid = 0;
    const std::vector<int> expected = {0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 2, 0};
    EXPECT_EQ(run_filter(config, kRaw), expected);
}

TEST(Postprocess, LabelFilterLengthIsConfigurable)
{
    hp_postprocess_config config = HP_POSTPROCESS_DEFAULTS;
    config.label_filter_n = 0;  // shown from the 2nd equal frame
    EXPECT_EQ(run_filter(config, {3, 3, 3, 1, 1}), (std::vector<int>{0, 3, 3, 3, 1}));
    config.label_filter_n = 1;  // 3rd equal frame
    EXPECT_EQ(run_filter(config, {3, 3, 3, 1, 1}), (std::vector<int>{0, 0, 3, 3, 3}));
}

TEST(Postprocess, FilterInitResetsState)
{
    const hp_postprocess_config config = HP_POSTPROCESS_DEFAULTS;
    hp_label_filter filter;
    hp_label_filter_init(&filter);
    for (int i = 0; i < 6; i++) hp_label_filter_update(&config, &filter, 4);
    EXPECT_EQ(filter.shown, 4);
    hp_label_filter_init(&filter);
    EXPECT_EQ(filter.shown, 0);
    EXPECT_EQ(filter.candidate, 0);
    EXPECT_EQ(filter.run_length, 0);
}
