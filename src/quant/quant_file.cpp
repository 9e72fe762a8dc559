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
// 5: the general network of any layer list (QuantNet); ST's family is still written as 4.
static constexpr uint32_t kVersion = 4;
static constexpr uint32_t kNetVersion = 5;
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
    if (version == kNetVersion)
        throw Error(where, "holds a general int8 network (format version 5), not CNN2D_ST_HandPosture's");
    if (version < kFirstReadableVersion || version > kVersion)
        throw Error(where, "unsupported format version " + std::to_string(version) + " (this build reads " +
                               std::to_string(kFirstReadableVersion) + " to " + std::to_string(kNetVersion) + ")");
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

// ---- version 5: the general network ----------------------------------------------------------
// After the magic and the version: calibration method, calibration frames, input H W C, input
// scale, input limit, sigmoid, layer count; per layer: kind (0 conv2d, 1 max pool, 2 dense), name
// (length, bytes), then conv2d: filters, kernel size, padding, relu; dense: units, relu; and for
// conv2d and dense: output scale and zero point (all but the last), weight scales, biases,
// multipliers (all but the last), int8 kernel [out][taps]. Then class names and the distance mode
// as in version 4, and the CRC-32.

static void write_name(Writer& w, const std::string& name)
{
    w.u32(uint32_t(name.size()));
    w.bytes(name.data(), name.size());
}

static std::string read_name(Reader& r, const std::string& where, const std::string& what)
{
    const uint32_t length = r.u32(what + " length");
    if (length == 0 || length > kMaxClassName)
        throw Error(where, what + " has length " + std::to_string(length) + " (1 to 64)");
    r.need(length, what);
    std::string name(reinterpret_cast<const char*>(r.at()), length);
    r.skip(length);
    for (unsigned char c : name)
        if (c < 0x21 || c > 0x7e) throw Error(where, what + " holds a non-printable byte");
    return name;
}

std::vector<unsigned char> serialize_quant_net(const QuantNet& m)
{
    m.validate("quantized model");
    Writer w;
    w.bytes(kQuantModelMagic, sizeof kQuantModelMagic);
    w.u32(kNetVersion);
    w.u32(uint32_t(m.method));
    w.u32(m.calibration_frames);
    for (int v : {m.input.height, m.input.width, m.input.channels}) w.i32(v);
    w.f32(m.input_scale);
    w.i32(m.input_limit);
    w.u32(m.sigmoid ? 1 : 0);
    w.u32(uint32_t(m.layers.size()));
    for (size_t i = 0; i < m.layers.size(); i++) {
        const QuantNetLayer& l = m.layers[i];
        const bool last = i + 1 == m.layers.size();
        w.u32(l.kind == PlanLayer::Kind::conv2d ? 0 : l.kind == PlanLayer::Kind::max_pool ? 1 : 2);
        write_name(w, l.name.empty() ? "layer_" + std::to_string(i) : l.name);
        if (l.kind == PlanLayer::Kind::max_pool) continue;
        w.i32(l.out.channels);
        if (l.kind == PlanLayer::Kind::conv2d) {
            w.i32(l.kernel_size);
            w.i32(l.padding);
        }
        w.u32(l.relu ? 1 : 0);
        if (!last) {
            w.f32(l.output_scale);
            w.i32(l.output_zero_point);
        }
        for (float s : l.weight_scales) w.f32(s);
        for (int32_t b : l.bias) w.i32(b);
        for (int32_t mu : l.multiplier) w.i32(mu);
        w.bytes(l.kernel.data(), l.kernel.size());
    }
    w.u32(uint32_t(m.class_names.size()));
    for (const std::string& name : m.class_names) write_name(w, name);
    w.u32(uint32_t(m.distance_mode));
    w.u32(uint32_t(crc32(0L, w.out.data(), uInt(w.out.size()))));
    return w.out;
}

// A flag stored as a u32: 0 or 1.
static bool read_flag(Reader& r, const std::string& where, const std::string& what)
{
    const uint32_t v = r.u32(what);
    if (v > 1) throw Error(where, what + " is " + std::to_string(v) + " (0 or 1)");
    return v == 1;
}

