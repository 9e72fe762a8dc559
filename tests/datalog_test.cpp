// ST datalog reader/writer: numpy-written datalogs (scripts/make_npz_fixtures.py), ST's public
// files, bad datalogs, and write -> read round trips.
#include <gtest/gtest.h>

#include <cmath>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "data/datalog.hpp"
#include "data/dataset.hpp"
#include "data/npz.hpp"
#include "test_support.hpp"

namespace {

std::filesystem::path fixture(const std::string& name) { return hp::test::fixtures_dir() / "npz" / name; }

// make_npz_fixtures.py: field f (position in zone_head), zone z, frame n = 1000 f + 10 n + z / 100.
float fixture_value(int field, int zone, int frame) { return float(1000.0 * field + 10.0 * frame + zone / 100.0); }

std::string error_of(const std::string& name)
{
    try {
        hp::read_datalog_file(fixture(name));
    } catch (const hp::Error& e) {
        return e.what();
    }
    return "no error";
}

// Same values, NaN equal to NaN.
void expect_same(const std::vector<float>& a, const std::vector<float>& b, const char* what)
{
    ASSERT_EQ(a.size(), b.size()) << what;
    for (size_t i = 0; i < a.size(); ++i) {
        if (!(std::isnan(a[i]) && std::isnan(b[i]))) {
            ASSERT_EQ(a[i], b[i]) << what << "[" << i << "]";  // braces: the macro ends in an `else`
        }
    }
}

void expect_same(const hp::Datalog& a, const hp::Datalog& b)
{
    EXPECT_EQ(a.zones, b.zones);
    EXPECT_EQ(a.frames, b.frames);
    expect_same(a.distance_mm, b.distance_mm, "distance_mm");
    expect_same(a.signal_per_spad, b.signal_per_spad, "signal_per_spad");
    expect_same(a.target_status, b.target_status, "target_status");
    expect_same(a.nb_targets, b.nb_targets, "nb_targets");
    expect_same(a.valid, b.valid, "valid");
    expect_same(a.posture_code, b.posture_code, "posture_code");
    EXPECT_EQ(a.start_timestamp, b.start_timestamp);
    EXPECT_EQ(a.end_timestamp, b.end_timestamp);
}

}  // namespace

TEST(Datalog, ReadsFieldsByName)
{
    hp::Datalog log = hp::read_datalog_file(fixture("datalog_8x8.npz"));
    ASSERT_EQ(log.zones, 64);
    ASSERT_EQ(log.frames, 3);
    EXPECT_EQ(log.side(), 8);
    EXPECT_FALSE(log.has_nb_targets());
    for (int n = 0; n < 3; ++n) {
        EXPECT_FALSE(log.frame_has_nan(n));
        EXPECT_EQ(log.posture_code[size_t(n)], 21.0f);
        for (int z = 0; z < 64; ++z) {
            size_t at = size_t(n) * 64 + size_t(z);
            EXPECT_EQ(log.target_status[at], 5.0f);
            EXPECT_EQ(log.valid[at], fixture_value(1, z, n));
            EXPECT_EQ(log.signal_per_spad[at], fixture_value(2, z, n));
            EXPECT_EQ(log.distance_mm[at], fixture_value(3, z, n));
            EXPECT_TRUE(std::isnan(log.nb_targets[at]));
        }
    }
    EXPECT_EQ(log.start_timestamp, 1683125799.5);
    EXPECT_EQ(log.end_timestamp, 1683125800.25);
}

TEST(Datalog, FieldOrderDoesNotMatterAndNbTargetsIsRead)
{
    // zone_head: distance_mm, nb_target_detected, target_status, signal_per_spad, valid
    hp::Datalog log = hp::read_datalog_file(fixture("datalog_4x4_nb.npz"));
    ASSERT_EQ(log.zones, 16);
    EXPECT_EQ(log.side(), 4);
    EXPECT_TRUE(log.has_nb_targets());
    EXPECT_EQ(log.distance_mm[16 + 7], fixture_value(0, 7, 1));
    EXPECT_EQ(log.nb_targets[16 + 7], fixture_value(1, 7, 1));
    EXPECT_EQ(log.signal_per_spad[16 + 7], fixture_value(3, 7, 1));
    EXPECT_EQ(log.valid[16 + 7], fixture_value(4, 7, 1));
}

TEST(Datalog, MissingFieldIsNaN)
{
    hp::Datalog log = hp::read_datalog_file(fixture("datalog_no_valid.npz"));
    EXPECT_TRUE(std::isnan(log.valid[0]));
    EXPECT_TRUE(log.frame_has_nan(0));
    EXPECT_EQ(log.distance_mm[5], fixture_value(2, 5, 0));
}

