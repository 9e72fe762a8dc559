#include "model/model.hpp"

#include <cmath>

#include "core/error.hpp"
#include "hp_preprocess.h"

namespace hp {

Model Model::zeros(const ModelShape& s, std::vector<std::string> class_names)
{
    Model m;
    m.shape = s;
    m.class_names = std::move(class_names);
    m.weights.conv_kernel.assign(size_t(9) * s.channels * s.conv_filters, 0.0f);
    m.weights.conv_bias.assign(size_t(s.conv_filters), 0.0f);
    m.weights.dense1_kernel.assign(size_t(s.flat_size()) * s.dense_units, 0.0f);
    m.weights.dense1_bias.assign(size_t(s.dense_units), 0.0f);
    m.weights.dense2_kernel.assign(size_t(s.dense_units) * s.outputs(), 0.0f);
    m.weights.dense2_bias.assign(size_t(s.outputs()), 0.0f);
    return m;
}

static void check(const std::string& where, const char* name, const std::vector<float>& w, size_t expected)
{
    if (w.size() != expected)
        throw Error(where, std::string(name) + " has " + std::to_string(w.size()) + " values, expected " +
                               std::to_string(expected));
    for (size_t i = 0; i < w.size(); i++)
        if (!std::isfinite(w[i])) throw Error(where, std::string(name) + " holds a non-finite weight at index " + std::to_string(i));
}

void Model::validate(const std::string& where) const
{
    const ModelShape& s = shape;
    if (s.height < 4 || s.width < 4) throw Error(where, "input must be at least 4x4");
    if (s.channels < 1 || s.conv_filters < 1 || s.dense_units < 1 || s.classes < 2)
        throw Error(where, "layer sizes must be positive and classes >= 2");
    if (!class_names.empty() && int(class_names.size()) != s.classes)
        throw Error(where, std::to_string(class_names.size()) + " class names for " + std::to_string(s.classes) + " classes");
    if (distance_mode != HP_DISTANCE_ABSOLUTE && distance_mode != HP_DISTANCE_RELATIVE)
        throw Error(where, "unknown distance mode " + std::to_string(distance_mode));
    check(where, "conv kernel", weights.conv_kernel, size_t(9) * s.channels * s.conv_filters);
    check(where, "conv bias", weights.conv_bias, size_t(s.conv_filters));
    check(where, "dense kernel", weights.dense1_kernel, size_t(s.flat_size()) * s.dense_units);
    check(where, "dense bias", weights.dense1_bias, size_t(s.dense_units));
    check(where, "output kernel", weights.dense2_kernel, size_t(s.dense_units) * s.outputs());
    check(where, "output bias", weights.dense2_bias, size_t(s.outputs()));
}

long Model::parameter_count() const
{
    const ModelShape& s = shape;
    return long(9 * s.channels + 1) * s.conv_filters + long(s.flat_size() + 1) * s.dense_units +
           long(s.dense_units + 1) * s.outputs();
}

long Model::mac_count() const
{
    const ModelShape& s = shape;
    return long(s.conv_height()) * s.conv_width() * s.conv_filters * 9 * s.channels +
           long(s.flat_size()) * s.dense_units + long(s.dense_units) * s.outputs();
}

hp_model_f32 Model::runtime_view() const
{
    hp_model_f32 v;
    v.height = shape.height;
    v.width = shape.width;
    v.channels = shape.channels;
    v.conv_filters = shape.conv_filters;
    v.dense_units = shape.dense_units;
    v.outputs = shape.outputs();
    v.conv_kernel = weights.conv_kernel.data();
    v.conv_bias = weights.conv_bias.data();
    v.dense1_kernel = weights.dense1_kernel.data();
    v.dense1_bias = weights.dense1_bias.data();
    v.dense2_kernel = weights.dense2_kernel.data();
    v.dense2_bias = weights.dense2_bias.data();
    return v;
}

void check_frames_fit(const ModelShape& shape, int zones, const std::string& where)
{
    const int side = hp_grid_side(zones);
    if (side != 0 && side == shape.height && side == shape.width && shape.channels == 2) return;
    const std::string frames = side ? std::to_string(side) + "x" + std::to_string(side) + "x2"
                                    : std::to_string(zones) + " zones";
    throw Error(where, "frames are " + frames + " but the model expects " + std::to_string(shape.height) + "x" +
                           std::to_string(shape.width) + "x" + std::to_string(shape.channels));
}

hp_preprocess_config preprocess_for(const Model& model, hp_preprocess_config base)
{
    base.distance_mode = model.distance_mode;
    return base;
}

std::string distance_mode_name(int mode)
{
    return mode == HP_DISTANCE_RELATIVE ? "relative" : "absolute";
}

int parse_distance_mode(const std::string& name, const std::string& where)
{
    if (name == "absolute") return HP_DISTANCE_ABSOLUTE;
    if (name == "relative") return HP_DISTANCE_RELATIVE;
    throw Error(where, "unknown distance mode '" + name + "' (this build knows absolute and relative)");
}

}  // namespace hp