static QuantNetLayer read_net_layer(Reader& r, const std::string& where, size_t index, const TensorShape& in, bool last)
{
    QuantNetLayer l;
    const std::string name = "layer " + std::to_string(index);
    const uint32_t kind = r.u32(name + " kind");
    if (kind > 2) throw Error(where, name + " has unknown kind " + std::to_string(kind) + " (0 conv2d, 1 max pool, 2 dense)");
    l.kind = kind == 0 ? PlanLayer::Kind::conv2d : kind == 1 ? PlanLayer::Kind::max_pool : PlanLayer::Kind::dense;
    l.name = read_name(r, where, name + " name");
    l.in = kind == 2 ? TensorShape{1, 1, int(in.size())} : in;  // a dense layer's input is flat
    if (l.kind == PlanLayer::Kind::max_pool) {
        if (in.height < 2 || in.width < 2) throw Error(where, name + ": max pooling of " + in.text());
        l.out = {in.height / 2, in.width / 2, in.channels};
        return l;
    }
    const int outs = r.count(name + " outputs", 1, 4096);
    if (l.kind == PlanLayer::Kind::conv2d) {
        l.kernel_size = r.count(name + " kernel size", 1, 5);
        l.padding = r.count(name + " padding", 0, l.kernel_size / 2);
        if (l.kernel_size % 2 == 0) throw Error(where, name + " kernel size " + std::to_string(l.kernel_size) + " (1, 3 or 5)");
        const int h = in.height + 2 * l.padding - l.kernel_size + 1, w = in.width + 2 * l.padding - l.kernel_size + 1;
        if (h < 1 || w < 1) throw Error(where, name + ": a " + std::to_string(l.kernel_size) + "x" +
                                                   std::to_string(l.kernel_size) + " kernel on " + in.text());
        l.out = {h, w, outs};
    } else {
        l.out = {1, 1, outs};
    }
    if (l.out.size() > (size_t(1) << 22)) throw Error(where, name + " output " + l.out.text() + " is too large");
    l.relu = read_flag(r, where, name + " relu");
    if (!last) {
        l.output_scale = r.f32(name + " output scale");
        l.output_zero_point = r.i32(name + " output zero point");
    }
    const size_t n = size_t(outs), taps = l.taps();
    // Sizes come from checked counts; check the bytes are there before allocating.
    if (taps > (size_t(1) << 22)) throw Error(where, name + " has too many inputs");
    r.need(n * (last ? 8 : 12) + n * taps, name + " weights");
    for (size_t o = 0; o < n; o++) l.weight_scales.push_back(r.f32(name));
    for (size_t o = 0; o < n; o++) l.bias.push_back(r.i32(name));
    for (size_t o = 0; !last && o < n; o++) l.multiplier.push_back(r.i32(name));
    l.kernel.assign(reinterpret_cast<const int8_t*>(r.at()), reinterpret_cast<const int8_t*>(r.at()) + n * taps);
    r.skip(n * taps);
    return l;
}

static QuantNet parse_quant_net(Reader& r, const std::string& where)
{
    QuantNet m;
    const uint32_t method = r.u32("calibration method");
    if (method > 1) throw Error(where, "unknown calibration method " + std::to_string(method));
    m.method = CalibrationMethod(method);
    m.calibration_frames = r.u32("calibration frames");
    m.input.height = r.count("input height", 1, 256);
    m.input.width = r.count("input width", 1, 256);
    m.input.channels = r.count("input channels", 1, 64);
    m.input_scale = r.f32("input scale");
    m.input_limit = r.count("input limit", 1, 32767);
    m.sigmoid = read_flag(r, where, "sigmoid");
    const int count = r.count("layer count", 1, 64);
    TensorShape in = m.input;
    for (int i = 0; i < count; i++) {
        m.layers.push_back(read_net_layer(r, where, size_t(i), in, i + 1 == count));
        in = m.layers.back().out;
    }
    const uint32_t names = r.u32("class name count");
    if (names != 0 && names != uint32_t(m.classes()))
        throw Error(where, std::to_string(names) + " class names for " + std::to_string(m.classes()) + " classes");
    for (uint32_t i = 0; i < names; i++) m.class_names.push_back(read_name(r, where, "class name " + std::to_string(i)));
    const uint32_t mode = r.u32("distance mode");
    if (mode != HP_DISTANCE_ABSOLUTE && mode != HP_DISTANCE_RELATIVE)
        throw Error(where, "unknown distance mode " + std::to_string(mode) + " (this build knows 0 absolute, 1 relative)");
    m.distance_mode = int(mode);
    if (r.remaining() != 0) throw Error(where, std::to_string(r.remaining()) + " unexpected bytes after the distance mode");
    if (m.layers.back().kind != PlanLayer::Kind::dense) throw Error(where, "the last layer must be a dense layer");
    m.set_derived();
    m.validate(where);
    return m;
}

AnyQuant parse_quant_file(std::span<const unsigned char> bytes, const std::string& where)
{
    if (bytes.size() < sizeof kQuantModelMagic || std::memcmp(bytes.data(), kQuantModelMagic, sizeof kQuantModelMagic) != 0)
        throw Error(where, "not a quantized handposture model (bad magic)");
    if (bytes.size() < sizeof kQuantModelMagic + 8) throw Error(where, "file ends inside the header (truncated?)");
    Reader r(bytes.first(bytes.size() - 4), where);
    r.skip(sizeof kQuantModelMagic);
    if (r.u32("version") != kNetVersion) return parse_quant_model(bytes, where);
    const unsigned char* tail = bytes.data() + bytes.size() - 4;
    const uint32_t stored_crc = uint32_t(tail[0]) | uint32_t(tail[1]) << 8 | uint32_t(tail[2]) << 16 | uint32_t(tail[3]) << 24;
    if (uint32_t(crc32(0L, bytes.data(), uInt(bytes.size() - 4))) != stored_crc)
        throw Error(where, "CRC-32 mismatch: the file is damaged");
    return parse_quant_net(r, where);
}

void write_quant_file(const std::filesystem::path& path, const AnyQuant& model)
{
    if (const QuantNet* net = std::get_if<QuantNet>(&model))
        write_file_atomically(path, serialize_quant_net(*net));
    else
        write_quant_model(path, std::get<QuantModel>(model));
}

AnyQuant read_quant_file(const std::filesystem::path& path)
{
    std::vector<unsigned char> bytes = read_file_bytes(path);
    return parse_quant_file(bytes, path.string());
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
