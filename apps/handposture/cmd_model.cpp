// handposture model: inspect a model file (layers, shapes, parameters, MACs) and re-write it in
// our Keras layout (normalized layer names).
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "model/model_file.hpp"
#include "quant/model_any.hpp"

namespace hp::cli {

namespace {

struct LayerRow {
    std::string type, activation;
    std::vector<int> output_shape;
    long parameters, macs;
};

std::vector<LayerRow> layer_rows(const Model& m)
{
    static const char* const activations[] = {"", "relu", "softmax", "sigmoid"};
    const std::vector<TensorShape> shapes = m.output_shapes();
    std::vector<LayerRow> rows;
    TensorShape in = m.input;
    for (size_t i = 0; i < m.layers.size(); i++) {
        const Layer& l = m.layers[i];
        const TensorShape& out = shapes[i];
        const bool flat = out.height == 1 && out.width == 1 && (l.kind == LayerKind::flatten || l.kind == LayerKind::dense);
        rows.push_back({layer_text(l), activations[int(l.activation)],
                        flat ? std::vector<int>{out.channels} : std::vector<int>{out.height, out.width, out.channels},
                        layer_parameter_count(l, in), layer_mac_count(l, in)});
        in = out;
    }
    return rows;
}

// 2752 -> "2,752"
std::string grouped(long value)
{
    std::string digits = std::to_string(value < 0 ? -value : value), out;
    for (size_t i = 0; i < digits.size(); i++) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return (value < 0 ? "-" : "") + out;
}

std::string shape_text(const std::vector<int>& shape)
{
    std::string text;
    for (size_t i = 0; i < shape.size(); i++) text += (i ? "x" : "") + std::to_string(shape[i]);
    return text;
}

void print_summary(const std::string& path, bool as_json)
{
    const AnyModel any = read_any_model(path);  // a Keras .h5 or an int8 .hpq
    const Model& m = any.model;
    const TensorShape& s = m.input;
    const std::vector<LayerRow> rows = layer_rows(m);
    const long weight_bytes = any.quant ? long(any.quant->weight_bytes())
                              : any.net ? long(any.net->weight_bytes())
                                        : m.parameter_count() * long(sizeof(float));
    // Either int8 scheme: CNN2D_ST_HandPosture's (12-bit input) or the general network's (int16 input).
    const float input_scale = any.quant ? any.quant->input_scale : any.net ? any.net->input_scale : 0.0f;
    const int input_bits = any.quant ? 12 : 16;
    const CalibrationMethod method = any.quant ? any.quant->method : any.net ? any.net->method : CalibrationMethod::minmax;
    const unsigned calibration_frames = any.quant ? any.quant->calibration_frames : any.net ? any.net->calibration_frames : 0;
    if (as_json) {
        nlohmann::ordered_json j;
        j["model"] = path;
        j["input_shape"] = {s.height, s.width, s.channels};
        j["classes"] = m.classes();
        j["class_names"] = m.class_names;
        j["layers"] = nlohmann::ordered_json::array();
        for (const LayerRow& r : rows)
            j["layers"].push_back({{"type", r.type}, {"activation", r.activation}, {"output_shape", r.output_shape},
                                   {"parameters", r.parameters}, {"macs", r.macs}});
        j["parameters"] = m.parameter_count();
        j["macs"] = m.mac_count();
        j["weight_bytes"] = weight_bytes;
        j["weight_type"] = any.is_int8() ? "int8" : "float32";
        if (any.is_int8())
            j["quantization"] = {{"input_scale", input_scale},
                                 {"input_bits", input_bits},
                                 {"calibration", calibration_method_name(method)},
                                 {"calibration_frames", calibration_frames}};
        std::printf("%s\n", j.dump(2).c_str());
        return;
    }
    std::printf("model %s\n", path.c_str());
    std::printf("input %dx%dx%d, %d classes", s.height, s.width, s.channels, m.classes());
    if (m.class_names.empty()) {
        std::printf(" (class names not stored in the file)\n");
    } else {
        std::printf(":");
        for (const std::string& name : m.class_names) std::printf(" %s", name.c_str());
        std::printf("\n");
    }
    std::printf("\n%-34s %-13s %12s %12s\n", "layer", "output shape", "parameters", "MACs");
    for (const LayerRow& r : rows)
        std::printf("%-34s %-13s %12s %12s\n", r.type.c_str(), shape_text(r.output_shape).c_str(),
                    grouped(r.parameters).c_str(), grouped(r.macs).c_str());
    std::printf("%-34s %-13s %12s %12s\n", "total", "", grouped(m.parameter_count()).c_str(),
                grouped(m.mac_count()).c_str());
    if (any.is_int8())
        std::printf("\nweights: %s bytes as int8 (%s, int32 biases and requantization; %s calibration on %u frames)\n",
                    grouped(weight_bytes).c_str(),
                    any.quant ? "int16 conv and int8 dense kernels" : "int8 kernels, general network",
                    calibration_method_name(method), calibration_frames);
    else
        std::printf("\nweights: %s bytes as float32\n", grouped(weight_bytes).c_str());
    std::printf("preprocessing: %s distances\n", distance_mode_name(m.distance_mode).c_str());
}

}  // namespace

void add_model_commands(CLI::App& app)
{
    CLI::App* model = app.add_subcommand("model", "Inspect model files (`handposture export` rewrites them)");
    model->require_subcommand(1);

    struct Options {
        std::string model;
        bool json = false;
    };
    auto o = std::make_shared<Options>();

    CLI::App* summary = model->add_subcommand("summary", "Layers, output shapes, parameters and MACs of a model");
    summary->add_option("--model", o->model, "Keras .h5 or int8 .hpq model")->required();
    summary->add_flag("--json", o->json, "Print JSON instead of a table");
    summary->callback([o] { print_summary(o->model, o->json); });
}

}  // namespace hp::cli
