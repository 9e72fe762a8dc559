// .npy/.npz reader and writer against files numpy wrote (scripts/make_npz_fixtures.py).
#include <gtest/gtest.h>

#include <cmath>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "data/npz.hpp"
#include "test_support.hpp"

using hp::npy::Array;
using hp::npy::DType;

namespace {

std::filesystem::path fixture(const std::string& name) { return hp::test::fixtures_dir() / "npz" / name; }

Array load_npy(const std::string& name) { return hp::npy::parse_npy(hp::read_file_bytes(fixture(name)), name); }

// The values make_npz_fixtures.py stores: f(i), i = 0..23 in C order.
std::vector<double> expected_values(DType dtype)
{
    std::vector<double> v(24);
    for (int i = 0; i < 24; ++i) {
        switch (dtype) {
        case DType::f8: case DType::f4: v[size_t(i)] = i * 0.25 - 2; break;
        case DType::i8: case DType::i4: v[size_t(i)] = i - 5; break;
        case DType::u1: v[size_t(i)] = i; break;
        case DType::b1: v[size_t(i)] = i % 3 == 0; break;
        case DType::unicode: break;
        }
    }
    return v;
}

// The error message of parsing a bad fixture file as .npy or .npz.
std::string error_of(const std::string& name)
{
    try {
        std::vector<unsigned char> bytes = hp::read_file_bytes(fixture(name));
        if (name.ends_with(".npz"))
            hp::npy::read_npz(bytes, name);
        else
            hp::npy::parse_npy(bytes, name);
    } catch (const hp::Error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST(Npy, EveryDtypeInCAndFortranOrder)
{
    const std::pair<const char*, DType> dtypes[] = {{"f8", DType::f8}, {"f4", DType::f4}, {"i8", DType::i8},
                                                    {"i4", DType::i4}, {"u1", DType::u1}, {"b1", DType::b1}};
    for (const auto& [name, dtype] : dtypes)
        for (const char* order : {"_c.npy", "_fortran.npy"}) {
            Array a = load_npy(std::string(name) + order);
            SCOPED_TRACE(std::string(name) + order);
            EXPECT_EQ(a.dtype, dtype);
            EXPECT_EQ(a.shape, (std::vector<size_t>{2, 3, 4}));
            EXPECT_EQ(a.to_f64(), expected_values(dtype));
        }
}

TEST(Npy, FormatVersions2And3)
{
    EXPECT_EQ(load_npy("f8_v2.npy").to_f64(), expected_values(DType::f8));
    Array v3 = load_npy("f8_v3_fortran.npy");
    EXPECT_EQ(v3.shape, (std::vector<size_t>{2, 3, 4}));
    EXPECT_EQ(v3.to_f64(), expected_values(DType::f8));
}

TEST(Npy, UnicodeStringsAreDecodedToUtf8)
{
    Array a = load_npy("strings_u7.npy");
    EXPECT_EQ(hp::npy::descr(a), "<U7");
    EXPECT_EQ(a.to_strings(), (std::vector<std::string>{"a", "zone_\xC3\xA9", "\xE2\x82\xAC" "x", "\xF0\x9D\x84\x9E", "seven77"}));
    Array f = load_npy("strings_fortran.npy");
    EXPECT_EQ(f.shape, (std::vector<size_t>{2, 2}));
    EXPECT_EQ(f.to_strings(), (std::vector<std::string>{"ab", "c", "d", "efg"}));
    EXPECT_THROW(f.to_f64(), hp::Error);
    EXPECT_THROW(load_npy("f8_c.npy").to_strings(), hp::Error);
}

TEST(Npy, ScalarAndEmptyArrays)
{
    Array scalar = load_npy("scalar.npy");
    EXPECT_TRUE(scalar.shape.empty());
    EXPECT_EQ(scalar.to_f64(), std::vector<double>{3.5});
    Array empty = load_npy("empty.npy");
    EXPECT_EQ(empty.shape, (std::vector<size_t>{0, 3}));
    EXPECT_EQ(empty.count(), 0u);
}

TEST(Npy, BadInputsAreClearErrorsNamingTheFile)
{
    const std::pair<const char*, const char*> cases[] = {
        {"bad_magic.npy", "bad_magic.npy: not an npy array"},
        {"bad_version.npy", "bad_version.npy: unsupported npy format version 4.0"},
        {"bad_header_syntax.npy", "bad_header_syntax.npy: bad npy header"},
        {"bad_header_key.npy", "bad npy header: unexpected key 'extra'"},
        {"bad_header_missing.npy", "bad npy header: missing one of"},
        {"bad_header_fortran.npy", "bad npy header: 'fortran_order' is not True or False"},
        {"bad_header_shape.npy", "bad npy header: expected a non-negative integer"},
        {"bad_header_overflow.npy", "shape too large"},
        {"wrong_shape.npy", "wrong_shape.npy: shape needs 240 bytes of data, the file has 192"},
        {"big_endian.npy", "unsupported dtype '>f8'"},
        {"complex.npy", "unsupported dtype '<c16'"},
        {"int16.npy", "unsupported dtype '<i2'"},
        {"structured.npy", "structured dtypes are not supported"},
    };
    for (const auto& [name, message] : cases)
        EXPECT_NE(error_of(name).find(message), std::string::npos) << name << ": " << error_of(name);
}

TEST(Npy, TruncatedDataIsAnError)
{
    std::vector<unsigned char> bytes = hp::read_file_bytes(fixture("f8_c.npy"));
    for (size_t keep : {size_t(0), size_t(5), size_t(11), size_t(100), bytes.size() - 1}) {
        std::vector<unsigned char> cut(bytes.begin(), bytes.begin() + std::ptrdiff_t(keep));
        EXPECT_THROW(hp::npy::parse_npy(cut, "cut.npy"), hp::Error) << keep;
    }
}

TEST(Npz, StoredAndDeflatedEntries)
{
    for (const char* name : {"stored.npz", "deflated.npz"}) {
        hp::npy::Npz npz = hp::npy::read_npz(hp::read_file_bytes(fixture(name)), name);
        ASSERT_EQ(npz.size(), 3u) << name;
        EXPECT_EQ(npz[0].first, "a");
        EXPECT_EQ(npz[0].second.to_f64(), expected_values(DType::f8));
        EXPECT_EQ(npz[1].first, "b");
        EXPECT_EQ(npz[1].second.dtype, DType::i4);
        EXPECT_EQ(npz[1].second.to_f64(), expected_values(DType::i4));
        EXPECT_EQ(npz[2].second.to_strings(), (std::vector<std::string>{"distance_mm", "valid"}));
    }
}

TEST(Npz, BadArchivesAreClearErrorsNamingTheFile)
{
    EXPECT_NE(error_of("not_a_zip.npz").find("not_a_zip.npz: not a zip archive"), std::string::npos)
        << error_of("not_a_zip.npz");
    EXPECT_NE(error_of("truncated.npz").find("truncated.npz: truncated or damaged zip archive"), std::string::npos)
        << error_of("truncated.npz");
    EXPECT_NE(error_of("bad_crc.npz").find("bad_crc.npz: entry 'a.npy': CRC error"), std::string::npos)
        << error_of("bad_crc.npz");
    std::vector<unsigned char> empty;
    EXPECT_THROW(hp::npy::read_npz(empty, "empty.npz"), hp::Error);
}

TEST(Npz, EveryTruncationIsAnErrorNotACrash)
{
    std::vector<unsigned char> bytes = hp::read_file_bytes(fixture("deflated.npz"));
    for (size_t keep = 0; keep < bytes.size(); keep += 7) {
        std::vector<unsigned char> cut(bytes.begin(), bytes.begin() + std::ptrdiff_t(keep));
        EXPECT_THROW(hp::npy::read_npz(cut, "cut.npz"), hp::Error) << keep;
    }
}

TEST(Npz, WriterRoundTrip)
{
    hp::npy::Npz npz;
    std::vector<double> values = expected_values(DType::f8);
    npz.emplace_back("x", Array::from_f64({2, 3, 4}, values));
    double scalar = -1.25;
    npz.emplace_back("s", Array::from_f64({}, std::span<const double>(&scalar, 1)));
    npz.emplace_back("names", Array::from_strings({"signal_per_spad", "\xE2\x82\xAC"}));
    std::vector<unsigned char> bytes = hp::npy::write_npz(npz);
    EXPECT_EQ(bytes, hp::npy::write_npz(npz));  // deterministic
    hp::npy::Npz back = hp::npy::read_npz(bytes, "ours.npz");
    ASSERT_EQ(back.size(), 3u);
    EXPECT_EQ(back[0].first, "x");
    EXPECT_EQ(back[0].second.shape, (std::vector<size_t>{2, 3, 4}));
    EXPECT_EQ(back[0].second.to_f64(), values);
    EXPECT_TRUE(back[1].second.shape.empty());
    EXPECT_EQ(back[1].second.to_f64(), std::vector<double>{-1.25});
    EXPECT_EQ(hp::npy::descr(back[2].second), "<U15");
    EXPECT_EQ(back[2].second.to_strings(), (std::vector<std::string>{"signal_per_spad", "\xE2\x82\xAC"}));
    // The data of a formatted .npy starts at a multiple of 64, as numpy writes it.
    EXPECT_EQ((hp::npy::format_npy(npz[0].second).size() - 24 * 8) % 64, 0u);
}
