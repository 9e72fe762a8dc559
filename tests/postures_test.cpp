#include <gmock/gmock.h>

#include "core/error.hpp"
#include "core/postures.hpp"
#include "hp_preprocess.h"
#include "test_support.hpp"

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(Postures, OutputOrderIsSortedByCode)
{
    // SPEC §4: ST's config lists the classes in another order than the model outputs them.
    std::vector<std::string> listed = {"None", "Like", "Dislike", "FlatHand", "Fist", "Love", "BreakTime", "CrossHands"};
    EXPECT_THAT(hp::output_order(listed),
                ElementsAre("None", "FlatHand", "Like", "Love", "Dislike", "BreakTime", "CrossHands", "Fist"));
}

// A deploy package keeps the codes in a byte each (hp_app_class_codes).
TEST(Postures, EveryCodeFitsAByte)
{
    for (const hp::Posture& p : hp::known_postures()) {
        EXPECT_GE(p.code, 0) << p.name;
        EXPECT_LE(p.code, 255) << p.name;
    }
}

TEST(Postures, UnknownClassListsKnownOnes)
{
    try {
        hp::output_order({"None", "Thumbsup"});
        FAIL() << "no error";
    } catch (const hp::Error& e) {
        EXPECT_THAT(e.what(), HasSubstr("Thumbsup"));
        EXPECT_THAT(e.what(), HasSubstr("CrossHands"));
    }
    EXPECT_THROW(hp::output_order({"Fist", "Fist"}), hp::Error);
}

TEST(Postures, OneClassIsAnOrder)
{
    EXPECT_THAT(hp::output_order({"Like"}), ElementsAre("Like"));
}

TEST(Preprocess, InclusiveRangeBackgroundAndNormalization)
{
    hp_preprocess_config config = HP_PREPROCESS_DEFAULTS;
    float distance[16], signal[16], status[16], out[32];
    for (int z = 0; z < 16; z++) {
        distance[z] = 100.0f + 10.0f * z;  // nearest = 100: exactly Min_distance, kept
        signal[z] = 1000.0f;
        status[z] = z == 3 ? 4.0f : (z % 2 ? 9.0f : 5.0f);
    }
    ASSERT_EQ(hp_preprocess_frame(&config, 16, distance, signal, status, nullptr, out), HP_FRAME_KEPT);
    EXPECT_FLOAT_EQ(out[0], (100.0f - 295.0f) / 196.0f);
    EXPECT_FLOAT_EQ(out[1], (1000.0f - 281.0f) / 452.0f);
    EXPECT_FLOAT_EQ(out[2 * 3], (4000.0f - 295.0f) / 196.0f);    // invalid status
    EXPECT_FLOAT_EQ(out[2 * 3 + 1], (0.0f - 281.0f) / 452.0f);
    EXPECT_FLOAT_EQ(out[2 * 12], (220.0f - 295.0f) / 196.0f);    // 100 + 120: still foreground
    EXPECT_FLOAT_EQ(out[2 * 13], (4000.0f - 295.0f) / 196.0f);   // 230 > 220: background

    float nb[16] = {0};  // nb_targets known and zero everywhere: no valid zone, m = 4000
    EXPECT_EQ(hp_preprocess_frame(&config, 16, distance, signal, status, nb, out), HP_FRAME_OUT_OF_RANGE);
    distance[0] = 99.0f;
    EXPECT_EQ(hp_preprocess_frame(&config, 16, distance, signal, status, nullptr, out), HP_FRAME_OUT_OF_RANGE);
    EXPECT_EQ(hp_preprocess_frame(&config, 15, distance, signal, status, nullptr, out), HP_FRAME_BAD_ARGUMENT);
}
