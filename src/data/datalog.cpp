// ST datalogs: zone_head/zone_data (F, Z, N) and glob_head/glob_data (G, N), fields by name.
#include "data/datalog.hpp"

#include <cmath>
#include <cstring>
#include <limits>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "data/npz.hpp"

namespace hp {

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

const npy::Array& entry(const npy::Npz& npz, const std::string& key, const std::string& name)
{
    for (const auto& [k, array] : npz)
        if (k == key) return array;
    throw Error(name, "no '" + key + ".npy' entry (not an ST datalog)");
}

std::string shape_text(const std::vector<size_t>& shape)
{
    std::string s = "(";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + (shape.size() == 1 ? ",)" : ")");
}

std::vector<std::string> field_names(const npy::Array& head, const std::string& key, const std::string& name)
{
    if (head.dtype != npy::DType::unicode || head.shape.size() != 1)
        throw Error(name, key + ": expected a 1-D string array, got " + npy::descr(head) + " of shape " +
                              shape_text(head.shape));
    try {
        return head.to_strings();
    } catch (const Error& e) {
        throw Error(name, key + ": " + e.what());
    }
}

// Element [f][i] of a C-order (F, ...) array of any numeric dtype, as float.
float element(const npy::Array& array, size_t index)
{
    const unsigned char* p = array.data.data() + index * array.item_size();
    switch (array.dtype) {
    case npy::DType::f8: { double v; std::memcpy(&v, p, 8); return float(v); }
    case npy::DType::f4: { float v; std::memcpy(&v, p, 4); return v; }
    case npy::DType::i8: { int64_t v; std::memcpy(&v, p, 8); return float(v); }
    case npy::DType::i4: { int32_t v; std::memcpy(&v, p, 4); return float(v); }
    case npy::DType::u1: return float(*p);
    case npy::DType::b1: return *p ? 1.0f : 0.0f;
    case npy::DType::unicode: break;
    }
    return kNaN;
}

double scalar(const npy::Npz& npz, const std::string& key, const std::string& name)
{
    for (const auto& [k, array] : npz)
        if (k == key) {
            if (array.dtype == npy::DType::unicode || array.count() != 1)
                throw Error(name, key + ": expected one number");
            return array.to_f64()[0];
        }
    return 0;  // timestamps are informative only
}

}  // namespace

bool Datalog::has_nb_targets() const
{
    for (float v : nb_targets)
        if (!std::isnan(v)) return true;
    return false;
}

bool Datalog::frame_has_nan(int frame) const
{
    if (std::isnan(posture_code[size_t(frame)])) return true;
    size_t begin = size_t(frame) * size_t(zones), end = begin + size_t(zones);
    for (size_t i = begin; i < end; ++i)
        if (std::isnan(distance_mm[i]) || std::isnan(signal_per_spad[i]) || std::isnan(target_status[i]) ||
            std::isnan(valid[i]))
            return true;
    return false;
}

Datalog read_datalog(std::span<const unsigned char> npz_bytes, const std::string& name)
{
    npy::Npz npz = npy::read_npz(npz_bytes, name);
    const npy::Array& zone_head = entry(npz, "zone_head", name);
    const npy::Array& zone_data = entry(npz, "zone_data", name);
    const npy::Array& glob_head = entry(npz, "glob_head", name);
    const npy::Array& glob_data = entry(npz, "glob_data", name);
    std::vector<std::string> zone_fields = field_names(zone_head, "zone_head", name);
    std::vector<std::string> glob_fields = field_names(glob_head, "glob_head", name);

    if (zone_data.dtype == npy::DType::unicode || zone_data.shape.size() != 3 ||
        zone_data.shape[0] != zone_fields.size())
        throw Error(name, "zone_data: expected numbers of shape (" + std::to_string(zone_fields.size()) +
                              ", zones, frames), got " + npy::descr(zone_data) + " of shape " +
                              shape_text(zone_data.shape));
    if (glob_data.dtype == npy::DType::unicode || glob_data.shape.size() != 2 ||
        glob_data.shape[0] != glob_fields.size())
        throw Error(name, "glob_data: expected numbers of shape (" + std::to_string(glob_fields.size()) +
                              ", frames), got " + npy::descr(glob_data) + " of shape " + shape_text(glob_data.shape));
    size_t zones = zone_data.shape[1], frames = zone_data.shape[2];
    if (zones > 64 || hp_grid_side(int(zones)) == 0)
        throw Error(name, "zone_data has " + std::to_string(zones) + " zones; expected 16 (4x4) or 64 (8x8)");
    if (glob_data.shape[1] != frames)
        throw Error(name, "zone_data has " + std::to_string(frames) + " frames but glob_data has " +
                              std::to_string(glob_data.shape[1]));
    if (frames > size_t(std::numeric_limits<int>::max() / 64)) throw Error(name, "too many frames");

    Datalog log;
    log.zones = int(zones);
    log.frames = int(frames);
    // zone_data[f][z][n] -> field[n][z]
    auto zone_field = [&](const char* field, std::vector<float>& out) {
        out.assign(frames * zones, kNaN);
        for (size_t f = 0; f < zone_fields.size(); ++f) {
            if (zone_fields[f] != field) continue;
            for (size_t z = 0; z < zones; ++z)
                for (size_t n = 0; n < frames; ++n) out[n * zones + z] = element(zone_data, (f * zones + z) * frames + n);
            return;
        }
    };
    zone_field("distance_mm", log.distance_mm);
    zone_field("signal_per_spad", log.signal_per_spad);
    zone_field("target_status", log.target_status);
    zone_field("nb_target_detected", log.nb_targets);
    zone_field("valid", log.valid);
    log.posture_code.assign(frames, kNaN);
    for (size_t g = 0; g < glob_fields.size(); ++g)
        if (glob_fields[g] == ".GestureGT")
            for (size_t n = 0; n < frames; ++n) log.posture_code[n] = element(glob_data, g * frames + n);
    log.start_timestamp = scalar(npz, "start_tstmp", name);
    log.end_timestamp = scalar(npz, "end_tstmp", name);
    return log;
}

