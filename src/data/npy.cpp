// .npy arrays: strict header parsing, dtype conversion, Fortran-to-C transposition, formatting.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "core/error.hpp"
#include "data/npz.hpp"

namespace hp::npy {

namespace {

constexpr unsigned char kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

size_t dtype_size(DType dtype)
{
    switch (dtype) {
    case DType::f8: case DType::i8: return 8;
    case DType::f4: case DType::i4: return 4;
    case DType::u1: case DType::b1: return 1;
    case DType::unicode: return 4;
    }
    return 0;
}

uint32_t load_u32le(const unsigned char* p)
{
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

// The header is a Python dict literal such as
//   {'descr': '<f8', 'fortran_order': False, 'shape': (4, 64, 120), }
// followed by spaces and a newline. Only that grammar is accepted.
struct Header {
    std::optional<std::string> descr;
    std::optional<bool> fortran_order;
    std::optional<std::vector<size_t>> shape;
};

class HeaderParser {
public:
    explicit HeaderParser(std::string_view text) : s_(text) {}

    Header parse()
    {
        Header header;
        skip_space();
        expect('{');
        skip_space();
        while (peek() != '}') {
            std::string key = parse_string();
            skip_space();
            expect(':');
            skip_space();
            if (key == "descr") {
                if (header.descr) fail("key 'descr' repeated");
                if (peek() != '\'' && peek() != '"') fail("'descr' is not a string (structured dtypes are not supported)");
                header.descr = parse_string();
            } else if (key == "fortran_order") {
                if (header.fortran_order) fail("key 'fortran_order' repeated");
                header.fortran_order = parse_bool();
            } else if (key == "shape") {
                if (header.shape) fail("key 'shape' repeated");
                header.shape = parse_shape();
            } else {
                fail("unexpected key '" + key + "'");
            }
            skip_space();
            if (peek() == ',') {
                ++pos_;
                skip_space();
            } else if (peek() != '}') {
                fail("expected ',' or '}'");
            }
        }
        ++pos_;
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\0')) ++pos_;
        if (pos_ != s_.size()) fail("unexpected text after the dict");
        if (!header.descr || !header.fortran_order || !header.shape)
            fail("missing one of 'descr', 'fortran_order', 'shape'");
        return header;
    }

private:
    [[noreturn]] void fail(const std::string& why) const
    {
        throw Error("bad npy header: " + why);
    }
    char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
    void skip_space()
    {
        while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
    }
    void expect(char c)
    {
        if (peek() != c) fail(std::string("expected '") + c + "'");
        ++pos_;
    }
    std::string parse_string()
    {
        char quote = peek();
        if (quote != '\'' && quote != '"') fail("expected a quoted string");
        size_t end = s_.find(quote, pos_ + 1);
        if (end == std::string_view::npos) fail("unterminated string");
        std::string value(s_.substr(pos_ + 1, end - pos_ - 1));
        if (value.find('\\') != std::string::npos) fail("escapes in strings are not supported");
        pos_ = end + 1;
        return value;
    }
    bool parse_bool()
    {
        if (s_.substr(pos_, 4) == "True") { pos_ += 4; return true; }
        if (s_.substr(pos_, 5) == "False") { pos_ += 5; return false; }
        fail("'fortran_order' is not True or False");
    }
    size_t parse_int()
    {
        if (peek() < '0' || peek() > '9') fail("expected a non-negative integer in 'shape'");
        size_t value = 0;
        while (peek() >= '0' && peek() <= '9') {
            if (__builtin_mul_overflow(value, size_t(10), &value) ||
                __builtin_add_overflow(value, size_t(peek() - '0'), &value))
                fail("dimension too large");
            ++pos_;
        }
        return value;
    }
    // Python tuples: (), (n,), (n, m), (n, m,)
    std::vector<size_t> parse_shape()
    {
        expect('(');
        std::vector<size_t> dims;
        skip_space();
        bool trailing_comma = false;
        while (peek() != ')') {
            dims.push_back(parse_int());
            skip_space();
            trailing_comma = false;
            if (peek() == ',') {
                ++pos_;
                trailing_comma = true;
                skip_space();
            } else if (peek() != ')') {
                fail("expected ',' or ')' in 'shape'");
            }
            if (dims.size() > 32) fail("more than 32 dimensions");
        }
        ++pos_;
        if (dims.size() == 1 && !trailing_comma) fail("'shape' is not a tuple");
        return dims;
    }

    std::string_view s_;
    size_t pos_ = 0;
};

// descr -> dtype; '|' and '<' both mean little-endian or byte-sized.
void set_dtype(Array& array, const std::string& descr)
{
    static const std::pair<const char*, DType> plain[] = {
        {"<f8", DType::f8}, {"<f4", DType::f4}, {"<i8", DType::i8}, {"<i4", DType::i4},
        {"|u1", DType::u1}, {"<u1", DType::u1}, {"|b1", DType::b1}, {"<b1", DType::b1},
    };
    for (const auto& [text, dtype] : plain)
        if (descr == text) {
            array.dtype = dtype;
            return;
        }
    if (descr.size() >= 3 && descr.size() <= 8 && descr.compare(0, 2, "<U") == 0 &&
        descr.find_first_not_of("0123456789", 2) == std::string::npos) {
        array.dtype = DType::unicode;
        array.unicode_chars = std::stoul(descr.substr(2));
        if (array.unicode_chars == 0) throw Error("unsupported dtype '" + descr + "'");
        return;
    }
    throw Error("unsupported dtype '" + descr + "' (supported: <f8 <f4 <i8 <i4 |u1 |b1 <U<n>)");
}

// Fortran order (first index fastest) -> C order (last index fastest).
std::vector<unsigned char> fortran_to_c(const std::vector<unsigned char>& data, const std::vector<size_t>& shape,
                                        size_t item)
{
    std::vector<unsigned char> out(data.size());
    size_t n = data.size() / (item ? item : 1);
    std::vector<size_t> index(shape.size(), 0), fstride(shape.size(), 1);
    for (size_t d = 1; d < shape.size(); ++d) fstride[d] = fstride[d - 1] * shape[d - 1];
    for (size_t c = 0; c < n; ++c) {
        size_t f = 0;
        for (size_t d = 0; d < shape.size(); ++d) f += index[d] * fstride[d];
        std::memcpy(out.data() + c * item, data.data() + f * item, item);
        for (size_t d = shape.size(); d-- > 0;) {
            if (++index[d] < shape[d]) break;
            index[d] = 0;
        }
    }
    return out;
}

void append_utf8(std::string& out, uint32_t c)
{
    if (c < 0x80) {
        out += char(c);
    } else if (c < 0x800) {
        out += char(0xC0 | c >> 6);
        out += char(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += char(0xE0 | c >> 12);
        out += char(0x80 | (c >> 6 & 0x3F));
        out += char(0x80 | (c & 0x3F));
    } else {
        out += char(0xF0 | c >> 18);
        out += char(0x80 | (c >> 12 & 0x3F));
        out += char(0x80 | (c >> 6 & 0x3F));
        out += char(0x80 | (c & 0x3F));
    }
}

// UTF-8 -> code points; throws on malformed input.
std::vector<uint32_t> utf8_to_code_points(const std::string& s)
{
    std::vector<uint32_t> out;
    for (size_t i = 0; i < s.size();) {
        unsigned char b = static_cast<unsigned char>(s[i]);
        int extra = b < 0x80 ? 0 : (b >> 5) == 6 ? 1 : (b >> 4) == 14 ? 2 : (b >> 3) == 30 ? 3 : -1;
        if (extra < 0 || i + size_t(extra) >= s.size()) throw Error("string is not valid UTF-8");
        uint32_t c = extra == 0 ? b : b & (0x3F >> extra);
        for (int k = 1; k <= extra; ++k) {
            unsigned char cont = static_cast<unsigned char>(s[i + size_t(k)]);
            if ((cont >> 6) != 2) throw Error("string is not valid UTF-8");
            c = c << 6 | (cont & 0x3F);
        }
        out.push_back(c);
        i += size_t(extra) + 1;
    }
    return out;
}

}  // namespace

size_t Array::item_size() const
{
    return dtype == DType::unicode ? 4 * unicode_chars : dtype_size(dtype);
}

size_t Array::count() const
{
    size_t n = 1;
    for (size_t d : shape) n *= d;
    return n;
}

std::vector<double> Array::to_f64() const
{
    size_t n = count();
    std::vector<double> out(n);
    const unsigned char* p = data.data();
    switch (dtype) {
    case DType::f8: std::memcpy(out.data(), p, n * 8); break;
    case DType::f4:
        for (size_t i = 0; i < n; ++i) { float v; std::memcpy(&v, p + 4 * i, 4); out[i] = v; }
        break;
    case DType::i8:
        for (size_t i = 0; i < n; ++i) { int64_t v; std::memcpy(&v, p + 8 * i, 8); out[i] = double(v); }
        break;
    case DType::i4:
        for (size_t i = 0; i < n; ++i) { int32_t v; std::memcpy(&v, p + 4 * i, 4); out[i] = v; }
        break;
    case DType::u1: for (size_t i = 0; i < n; ++i) out[i] = p[i]; break;
    case DType::b1: for (size_t i = 0; i < n; ++i) out[i] = p[i] ? 1.0 : 0.0; break;
    case DType::unicode: throw Error("array of strings where numbers were expected");
    }
    return out;
}

std::vector<std::string> Array::to_strings() const
{
    if (dtype != DType::unicode) throw Error("array of numbers where strings were expected");
    size_t n = count();
    std::vector<std::string> out(n);
    for (size_t i = 0; i < n; ++i) {
        const unsigned char* p = data.data() + i * item_size();
        size_t len = unicode_chars;
        while (len > 0 && load_u32le(p + 4 * (len - 1)) == 0) --len;
        for (size_t k = 0; k < len; ++k) {
            uint32_t c = load_u32le(p + 4 * k);
            if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) throw Error("invalid UTF-32 character in a string");
            append_utf8(out[i], c);
        }
    }
    return out;
}

Array Array::from_f64(std::vector<size_t> shape, std::span<const double> values)
{
    Array array;
    array.dtype = DType::f8;
    array.shape = std::move(shape);
    if (array.count() != values.size()) throw Error("npy: shape does not match the number of values");
    array.data.resize(values.size() * 8);
    if (!values.empty()) std::memcpy(array.data.data(), values.data(), values.size() * 8);
    return array;
}

Array Array::from_strings(const std::vector<std::string>& strings)
{
    std::vector<std::vector<uint32_t>> code_points;
    size_t chars = 1;
    for (const std::string& s : strings) {
        code_points.push_back(utf8_to_code_points(s));
        chars = std::max(chars, code_points.back().size());
    }
    Array array;
    array.dtype = DType::unicode;
    array.unicode_chars = chars;
    array.shape = {strings.size()};
    array.data.assign(strings.size() * chars * 4, 0);
    for (size_t i = 0; i < code_points.size(); ++i)
        for (size_t k = 0; k < code_points[i].size(); ++k) {
            unsigned char* p = array.data.data() + (i * chars + k) * 4;
            uint32_t c = code_points[i][k];
            p[0] = c & 0xFF; p[1] = c >> 8 & 0xFF; p[2] = c >> 16 & 0xFF; p[3] = c >> 24 & 0xFF;
        }
    return array;
}

std::string descr(const Array& array)
{
    switch (array.dtype) {
    case DType::f8: return "<f8";
    case DType::f4: return "<f4";
    case DType::i8: return "<i8";
    case DType::i4: return "<i4";
    case DType::u1: return "|u1";
    case DType::b1: return "|b1";
    case DType::unicode: return "<U" + std::to_string(array.unicode_chars);
    }
    return "";
}

Array parse_npy(std::span<const unsigned char> bytes, const std::string& name)
{
    try {
        if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0) throw Error("not an npy array (bad magic)");
        int major = bytes[6], minor = bytes[7];
        if (major < 1 || major > 3 || minor != 0)
            throw Error("unsupported npy format version " + std::to_string(major) + "." + std::to_string(minor));
        size_t prefix = major == 1 ? 10 : 12;
        if (bytes.size() < prefix) throw Error("truncated npy header");
        size_t header_len = major == 1 ? size_t(bytes[8]) | size_t(bytes[9]) << 8 : load_u32le(bytes.data() + 8);
        if (header_len > bytes.size() - prefix) throw Error("truncated npy header");
        std::string_view text(reinterpret_cast<const char*>(bytes.data() + prefix), header_len);
        if (text.empty() || text.back() != '\n') throw Error("bad npy header: does not end with a newline");
        Header header = HeaderParser(text).parse();

        Array array;
        set_dtype(array, *header.descr);
        array.shape = *header.shape;
        size_t n = 1, total = 0;
        for (size_t d : array.shape)
            if (__builtin_mul_overflow(n, d, &n)) throw Error("shape too large");
        if (__builtin_mul_overflow(n, array.item_size(), &total)) throw Error("shape too large");
        size_t available = bytes.size() - prefix - header_len;
        if (total != available)
            throw Error("shape needs " + std::to_string(total) + " bytes of data, the file has " +
                        std::to_string(available));
        array.data.assign(bytes.begin() + std::ptrdiff_t(prefix + header_len), bytes.end());
        if (*header.fortran_order && array.shape.size() > 1)
            array.data = fortran_to_c(array.data, array.shape, array.item_size());
        return array;
    } catch (const Error& e) {
        throw Error(name + ": " + e.what());
    }
}

std::vector<unsigned char> format_npy(const Array& array)
{
    std::string header = "{'descr': '" + descr(array) + "', 'fortran_order': False, 'shape': (";
    for (size_t i = 0; i < array.shape.size(); ++i)
        header += (i ? ", " : "") + std::to_string(array.shape[i]);
    header += array.shape.size() == 1 ? ",), }" : "), }";
    // numpy pads the header with spaces so that the data starts at a multiple of 64.
    size_t unpadded = 10 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header += '\n';
    if (header.size() > 0xFFFF) throw Error("npy: header too long");
    std::vector<unsigned char> out(kMagic, kMagic + 6);
    out.push_back(1);
    out.push_back(0);
    out.push_back(static_cast<unsigned char>(header.size() & 0xFF));
    out.push_back(static_cast<unsigned char>(header.size() >> 8));
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), array.data.begin(), array.data.end());
    return out;
}

}  // namespace hp::npy
