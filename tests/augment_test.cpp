// The cross-user recipe's pieces: each augmentation on a known raw frame and its determinism for a
// seed, the relative-distance preprocessing against a computation of its own, the recipe switch.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "hp_preprocess.h"
#include "train/augment.hpp"
#include "train/trainer.hpp"

namespace {

using namespace hp::train;

// An 8x8 frame: zone z at 200 + z mm, signal 1000 + z, all valid with one target.
struct Frame {
    std::vector<float> d, s, st, nb;
    Frame() : d(64), s(64), st(64, 5.0f), nb(64, 1.0f)
    {
        for (int z = 0; z < 64; z++) {
            d[size_t(z)] = 200.0f + float(z);
            s[size_t(z)] = 1000.0f + float(z);
        }
    }
    RawFrame raw() { return RawFrame{64, d.data(), s.data(), st.data(), nb.data()}; }
    bool operator==(const Frame& o) const = default;
};

bool invalid(const Frame& f, int z) { return !hp_zone_status_valid(f.st[size_t(z)]); }

TEST(Augment, DistanceOffsetMovesEveryZoneWithInverseSquareSignal)
{
    Frame f;
    offset_distance(f.raw(), 50.0f);
    for (int z = 0; z < 64; z++) {
        const double d = 200.0 + z, d2 = d + 50.0;
        EXPECT_FLOAT_EQ(f.d[size_t(z)], float(d2));
        EXPECT_NEAR(f.s[size_t(z)], (1000.0 + z) * (d / d2) * (d / d2), 1e-3);
    }
}

TEST(Augment, DepthScaleMultipliesDistancesWithInverseSquareSignal)
{
    Frame f;
    scale_depth(f.raw(), 1.1f);
    for (int z = 0; z < 64; z++) {
        EXPECT_NEAR(f.d[size_t(z)], (200.0 + z) * 1.1, 1e-3);
        EXPECT_NEAR(f.s[size_t(z)], (1000.0 + z) / (1.1 * 1.1), 1e-2);
    }
}

TEST(Augment, ReflectanceGainScalesSignalOnly)
{
    Frame f;
    apply_reflectance_gain(f.raw(), 0.7f);
    for (int z = 0; z < 64; z++) {
        EXPECT_FLOAT_EQ(f.d[size_t(z)], 200.0f + float(z));
        EXPECT_NEAR(f.s[size_t(z)], (1000.0 + z) * 0.7, 1e-3);
    }
}

TEST(Augment, ShiftMovesZonesAndPadsWithInvalidOnes)
{
    Frame f;
    const Frame before;
    shift_zones(f.raw(), 1, -1);  // one right, one up
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++) {
            const int z = y * 8 + x;
            if (x == 0 || y == 7) {
                EXPECT_TRUE(invalid(f, z)) << z;
                EXPECT_EQ(f.d[size_t(z)], HP_DEFAULT_DISTANCE) << z;
            } else {
                const size_t from = size_t((y + 1) * 8 + (x - 1));
                EXPECT_EQ(f.d[size_t(z)], before.d[from]) << z;
                EXPECT_EQ(f.s[size_t(z)], before.s[from]) << z;
                EXPECT_FALSE(invalid(f, z)) << z;
            }
        }
}

TEST(Augment, DropoutInvalidatesAboutItsFractionDeterministically)
{
    int dropped = 0;
    for (uint32_t seed = 0; seed < 100; seed++) {
        Frame f, g;
        Rng a(seed), b(seed);
        drop_zones(f.raw(), 0.05f, a);
        drop_zones(g.raw(), 0.05f, b);
        EXPECT_EQ(f, g);
        for (int z = 0; z < 64; z++) dropped += invalid(f, z);
    }
    EXPECT_NEAR(dropped / 6400.0, 0.05, 0.01);  // binomial sd 0.0027
    Frame untouched;
    Rng r(1);
    drop_zones(untouched.raw(), 0.0f, r);
    EXPECT_EQ(untouched, Frame{});
}

TEST(Augment, NoiseHasItsStandardDeviations)
{
    double dd = 0, ds = 0;
    const int frames = 200;
    Rng rng(7);
    for (int n = 0; n < frames; n++) {
        Frame f;
        add_noise(f.raw(), 5.0f, 0.1f, rng);
        for (int z = 0; z < 64; z++) {
            const double e = f.d[size_t(z)] - (200.0 + z), r = f.s[size_t(z)] / (1000.0 + z) - 1;
            dd += e * e;
            ds += r * r;
        }
    }
    EXPECT_NEAR(std::sqrt(dd / (frames * 64)), 5.0, 0.2);
    EXPECT_NEAR(std::sqrt(ds / (frames * 64)), 0.1, 0.004);
}