Datalog read_datalog_file(const std::filesystem::path& path)
{
    return read_datalog(read_file_bytes(path), path.string());
}

Datalog downsample_to_4x4(const Datalog& log)
{
    if (log.zones == 16) return log;
    if (log.zones != 64) throw Error("downsample_to_4x4: expected 64 zones, got " + std::to_string(log.zones));
    const bool nb_known = log.has_nb_targets();
    Datalog out = log;
    out.zones = 16;
    size_t n = size_t(log.frames) * 16;
    for (std::vector<float>* v : {&out.distance_mm, &out.signal_per_spad, &out.target_status, &out.nb_targets, &out.valid})
        v->assign(n, kNaN);
    for (size_t f = 0; f < size_t(log.frames); ++f)
        for (size_t zone = 0; zone < 16; ++zone) {
            size_t r = zone / 4, c = zone % 4, at = f * 16 + zone;
            size_t sub[4] = {(2 * r) * 8 + 2 * c, (2 * r) * 8 + 2 * c + 1, (2 * r + 1) * 8 + 2 * c, (2 * r + 1) * 8 + 2 * c + 1};
            float valid_d = 0, valid_s = 0, all_d = 0, all_s = 0;
            int valid_count = 0;
            bool status_nan = false, distance_nan = false, signal_nan = false, valid_nan = false;
            for (size_t k : sub) {
                size_t i = f * 64 + k;
                float nb = nb_known ? log.nb_targets[i] : kNaN;
                bool ok = (log.target_status[i] == 5.0f || log.target_status[i] == 9.0f) && !(nb <= 0.0f);
                status_nan |= std::isnan(log.target_status[i]);
                distance_nan |= std::isnan(log.distance_mm[i]);
                signal_nan |= std::isnan(log.signal_per_spad[i]);
                valid_nan |= std::isnan(log.valid[i]);
                all_d += log.distance_mm[i];
                all_s += log.signal_per_spad[i];
                if (ok) {
                    valid_d += log.distance_mm[i];
                    valid_s += log.signal_per_spad[i];
                    ++valid_count;
                }
            }
            if (valid_count > 0) {
                out.distance_mm[at] = valid_d / float(valid_count);
                out.signal_per_spad[at] = valid_s / float(valid_count);
                out.target_status[at] = 5.0f;
                out.valid[at] = 1.0f;
            } else {
                out.distance_mm[at] = all_d / 4.0f;
                out.signal_per_spad[at] = all_s / 4.0f;
                out.target_status[at] = log.target_status[f * 64 + sub[0]];
                out.valid[at] = 0.0f;
            }
            // A NaN anywhere in the block stays visible, so the frame is still dropped.
            if (status_nan) out.target_status[at] = kNaN;
            if (distance_nan) out.distance_mm[at] = kNaN;
            if (signal_nan) out.signal_per_spad[at] = kNaN;
            if (valid_nan) out.valid[at] = kNaN;
            if (nb_known) out.nb_targets[at] = valid_count > 0 ? 1.0f : 0.0f;
        }
    return out;
}

void write_datalog_file(const std::filesystem::path& path, const Datalog& log)
{
    size_t zones = size_t(log.zones), frames = size_t(log.frames), n = zones * frames;
    if (hp_grid_side(log.zones) == 0 || log.frames < 0)
        throw Error(path, "cannot write a datalog of " + std::to_string(log.zones) + " zones");
    const bool nb = log.has_nb_targets();
    std::vector<std::pair<std::string, const std::vector<float>*>> fields = {
        {"target_status", &log.target_status},
        {"valid", &log.valid},
        {"signal_per_spad", &log.signal_per_spad},
        {"distance_mm", &log.distance_mm},
    };
    if (nb) fields.emplace_back("nb_target_detected", &log.nb_targets);
    for (const auto& [field, values] : fields)
        if (values->size() != n) throw Error(path, "datalog field " + field + " has the wrong size");
    if (log.posture_code.size() != frames) throw Error(path, "datalog posture codes have the wrong size");

    std::vector<std::string> names;
    std::vector<double> zone_data(fields.size() * n);
    for (size_t f = 0; f < fields.size(); ++f) {
        names.push_back(fields[f].first);
        for (size_t z = 0; z < zones; ++z)
            for (size_t i = 0; i < frames; ++i) zone_data[(f * zones + z) * frames + i] = (*fields[f].second)[i * zones + z];
    }
    std::vector<double> glob_data(log.posture_code.begin(), log.posture_code.end());
    double start = log.start_timestamp, end = log.end_timestamp;

    // ST's entry order.
    npy::Npz npz;
    npz.emplace_back("start_tstmp", npy::Array::from_f64({}, std::span<const double>(&start, 1)));
    npz.emplace_back("end_tstmp", npy::Array::from_f64({}, std::span<const double>(&end, 1)));
    npz.emplace_back("zone_data", npy::Array::from_f64({fields.size(), zones, frames}, zone_data));
    npz.emplace_back("glob_data", npy::Array::from_f64({1, frames}, glob_data));
    npz.emplace_back("zone_head", npy::Array::from_strings(names));
    npz.emplace_back("glob_head", npy::Array::from_strings({".GestureGT"}));
    write_file_atomically(path, npy::write_npz(npz));
}

}  // namespace hp
