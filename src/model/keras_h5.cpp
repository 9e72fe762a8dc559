// Keras 2.x .h5 model files through the HDF5 C API (see model_file.hpp). The graph comes from
// the model_config JSON (keras_config.hpp); weights from model_weights/<layer>, found through
// each layer group's weight_names attribute.
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "model/h5_handle.hpp"
#include "model/keras_config.hpp"
#include "model/model_file.hpp"

namespace hp {

namespace fs = std::filesystem;

namespace {

const char* const kClassNamesAttribute = "handposture_class_names";
// The preprocessing's distance mode; absent: ST's absolute distances (every ST model).
const char* const kDistanceModeAttribute = "handposture_distance_mode";
constexpr hssize_t kMaxStrings = 1 << 16;

// HDF5 prints its own error stack by default; we report errors ourselves.
void silence_hdf5_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

std::string shape_text(const std::vector<hsize_t>& dims)
{
    std::string text = "(";
    for (size_t i = 0; i < dims.size(); i++) text += (i ? ", " : "") + std::to_string(dims[i]);
    return text + (dims.size() == 1 ? ",)" : ")");
}

// True if every component of the '/'-separated path below loc exists.
bool link_exists(hid_t loc, const std::string& path)
{
    size_t pos = 0;
    while (true) {
        size_t slash = path.find('/', pos);
        std::string prefix = path.substr(0, slash);
        if (prefix.empty() || H5Lexists(loc, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
        if (slash == std::string::npos) return true;
        pos = slash + 1;
    }
}

// A string attribute (scalar or 1-D, fixed or variable length) as a list of strings. An empty
// non-string array (Keras writes weight_names of weightless layers as float64 []) is an empty list.
std::vector<std::string> read_strings(hid_t object, const char* name, const fs::path& where, const std::string& owner)
{
    const std::string what = owner + "attribute '" + name + "'";
    H5Handle attribute = h5_attribute(H5Aopen(object, name, H5P_DEFAULT));
    if (!attribute.valid()) throw Error(where, "cannot open " + what);
    H5Handle type = h5_type(H5Aget_type(attribute.get()));
    H5Handle space = h5_space(H5Aget_space(attribute.get()));
    if (!type.valid() || !space.valid()) throw Error(where, "cannot read " + what);
    hssize_t count = H5Sget_simple_extent_npoints(space.get());
    if (count < 0 || count > kMaxStrings || H5Sget_simple_extent_ndims(space.get()) > 1)
        throw Error(where, what + " is not a list of strings");
    if (H5Tget_class(type.get()) != H5T_STRING) {
        if (count == 0) return {};
        throw Error(where, what + " is not a string");
    }
    std::vector<std::string> strings;
    if (count == 0) return strings;
    if (H5Tis_variable_str(type.get()) > 0) {
        H5Handle memory = h5_type(H5Tcopy(H5T_C_S1));
        H5Tset_size(memory.get(), H5T_VARIABLE);
        H5Tset_cset(memory.get(), H5Tget_cset(type.get()));
        std::vector<char*> buffer(size_t(count), nullptr);
        if (H5Aread(attribute.get(), memory.get(), buffer.data()) < 0) throw Error(where, "cannot read " + what);
        for (char* s : buffer) strings.emplace_back(s ? s : "");
        H5Dvlen_reclaim(memory.get(), space.get(), H5P_DEFAULT, buffer.data());
    } else {
        size_t size = H5Tget_size(type.get());
        if (size == 0 || size > (1u << 24) / size_t(count)) throw Error(where, what + " is too large");
        H5Handle memory = h5_type(H5Tcopy(type.get()));
        std::vector<char> buffer(size * size_t(count), '\0');
        if (H5Aread(attribute.get(), memory.get(), buffer.data()) < 0) throw Error(where, "cannot read " + what);
        for (hssize_t i = 0; i < count; i++) {
            const char* s = buffer.data() + size_t(i) * size;
            size_t n = 0;
            while (n < size && s[n] != '\0') n++;
            strings.emplace_back(s, n);
        }
    }
    return strings;
}

// A float dataset of exactly the expected shape, converted to float32.
std::vector<float> read_weights(hid_t layer_group, const std::string& dataset_path, const std::vector<hsize_t>& expected,
                                const fs::path& where, const std::string& layer)
{
    const std::string what = "layer '" + layer + "': weight '" + dataset_path + "'";
    if (!link_exists(layer_group, dataset_path)) throw Error(where, what + " is missing");
    H5Handle dataset = h5_dataset(H5Dopen2(layer_group, dataset_path.c_str(), H5P_DEFAULT));
    if (!dataset.valid()) throw Error(where, what + " is not a dataset");
    H5Handle type = h5_type(H5Dget_type(dataset.get()));
    H5Handle space = h5_space(H5Dget_space(dataset.get()));
    if (!type.valid() || !space.valid() || H5Tget_class(type.get()) != H5T_FLOAT)
        throw Error(where, what + " is not floating point");
    int rank = H5Sget_simple_extent_ndims(space.get());
    std::vector<hsize_t> dims(rank > 0 ? size_t(rank) : 0);
    if (rank < 0 || (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0))
        throw Error(where, "cannot read the shape of " + what);
    if (dims != expected) throw Error(where, what + " has shape " + shape_text(dims) + ", expected " + shape_text(expected));
    size_t count = 1;
    for (hsize_t d : dims) count *= size_t(d);
    std::vector<float> values(count);
    if (count > 0 && H5Dread(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
        throw Error(where, "cannot read " + what);
    return values;
}

struct WeightSpec {
    const char* leaf;  // Keras' variable name: kernel, bias, gamma, ...
    std::vector<hsize_t> dims;
};

// The weights of `layer` (input `in`) in Keras' order, as Layer::weights holds them.
std::vector<WeightSpec> weight_specs(const Layer& layer, const TensorShape& in)
{
    const hsize_t C = hsize_t(in.channels), O = hsize_t(layer.units), k = hsize_t(layer.kernel_size);
    std::vector<WeightSpec> specs;
    if (layer.kind == LayerKind::conv2d) specs.push_back({"kernel", {k, k, C, O}});
    if (layer.kind == LayerKind::dense) specs.push_back({"kernel", {hsize_t(in.size()), O}});
    if ((layer.kind == LayerKind::conv2d || layer.kind == LayerKind::dense) && layer.use_bias)
        specs.push_back({"bias", {O}});
    if (layer.kind == LayerKind::batch_norm)
        for (const char* leaf : {"gamma", "beta", "moving_mean", "moving_variance"}) specs.push_back({leaf, {C}});
    return specs;
}

// The weights of one layer, located through its weight_names attribute by their leaf names.
void read_layer(hid_t weights_root, Layer& layer, const TensorShape& in, const fs::path& where)
{
    const std::vector<WeightSpec> specs = weight_specs(layer, in);
    layer.weights.clear();
    if (specs.empty()) return;
    const std::string& name = layer.name;
    const std::string what = "layer '" + name + "': ";
    if (!link_exists(weights_root, name)) throw Error(where, what + "no weights group model_weights/" + name);
    H5Handle group = h5_group(H5Gopen2(weights_root, name.c_str(), H5P_DEFAULT));
    if (!group.valid()) throw Error(where, what + "model_weights/" + name + " is not a group");
    if (H5Aexists(group.get(), "weight_names") <= 0) throw Error(where, what + "no weight_names attribute");
    const std::vector<std::string> names = read_strings(group.get(), "weight_names", where, what);
    std::vector<std::string> found(specs.size());
    for (const std::string& path : names) {
        const std::string leaf = path.substr(path.rfind('/') + 1);
        size_t i = 0;
        while (i < specs.size() && !(leaf.rfind(specs[i].leaf, 0) == 0 && leaf.size() > std::strlen(specs[i].leaf) &&
                                     leaf[std::strlen(specs[i].leaf)] == ':'))
            i++;
        if (i == specs.size() || !found[i].empty()) throw Error(where, what + "unexpected weight '" + path + "'");
        found[i] = path;
    }
    for (size_t i = 0; i < specs.size(); i++) {
        if (found[i].empty()) throw Error(where, what + "weight_names lack its " + specs[i].leaf);
        layer.weights.push_back(read_weights(group.get(), found[i], specs[i].dims, where, name));
    }
}

// --- writing ---

void check(herr_t status, const fs::path& where, const std::string& what)
{
    if (status < 0) throw Error(where, "cannot write " + what);
}

H5Handle utf8_string_type()
{
    H5Handle type = h5_type(H5Tcopy(H5T_C_S1));
    H5Tset_size(type.get(), H5T_VARIABLE);
    H5Tset_cset(type.get(), H5T_CSET_UTF8);
    return type;
}

void write_string(hid_t object, const char* name, const std::string& value, const fs::path& where)
{
    H5Handle type = utf8_string_type();
    H5Handle space = h5_space(H5Screate(H5S_SCALAR));
    H5Handle attribute = h5_attribute(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
    const char* text = value.c_str();
    check(attribute.valid() ? H5Awrite(attribute.get(), type.get(), &text) : -1, where, std::string("attribute ") + name);
}

// A list of strings; an empty list is written as Keras does, an empty float64 array.
void write_strings(hid_t object, const char* name, const std::vector<std::string>& values, const fs::path& where)
{
    hsize_t count = values.size();
    H5Handle space = h5_space(H5Screate_simple(1, &count, nullptr));
    if (values.empty()) {
        H5Handle attribute = h5_attribute(H5Acreate2(object, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT));
        double unused = 0;
        check(attribute.valid() ? H5Awrite(attribute.get(), H5T_NATIVE_DOUBLE, &unused) : -1, where, std::string("attribute ") + name);
        return;
    }
    H5Handle type = utf8_string_type();
    std::vector<const char*> texts;
    for (const std::string& v : values) texts.push_back(v.c_str());
    H5Handle attribute = h5_attribute(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
    check(attribute.valid() ? H5Awrite(attribute.get(), type.get(), texts.data()) : -1, where, std::string("attribute ") + name);
}

// A creation property list of `list_class` without object timestamps: HDF5 stamps every object
// with the second it was made, so the same model written twice would give different files.
H5Handle untimed(hid_t list_class)
{
    H5Handle list = h5_plist(H5Pcreate(list_class));
    if (!list.valid() || H5Pset_obj_track_times(list.get(), 0) < 0) throw Error("HDF5: cannot create a property list");
    return list;
}

H5Handle create_group(hid_t parent, const std::string& name, const fs::path& where)
{
    H5Handle group = h5_group(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, untimed(H5P_GROUP_CREATE).get(), H5P_DEFAULT));
    if (!group.valid()) throw Error(where, "cannot create group " + name);
    return group;
}

void write_dataset(hid_t group, const char* name, const std::vector<float>& values, const std::vector<hsize_t>& dims,
                   const fs::path& where)
{
    H5Handle space = h5_space(H5Screate_simple(int(dims.size()), dims.data(), nullptr));
    H5Handle dataset = h5_dataset(H5Dcreate2(group, name, H5T_IEEE_F32LE, space.get(), H5P_DEFAULT,
                                                untimed(H5P_DATASET_CREATE).get(), H5P_DEFAULT));
    check(dataset.valid() ? H5Dwrite(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) : -1,
          where, std::string("dataset ") + name);
}

// model_weights/<layer> with weight_names, and model_weights/<layer>/<layer>/<leaf>:0.
void write_layer(hid_t weights_root, const std::string& name, const std::vector<WeightSpec>& specs,
                 const std::vector<std::vector<float>>& weights, const fs::path& where)
{
    H5Handle group = create_group(weights_root, name, where);
    std::vector<std::string> names;
    for (const WeightSpec& spec : specs) names.push_back(name + "/" + spec.leaf + ":0");
    write_strings(group.get(), "weight_names", names, where);
    if (specs.empty()) return;
    H5Handle inner = create_group(group.get(), name, where);
    for (size_t i = 0; i < specs.size(); i++)
        write_dataset(inner.get(), (std::string(specs[i].leaf) + ":0").c_str(), weights[i], specs[i].dims, where);
}

}  // namespace

Model read_keras_h5(const fs::path& path)
{
    silence_hdf5_errors();
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) throw Error(path, "no such file");
    if (H5Fis_hdf5(path.c_str()) <= 0) throw Error(path, "not an HDF5 file");
    H5Handle file = h5_file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    if (!file.valid()) throw Error(path, "cannot open as HDF5");

    if (H5Aexists(file.get(), "model_config") <= 0)
        throw Error(path, "no model_config attribute: not a Keras model saved with model.save (weights-only file?)");
    std::vector<std::string> config = read_strings(file.get(), "model_config", path, "");
    if (config.size() != 1) throw Error(path, "attribute 'model_config' is not one string");
    Model model = parse_keras_model_config(config[0], path.string());

    H5Handle weights;
    if (H5Lexists(file.get(), "model_weights", H5P_DEFAULT) > 0)
        weights = h5_group(H5Gopen2(file.get(), "model_weights", H5P_DEFAULT));
    else
        throw Error(path, "no model_weights group");
    if (!weights.valid()) throw Error(path, "model_weights is not a group");
    const std::vector<TensorShape> shapes = model.output_shapes(path.string());
    for (size_t i = 0; i < model.layers.size(); i++)
        read_layer(weights.get(), model.layers[i], i ? shapes[i - 1] : model.input, path);

    if (H5Aexists(file.get(), kClassNamesAttribute) > 0)
        model.class_names = read_strings(file.get(), kClassNamesAttribute, path, "");
    if (H5Aexists(file.get(), kDistanceModeAttribute) > 0) {
        const std::vector<std::string> mode = read_strings(file.get(), kDistanceModeAttribute, path, "");
        if (mode.size() != 1) throw Error(path, std::string("attribute '") + kDistanceModeAttribute + "' is not one string");
        model.distance_mode = parse_distance_mode(mode[0], path.string() + ": attribute " + kDistanceModeAttribute);
    }
    model.validate(path.string());
    return model;
}

void write_keras_h5(const fs::path& path, const Model& model)
{
    model.validate(path.string());
    silence_hdf5_errors();
    write_atomically(path, [&](const fs::path& tmp) {
        hid_t id = H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, untimed(H5P_FILE_CREATE).get(), H5P_DEFAULT);
        if (id < 0) throw Error(path, "cannot create HDF5 file");
        {
            H5Handle file = h5_file(id);
            write_string(id, "keras_version", "2.8.0", path);
            write_string(id, "backend", "tensorflow", path);
            write_string(id, "model_config", keras_model_config_json(model), path);
            if (!model.class_names.empty()) write_strings(id, kClassNamesAttribute, model.class_names, path);
            // Only when not ST's, so an ST-recipe model is the file it always was.
            if (model.distance_mode != HP_DISTANCE_ABSOLUTE)
                write_string(id, kDistanceModeAttribute, distance_mode_name(model.distance_mode), path);

            H5Handle weights = create_group(id, "model_weights", path);
            std::vector<std::string> layer_names = {"input_1"};
            for (const Layer& l : model.layers) layer_names.push_back(l.name);
            write_strings(weights.get(), "layer_names", layer_names, path);
            write_string(weights.get(), "backend", "tensorflow", path);
            write_string(weights.get(), "keras_version", "2.8.0", path);
            write_layer(weights.get(), "input_1", {}, {}, path);
            const std::vector<TensorShape> shapes = model.output_shapes(path.string());
            for (size_t i = 0; i < model.layers.size(); i++) {
                const Layer& l = model.layers[i];
                write_layer(weights.get(), l.name, weight_specs(l, i ? shapes[i - 1] : model.input), l.weights, path);
            }
            write_layer(weights.get(), "top_level_model_weights", {}, {}, path);
            weights.reset();
            file.release();  // closed below, where a failure to flush is seen
        }
        if (H5Fclose(id) < 0) throw Error(path, "cannot write HDF5 file");
    });
}

}  // namespace hp
