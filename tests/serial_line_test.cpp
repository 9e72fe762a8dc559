// The RAN line parser: lines are built field by field here (SPEC §9), independently of
// format_ran_line; every kind of damage gives its typed reason, never a crash.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "live/serial_line.hpp"

namespace {

// SPEC §9: RAN, frame, stream count, tick, fields 4-50 empty except 10 (posture), then per zone
// status, nb targets, distance, signal, 0, valid.
std::vector<std::string> wire_fields(int zones, long frame, long tick, const std::string& posture)
{
    std::vector<std::string> f = {"RAN", std::to_string(frame), "2", std::to_string(tick)};
    for (int i = 4; i < 51; ++i) f.push_back(i == 10 ? posture : "");
    for (int z = 0; z < zones; ++z) {
        f.push_back(z % 3 == 0 ? "255" : "5");      // status
        f.push_back(std::to_string(z % 2));         // nb targets
        f.push_back(std::to_string(100 + 7 * z - 300 * (z == 5)));  // distance (one negative)
        f.push_back(std::to_string(1000 * z));      // signal
        f.push_back("0");
        f.push_back("1");
    }
    return f;
}

std::string join(const std::vector<std::string>& fields)
{
    std::string line;
    for (size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + fields[i];
    return line;
}

hp::LineError parse(const std::string& line, int* field = nullptr)
{
    hp::SensorFrame frame;
    return hp::parse_ran_line(line, frame, field);
}

TEST(SerialLine, ParsesAn8x8LineFieldByField)
{
    auto fields = wire_fields(64, 1234, 987654, "21");
    ASSERT_EQ(fields.size(), 435u);
    hp::SensorFrame frame;
    ASSERT_EQ(hp::parse_ran_line(join(fields) + "\r\n", frame), hp::LineError::none);
    EXPECT_EQ(frame.zones, 64);
    EXPECT_EQ(frame.frame_counter, 1234);
    EXPECT_EQ(frame.stream_count, 2);
    EXPECT_EQ(frame.tick_ms, 987654);
    EXPECT_EQ(frame.board_posture, 21);
    for (int z = 0; z < 64; ++z) {
        EXPECT_EQ(frame.target_status[z], z % 3 == 0 ? 255.0f : 5.0f);
        EXPECT_EQ(frame.nb_targets[z], float(z % 2));
        EXPECT_EQ(frame.distance_mm[z], float(100 + 7 * z - 300 * (z == 5)));
        EXPECT_EQ(frame.signal_per_spad[z], float(1000 * z));
        EXPECT_EQ(frame.valid[z], 1.0f);
    }
    EXPECT_EQ(frame.distance_mm[5], -165.0f);
}

TEST(SerialLine, Parses4x4AndAnEmptyPostureField)
{
    auto fields = wire_fields(16, 7, 700, "");
    ASSERT_EQ(fields.size(), 147u);
    hp::SensorFrame frame;
    ASSERT_EQ(hp::parse_ran_line(join(fields), frame), hp::LineError::none);
    EXPECT_EQ(frame.zones, 16);
    EXPECT_EQ(frame.board_posture, -1);
    EXPECT_EQ(frame.distance_mm.size(), 16u);
    EXPECT_EQ(frame.signal_per_spad[15], 15000.0f);
}

TEST(SerialLine, FormatThenParseGivesTheFrameBack)
{
    hp::SensorFrame frame;
    ASSERT_EQ(hp::parse_ran_line(join(wire_fields(64, 5, 500, "32")), frame), hp::LineError::none);
    std::string line = hp::format_ran_line(frame);
    EXPECT_EQ(line, join(wire_fields(64, 5, 500, "32")));
}

TEST(SerialLine, DamagedLinesGiveTypedReasons)
{
    using E = hp::LineError;
    const std::string good = join(wire_fields(64, 1, 100, "0"));
    int field = -2;
    EXPECT_EQ(parse("", &field), E::not_a_frame);
    EXPECT_EQ(field, 0);
    EXPECT_EQ(parse("ok"), E::not_a_frame);
    EXPECT_EQ(parse("\x01\xff garbage \x7f"), E::not_a_frame);
    EXPECT_EQ(parse("XRAN" + good.substr(3)), E::not_a_frame);
    EXPECT_EQ(parse("RAN"), E::field_count);
    EXPECT_EQ(parse(good.substr(0, good.size() / 2)), E::field_count);  // truncated
    EXPECT_EQ(parse(good + ",1"), E::field_count);                        // one field too many
    EXPECT_EQ(parse(join(wire_fields(32, 1, 1, ""))), E::field_count);    // 32 zones do not exist

    auto with = [&](size_t index, const std::string& value) {
        auto f = wire_fields(64, 1, 100, "0");
        f[index] = value;
        return join(f);
    };
    const size_t zone3 = 51 + 3 * 6;  // first field of zone 3
    EXPECT_EQ(parse(with(1, ""), &field), E::empty_field);
    EXPECT_EQ(field, 1);
    EXPECT_EQ(parse(with(3, "12ms"), &field), E::not_a_number);
    EXPECT_EQ(field, 3);
    EXPECT_EQ(parse(with(10, "Like"), &field), E::not_a_number);
    EXPECT_EQ(field, 10);
    EXPECT_EQ(parse(with(zone3, "5x"), &field), E::not_a_number);
    EXPECT_EQ(field, int(zone3));
    EXPECT_EQ(parse(with(zone3 + 2, ""), &field), E::empty_field);
    EXPECT_EQ(field, int(zone3 + 2));
    EXPECT_EQ(parse(with(zone3 + 2, "1.5")), E::not_a_number);
    EXPECT_EQ(parse(with(zone3 + 2, "0x10")), E::not_a_number);
    EXPECT_EQ(parse(with(zone3 + 2, "40000")), E::out_of_range);     // beyond int16 mm
    EXPECT_EQ(parse(with(zone3 + 3, "-1")), E::out_of_range);        // negative signal
    EXPECT_EQ(parse(with(zone3, "256")), E::out_of_range);           // status is a byte
    EXPECT_EQ(parse(with(1, "99999999999999999999999999")), E::out_of_range);  // overflows int64
    EXPECT_EQ(parse(with(1, "-5")), E::out_of_range);
    EXPECT_EQ(parse(with(10, "300")), E::out_of_range);
    // Fields 4-50 other than 10 carry nothing and are not read.
    EXPECT_EQ(parse(with(20, "anything")), E::none);
    EXPECT_EQ(parse(with(zone3 + 4, "7")), E::none);  // the unused per-zone field
    // Spaces around a number are tolerated.
    EXPECT_EQ(parse(with(zone3 + 2, " 250 ")), E::none);
}

TEST(SerialLine, RandomDamageNeverCrashes)
{
    const std::string good = join(wire_fields(64, 1, 100, "0"));
    std::mt19937 rng(42);
    hp::SensorFrame frame;
    int parsed = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string line = good;
        int edits = 1 + int(rng() % 4);
        for (int e = 0; e < edits; ++e) {
            size_t at = rng() % line.size();
            switch (rng() % 3) {
            case 0: line[at] = char(rng() % 256); break;
            case 1: line.erase(at, 1 + rng() % 20); break;
            default: line.insert(at, size_t(1 + rng() % 3), ",-9a"[rng() % 4]); break;
            }
            if (line.empty()) line.push_back('R');
        }
        parsed += hp::parse_ran_line(line, frame) == hp::LineError::none;
    }
    EXPECT_LT(parsed, 3000);  // most damage is detected; none of it crashes
}

}  // namespace