TEST(Datalog, BadDatalogsAreClearErrors)
{
    EXPECT_NE(error_of("datalog_32_zones.npz").find("datalog_32_zones.npz: zone_data has 32 zones; expected 16 (4x4) or 64 (8x8)"),
              std::string::npos) << error_of("datalog_32_zones.npz");
    EXPECT_NE(error_of("datalog_frames_differ.npz").find("datalog_frames_differ.npz: zone_data has 3 frames but glob_data has 4"),
              std::string::npos) << error_of("datalog_frames_differ.npz");
    EXPECT_NE(error_of("deflated.npz").find("deflated.npz: no 'zone_head.npy' entry"), std::string::npos);
    EXPECT_NE(error_of("bad_crc.npz").find("CRC error"), std::string::npos);
    EXPECT_NE(error_of("not_a_zip.npz").find("not a zip archive"), std::string::npos);
    EXPECT_NE(error_of("absent.npz").find("absent.npz: no such file"), std::string::npos);
}

TEST(Datalog, WriteThenReadGivesTheSameDatalog)
{
    hp::test::ScratchDir dir;
    for (const char* name : {"datalog_8x8.npz", "datalog_4x4_nb.npz"}) {
        hp::Datalog log = hp::read_datalog_file(fixture(name));
        log.distance_mm[3] = NAN;
        log.posture_code[1] = NAN;
        hp::write_datalog_file(dir / name, log);
        expect_same(hp::read_datalog_file(dir / name), log);
    }
}

TEST(Datalog, WrittenInStFormat)
{
    hp::test::ScratchDir dir;
    hp::write_datalog_file(dir / "x.npz", hp::read_datalog_file(fixture("datalog_8x8.npz")));
    hp::npy::Npz npz = hp::npy::read_npz(hp::read_file_bytes(dir / "x.npz"), "x.npz");
    std::vector<std::string> keys;
    for (const auto& [key, array] : npz) keys.push_back(key + ":" + hp::npy::descr(array));
    EXPECT_EQ(keys, (std::vector<std::string>{"start_tstmp:<f8", "end_tstmp:<f8", "zone_data:<f8", "glob_data:<f8",
                                              "zone_head:<U15", "glob_head:<U10"}));
    EXPECT_EQ(npz[2].second.shape, (std::vector<size_t>{4, 64, 3}));
    EXPECT_EQ(npz[3].second.shape, (std::vector<size_t>{1, 3}));
    EXPECT_EQ(npz[4].second.to_strings(),
              (std::vector<std::string>{"target_status", "valid", "signal_per_spad", "distance_mm"}));
    hp::Datalog bad;
    bad.zones = 32;
    EXPECT_THROW(hp::write_datalog_file(dir / "bad.npz", bad), hp::Error);
    EXPECT_FALSE(std::filesystem::exists(dir / "bad.npz"));
}

// Every public datalog survives a round trip through our writer.
TEST(Datalog, PublicFilesRoundTrip)
{
    HP_REQUIRE_SHARED();
    hp::DatasetFiles files(hp::test::public_dataset_zip(), {});
    hp::test::ScratchDir dir;
    for (size_t i = 0; i < files.files().size(); i += 20) {
        hp::Datalog log = files.read(i);
        hp::write_datalog_file(dir / "x.npz", log);
        expect_same(hp::read_datalog_file(dir / "x.npz"), log);
    }
}

TEST(Datalog, DownsampleTo4x4AveragesValidSubZones)
{
    hp::Datalog log;
    log.zones = 64;
    log.frames = 1;
    for (int z = 0; z < 64; ++z) {
        log.distance_mm.push_back(float(100 + z));
        log.signal_per_spad.push_back(float(2 * z));
        log.target_status.push_back(5);
        log.valid.push_back(1);
        log.nb_targets.push_back(1);
    }
    log.posture_code = {21};
    log.target_status[1] = 4;   // block 0 = zones 0, 1, 8, 9: zone 1 invalid
    log.nb_targets[8] = 0;      // zone 8 has no target
    for (int z : {2, 3, 10, 11}) log.target_status[size_t(z)] = 255;  // block 1: nothing valid
    log.valid[63] = NAN;        // block 15 keeps the NaN
    hp::Datalog small = hp::downsample_to_4x4(log);
    ASSERT_EQ(small.zones, 16);
    EXPECT_FLOAT_EQ(small.distance_mm[0], (100 + 109) / 2.0f);
    EXPECT_FLOAT_EQ(small.signal_per_spad[0], (0 + 18) / 2.0f);
    EXPECT_EQ(small.target_status[0], 5);
    EXPECT_EQ(small.nb_targets[0], 1);
    EXPECT_FLOAT_EQ(small.distance_mm[1], (102 + 103 + 110 + 111) / 4.0f);
    EXPECT_EQ(small.target_status[1], 255);
    EXPECT_EQ(small.valid[1], 0);
    EXPECT_EQ(small.nb_targets[1], 0);
    // zone (3, 3) merges 8x8 zones 54, 55, 62, 63.
    EXPECT_FLOAT_EQ(small.distance_mm[15], (154 + 155 + 162 + 163) / 4.0f);
    EXPECT_TRUE(std::isnan(small.valid[15]));
    EXPECT_TRUE(small.frame_has_nan(0));
    EXPECT_EQ(small.posture_code, log.posture_code);
}
