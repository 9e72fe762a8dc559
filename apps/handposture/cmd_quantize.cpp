// handposture quantize: post-training int8 quantization of a float model, calibrated on frames
// of a dataset, with float vs int8 accuracy on that dataset.
#include <cstdio>
#include <memory>
#include <variant>

#include "commands.hpp"
#include "core/error.hpp"
#include "data/dataset.hpp"
#include "eval/metrics.hpp"
#include "model/model_file.hpp"
#include "model/predict.hpp"
#include "quant/quant_file.hpp"
#include "quant/quant_model.hpp"

namespace hp::cli {

namespace {

struct QuantizeOptions {
    std::string model, data, out, method = "minmax";
    size_t calibration_frames = 1000;
    int threads = 0;
};

void run_quantize(const QuantizeOptions& o)
{
    const CalibrationMethod method = parse_calibration_method(o.method);
    Model model = read_keras_h5(o.model);
    DatasetOptions options;
    options.classes = model.class_names;  // empty: ST's 8 classes
    options.preprocess = preprocess_for(model);  // the ranges of the inputs the model will see
    Dataset data = load_dataset(o.data, options);
    if (int(data.class_names.size()) != model.classes())
        throw Error(o.model, "the model has " + std::to_string(model.classes()) + " classes but " + o.data + " has " +
                                 std::to_string(data.class_names.size()));
    check_frames_fit(model.input, data.height * data.width, o.data);
    if (data.size() == 0) throw Error(o.data, "no frames to calibrate on");
    if (model.class_names.empty()) model.class_names = data.class_names;

    // Calibrate on an evenly spread subset of the frames.
    std::vector<size_t> subset = calibration_subset(data.size(), o.calibration_frames);
    std::vector<float> frames;
    frames.reserve(subset.size() * data.input_size());
    for (size_t i : subset) frames.insert(frames.end(), data.input(i), data.input(i) + data.input_size());
    // CNN2D_ST_HandPosture: its specialised scheme; any other layer list: the general network.
    const AnyQuant q = quantize_any_model(model, frames.data(), subset.size(), method);
    write_quant_file(o.out, q);
    const auto int8_scores = [&](const auto& m) { return predict_scores(m, data.inputs.data(), data.size(), o.threads); };

    const int outputs = model.outputs();
    std::vector<float> f32 = predict_scores(model, data.inputs.data(), data.size(), o.threads);
    std::vector<float> s8 = std::visit(int8_scores, q);
    Metrics mf = compute_metrics(f32, outputs, data.labels, data.class_names);
    Metrics mq = compute_metrics(s8, outputs, data.labels, data.class_names);
    size_t agree = 0;
    for (size_t n = 0; n < data.size(); n++)
        agree += predicted_class(&f32[n * size_t(outputs)], outputs) == predicted_class(&s8[n * size_t(outputs)], outputs);

    std::printf("calibrated on %zu of %zu frames (%s)\n", subset.size(), data.size(), calibration_method_name(method));
    std::printf("float32 accuracy: %.2f %% (%zu frames)\n", 100.0 * mf.accuracy, data.size());
    std::printf("int8 accuracy:    %.2f %% (%+.2f points)\n", 100.0 * mq.accuracy, 100.0 * (mq.accuracy - mf.accuracy));
    std::printf("same class as float32: %.2f %% of frames\n", 100.0 * double(agree) / double(data.size()));
    if (const QuantModel* st = std::get_if<QuantModel>(&q))
        std::printf("wrote %s (%zu bytes of int16 conv and int8 dense weights, int32 biases and requantization)\n",
                    o.out.c_str(), st->weight_bytes());
    else
        std::printf("wrote %s (general int8 network: %zu bytes of weights as the runtime holds them, conv widened "
                    "to int16, int32 biases and requantization)\n",
                    o.out.c_str(), std::get<QuantNet>(q).weight_bytes());
}

}  // namespace

void add_quantize_commands(CLI::App& app)
{
    auto o = std::make_shared<QuantizeOptions>();
    CLI::App* cmd = app.add_subcommand("quantize", "Quantize a float model to int8 (post-training, calibrated on data)");
    cmd->add_option("--model", o->model, "Float model (Keras .h5)")->required();
    cmd->add_option("--data", o->data, "Dataset folder or ST's .zip: calibration frames and accuracy")->required();
    cmd->add_option("--out", o->out, "Quantized model to write (.hpq, docs/quantized-model-format.md)")->required();
    cmd->add_option("--calibration-frames", o->calibration_frames,
                    "Frames to calibrate on, evenly spread over the data (0: all)")
        ->capture_default_str();
    cmd->add_option("--method", o->method, "Calibration: minmax (whole range) or percentile (0.01-99.99 %)")
        ->check(CLI::IsMember({"minmax", "percentile"}))
        ->capture_default_str();
    cmd->add_option("--threads", o->threads, "Threads for prediction (0: all cores)")->capture_default_str();
    cmd->callback([o] { run_quantize(*o); });
}

}  // namespace hp::cli