TEST(Augment, SameSeedSameFrameOtherSeedOther)
{
    const Augmentation a = cross_user_augmentation();
    Frame f, g, h;
    Rng r1(3), r2(3), r3(4);
    augment_frame(f.raw(), a, r1);
    augment_frame(g.raw(), a, r2);
    augment_frame(h.raw(), a, r3);
    EXPECT_EQ(f, g);
    EXPECT_NE(f, h);
    EXPECT_NE(f, Frame{});
    Frame none;
    Rng r4(3);
    augment_frame(none.raw(), Augmentation{}, r4);
    EXPECT_EQ(none, Frame{});
    EXPECT_FALSE(Augmentation{}.any());
}

// Relative distances against the rule written out here: valid zones within the background
// distance of the nearest get d - m + 250, the rest the invalid value; the signal is unchanged.
TEST(Preprocess, RelativeDistanceIsDistanceToTheNearestZonePlus250)
{
    Frame f;
    f.st[5] = 4.0f;       // invalid, and nearer than any valid zone
    f.d[5] = 150.0f;
    f.d[40] = 400.0f;     // beyond nearest + 120: background
    hp_preprocess_config absolute = HP_PREPROCESS_DEFAULTS, relative = HP_PREPROCESS_DEFAULTS;
    relative.distance_mode = HP_DISTANCE_RELATIVE;
    std::vector<float> a(128), r(128);
    ASSERT_EQ(hp_preprocess_frame(&absolute, 64, f.d.data(), f.s.data(), f.st.data(), f.nb.data(), a.data()), HP_FRAME_KEPT);
    ASSERT_EQ(hp_preprocess_frame(&relative, 64, f.d.data(), f.s.data(), f.st.data(), f.nb.data(), r.data()), HP_FRAME_KEPT);
    const float nearest = 200.0f;  // zone 0
    for (int z = 0; z < 64; z++) {
        const bool kept = z != 5 && f.d[size_t(z)] <= nearest + 120.0f;
        const float want = kept ? f.d[size_t(z)] - nearest + 250.0f : 4000.0f;
        EXPECT_FLOAT_EQ(r[size_t(2 * z)], (want - 295.0f) / 196.0f) << z;
        EXPECT_EQ(r[size_t(2 * z + 1)], a[size_t(2 * z + 1)]) << z;
    }
    // An offset of the whole hand changes absolute distances, not relative ones.
    offset_distance(f.raw(), 40.0f);
    std::vector<float> moved(128);
    hp_preprocess_frame(&relative, 64, f.d.data(), f.s.data(), f.st.data(), f.nb.data(), moved.data());
    for (int z = 0; z < 64; z++) EXPECT_NEAR(moved[size_t(2 * z)], r[size_t(2 * z)], 1e-5) << z;
    relative.distance_mode = 7;
    EXPECT_EQ(hp_preprocess_frame(&relative, 64, f.d.data(), f.s.data(), f.st.data(), f.nb.data(), r.data()),
              HP_FRAME_BAD_ARGUMENT);
}

TEST(Recipe, StIsTheLibraryDefaultsAndCrossUserAddsItsChanges)
{
    TrainOptions st, cross;
    hp_preprocess_config st_pre = HP_PREPROCESS_DEFAULTS, cross_pre = HP_PREPROCESS_DEFAULTS;
    apply_recipe(Recipe::st, st, st_pre);
    apply_recipe(Recipe::cross_user, cross, cross_pre);
    EXPECT_FALSE(st.augment.any());
    EXPECT_EQ(st.conv_filters, TrainOptions{}.conv_filters);
    EXPECT_EQ(st_pre.distance_mode, HP_DISTANCE_ABSOLUTE);
    EXPECT_TRUE(cross.augment.any());
    EXPECT_EQ(cross.conv_filters, 16);
    EXPECT_EQ(cross_pre.distance_mode, HP_DISTANCE_RELATIVE);
    EXPECT_EQ(parse_recipe("st", "--recipe"), Recipe::st);
    EXPECT_THROW(parse_recipe("keras", "--recipe"), hp::Error);
}

}  // namespace
