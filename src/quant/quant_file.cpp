#include "quant/quant_file.hpp"

#include <zlib.h>

#include <cmath>
#include <cstring>
#include <fstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace hp {

// 2: conv weights int16; 3: int16 input, conv >> 16, dense SMMULR; 4: the distance mode after the
// class names (version 3 files are read too: absolute distances).
static constexpr uint32_t kVersion = 4;
static constexpr uint32_t kFirstReadableVersion = 3;
static constexpr size_t kMaxClassName = 64;

namespace {

class Writer {
public:
    void bytes(const void* p, size_t n) { out.insert(out.end(), (const unsigned char*)p, (const unsigned char*)p + n); }
    void u32(uint32_t v)
    {
        unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
        bytes(b, 4);
    }
    void i32(int32_t v) { u32(uint32_t(v)); }
    void f32(float v)
    {
        uint32_t u;
        std::memcpy(&u, &v, 4);
        u32(u);
    }
    std::vector<unsigned char> out;
};

class Reader {
public:
    Reader(std::span<const unsigned char> data, const std::string& where) : data_(data), where_(where) {}
    void need(size_t n, const std::string& what)
    {
        if (data_.size() - pos_ < n) throw Error(where_, "file ends inside " + what + " (truncated?)");
    }
    uint32_t u32(const std::string& what)
    {
        need(4, what);
        const unsigned char* b = data_.data() + pos_;
        pos_ += 4;
        return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
    }
    int32_t i32(const std::string& what) { return int32_t(u32(what)); }
    float f32(const std::string& what)
    {
        uint32_t u = u32(what);
        float v;
        std::memcpy(&v, &u, 4);
        return v;
    }
    // A count read from the file, checked against [lo, hi].
    int32_t count(const std::string& what, int32_t lo, int32_t hi)
    {
        int32_t v = i32(what);
        if (v < lo || v > hi)
            throw Error(where_, what + " " + std::to_string(v) + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
        return v;
    }
    size_t remaining() const { return data_.size() - pos_; }
    size_t pos() const { return pos_; }
    const unsigned char* at() const { return data_.data() + pos_; }
    void skip(size_t n) { pos_ += n; }

private:
    std::span<const unsigned char> data_;
    size_t pos_ = 0;
    std::string where_;
};

}  // namespace

// The last layer (requantized = false) has int32 outputs: no output quantization in the file.
// Only the hidden dense layer has multipliers. weight_bytes: 2 for the conv layer (int16
// weights), 1 for dense.
static void write_layer(Writer& w, const QuantLayer& l, bool requantized, size_t weight_bytes)
{
    if (requantized) {
        w.f32(l.output_scale);
        w.i32(l.output_zero_point);
    }
    for (float s : l.weight_scales) w.f32(s);
    for (int32_t b : l.bias) w.i32(b);
    for (int32_t m : l.multiplier) w.i32(m);
    for (int16_t k : l.kernel) {
        const unsigned char b[2] = {(unsigned char)uint16_t(k), (unsigned char)(uint16_t(k) >> 8)};
        w.bytes(b, weight_bytes);
    }
}

static QuantLayer read_layer(Reader& r, const std::string& name, size_t outputs, size_t inputs, bool requantized,
                             bool multipliers, size_t weight_bytes)
{
    QuantLayer l;
    if (requantized) {
        l.output_scale = r.f32(name + " output scale");
        l.output_zero_point = r.i32(name + " output zero point");
    }
    // Sizes come from the validated shape; check the bytes are there before allocating.
    r.need(outputs * (multipliers ? 12 : 8) + outputs * inputs * weight_bytes, name + " weights");
    for (size_t o = 0; o < outputs; o++) l.weight_scales.push_back(r.f32(name));
    for (size_t o = 0; o < outputs; o++) l.bias.push_back(r.i32(name));
    for (size_t o = 0; multipliers && o < outputs; o++) l.multiplier.push_back(r.i32(name));
    l.kernel.resize(outputs * inputs);
    const unsigned char* b = r.at();
    for (size_t i = 0; i < l.kernel.size(); i++, b += weight_bytes)
        l.kernel[i] = weight_bytes == 2 ? int16_t(uint16_t(b[0] | b[1] << 8)) : int16_t(int8_t(b[0]));
    r.skip(l.kernel.size() * weight_bytes);
    return l;
}

std::vector<unsigned char> serialize_quant_model(const QuantModel& m)
{
    m.validate("quantized model");
    Writer w;
    w.bytes(kQuantModelMagic, sizeof kQuantModelMagic);
    w.u32(kVersion);
    const ModelShape& s = m.shape;
    for (int v : {s.height, s.width, s.channels, s.conv_filters, s.dense_units, s.classes}) w.i32(v);
    w.u32(uint32_t(m.method));
    w.u32(m.calibration_frames);
    w.f32(m.input_scale);
    write_layer(w, m.conv, true, 2);
    write_layer(w, m.dense1, true, 1);
    write_layer(w, m.dense2, false, 1);
    w.u32(uint32_t(m.class_names.size()));
    for (const std::string& name : m.class_names) {
        w.u32(uint32_t(name.size()));
        w.bytes(name.data(), name.size());
    }
    w.u32(uint32_t(m.distance_mode));
    w.u32(uint32_t(crc32(0L, w.out.data(), uInt(w.out.size()))));
    return w.out;
}

QuantModel parse_quant_model(std::span<const unsigned char> bytes, const std::string& where)
{
    if (bytes.size() < sizeof kQuantModelMagic || std::memcmp(bytes.data(), kQuantModelMagic, sizeof kQuantModelMagic) != 0)
        throw Error(where, "not a quantized handposture model (bad magic)");
    if (bytes.size() < sizeof kQuantModelMagic + 8) throw Error(where, "file ends inside the header (truncated?)");
    const unsigned char* tail = bytes.data() + bytes.size() - 4;
    uint32_t stored_crc = uint32_t(tail[0]) | uint32_t(tail[1]) << 8 | uint32_t(tail[2]) << 16 | uint32_t(tail[3]) << 24;

    Reader r(bytes.first(bytes.size() - 4), where);
    r.skip(sizeof kQuantModelMagic);
    uint32_t version = r.u32("version");
    if (version < kFirstReadableVersion || version > kVersion)
        throw Error(where, "unsupported format version " + std::to_string(version) + " (this build reads " +
                               std::to_string(kFirstReadableVersion) + " to " + std::to_string(kVersion) + ")");
    if (uint32_t(crc32(0L, bytes.data(), uInt(bytes.size() - 4))) != stored_crc)
        throw Error(where, "CRC-32 mismatch: the file is damaged");

    QuantModel m;
    ModelShape& s = m.shape;
    s.height = r.count("input height", 4, 64);
    s.width = r.count("input width", 4, 64);
    s.channels = r.count("input channels", 1, 16);
    s.conv_filters = r.count("conv filters", 1, 256);
    s.dense_units = r.count("dense units", 1, 4096);
    s.classes = r.count("classes", 2, 64);
    uint32_t method = r.u32("calibration method");
    if (method > 1) throw Error(where, "unknown calibration method " + std::to_string(method));
    m.method = CalibrationMethod(method);
    m.calibration_frames = r.u32("calibration frames");
    m.input_scale = r.f32("input scale");
    m.conv = read_layer(r, "conv", size_t(s.conv_filters), size_t(9) * s.channels, true, false, 2);
    m.dense1 = read_layer(r, "dense", size_t(s.dense_units), size_t(s.flat_size()), true, true, 1);
    m.dense2 = read_layer(r, "output dense", size_t(s.outputs()), size_t(s.dense_units), false, false, 1);
    m.set_derived();
    uint32_t names = r.u32("class name count");
    if (names != 0 && names != uint32_t(s.classes))
        throw Error(where, std::to_string(names) + " class names for " + std::to_string(s.classes) + " classes");
    for (uint32_t i = 0; i < names; i++) {
        uint32_t length = r.u32("class name length");
        if (length == 0 || length > kMaxClassName)
            throw Error(where, "class name " + std::to_string(i) + " has length " + std::to_string(length) + " (1 to 64)");
        r.need(length, "class name " + std::to_string(i));
        std::string name(reinterpret_cast<const char*>(r.at()), length);
        r.skip(length);
        for (unsigned char c : name)
            if (c < 0x21 || c > 0x7e) throw Error(where, "class name " + std::to_string(i) + " holds a non-printable byte");
        m.class_names.push_back(std::move(name));
    }
    if (version >= 4) {
        const uint32_t mode = r.u32("distance mode");
        if (mode != HP_DISTANCE_ABSOLUTE && mode != HP_DISTANCE_RELATIVE)
            throw Error(where, "unknown distance mode " + std::to_string(mode) + " (this build knows 0 absolute, 1 relative)");
        m.distance_mode = int(mode);
    }
    if (r.remaining() != 0) throw Error(where, std::to_string(r.remaining()) + " unexpected bytes after the distance mode");
    m.validate(where);
    return m;
}

void write_quant_model(const std::filesystem::path& path, const QuantModel& model)
{
    std::vector<unsigned char> bytes = serialize_quant_model(model);
    write_file_atomically(path, bytes);
}

QuantModel read_quant_model(const std::filesystem::path& path)
{
    std::vector<unsigned char> bytes = read_file_bytes(path);
    return parse_quant_model(bytes, path.string());
}

bool is_quant_model_file(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    char magic[sizeof kQuantModelMagic];
    return in.read(magic, sizeof magic) && std::memcmp(magic, kQuantModelMagic, sizeof magic) == 0;
}

}  // namespace hp
