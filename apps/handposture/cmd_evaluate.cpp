// handposture evaluate | predict | export: a trained model on a dataset, per-frame scores, and
// the model in other formats.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/postures.hpp"
#include "data/datalog.hpp"
#include "data/dataset.hpp"
#include "eval/metrics.hpp"
#include "hp_preprocess.h"
#include "model/class_names.hpp"
#include "model/model_dataset.hpp"
#include "model/model_file.hpp"
#include "model/onnx_export.hpp"
#include "model/predict.hpp"
#include "quant/model_any.hpp"
#include "quant/quant_file.hpp"
#include "report/plot.hpp"

namespace fs = std::filesystem;

namespace hp::cli {
namespace {

Model load_model(const fs::path& path)
{
    if (!fs::exists(path)) throw Error(path, "model file not found");
    if (is_quant_model_file(path)) throw Error(path, "an int8 model cannot be exported; export the float model it came from");
    return read_keras_h5(path);
}

// A Keras .h5 or an int8 .hpq (told apart by content).
AnyModel load_any_model(const fs::path& path)
{
    if (!fs::exists(path)) throw Error(path, "model file not found");
    return read_any_model(path);
}

// A person's recordings may hold only some of the model's postures.
Dataset load_for_model(const fs::path& data, const Model& model, const std::vector<std::string>& names)
{
    return load_dataset_for_model(data, model, names, MissingClasses::report);
}

// Frames to predict, with where each comes from.
struct Frames {
    int height = 8, width = 8;
    std::vector<float> inputs;  // [n][H][W][2]
    std::vector<int> labels;    // [n] output index, -1 if unknown
    std::vector<std::string> files;
    std::vector<int> frame_index;
    size_t size() const { return labels.size(); }
};

Frames frames_of_dataset(const Dataset& ds)
{
    Frames f;
    f.height = ds.height;
    f.width = ds.width;
    f.inputs = ds.inputs;
    f.labels = ds.labels;
    f.frame_index = ds.frame_index;
    for (size_t i = 0; i < ds.size(); i++) f.files.push_back(ds.files[size_t(ds.file_index[i])].path);
    return f;
}

// Appends the kept frames of one .npz, preprocessed by the runtime like the dataset loader does;
// a frame whose posture is not among the classes gets label -1.
void append_frames_of_npz(const fs::path& path, const std::vector<std::string>& names, const Model& model,
                          Frames& f)
{
    if (!fs::exists(path)) throw Error(path, "datalog not found");
    const Datalog log = read_datalog_file(path);
    check_frames_fit(model.input, log.zones, path.string());
    const hp_preprocess_config config = preprocess_for(model);
    const size_t zones = size_t(log.zones);
    f.height = f.width = log.side();
    std::vector<float> tensor(zones * 2);
    for (int i = 0; i < log.frames; i++) {
        if (log.frame_has_nan(i)) continue;
        const size_t at = size_t(i) * zones;
        const float* nb = log.has_nb_targets() ? &log.nb_targets[at] : nullptr;
        const int status = hp_preprocess_frame(&config, log.zones, &log.distance_mm[at], &log.signal_per_spad[at],
                                               &log.target_status[at], nb, tensor.data());
        if (status != HP_FRAME_KEPT) continue;
        int label = -1;
        const float code = log.posture_code[size_t(i)];
        if (code == std::floor(code) && std::fabs(code) < 1e6f)
            if (auto name = posture_name(int(code)))
                for (size_t c = 0; c < names.size(); c++)
                    if (names[c] == *name) label = int(c);
        f.inputs.insert(f.inputs.end(), tensor.begin(), tensor.end());
        f.labels.push_back(label);
        f.files.push_back(path.filename().string());
        f.frame_index.push_back(i);
    }
}

std::string percent(double x)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f %%", 100 * x);
    return buf;
}

std::string metrics_text(const Metrics& m, const DropCounts& dropped)
{
    std::string out;
    char line[256];
    std::snprintf(line, sizeof line, "frames %ld (dropped: %ld out of range, %ld with missing fields, %ld other classes)\n",
                  m.frames, dropped.out_of_range, dropped.nan_fields, dropped.other_class);
    out += line;
    long correct = 0;
    for (size_t c = 0; c < m.confusion.size(); c++) correct += m.confusion[c][c];
    std::snprintf(line, sizeof line, "accuracy %s (%ld correct), loss %.4f\n\n", percent(m.accuracy).c_str(), correct,
                  m.loss);
    out += line;
    std::snprintf(line, sizeof line, "%-14s %9s %9s %9s %9s\n", "class", "precision", "recall", "f1", "support");
    out += line;
    for (size_t c = 0; c < m.per_class.size(); c++) {
        const ClassMetrics& cm = m.per_class[c];
        std::snprintf(line, sizeof line, "%-14s %9.4f %9.4f %9.4f %9ld\n", m.class_names[c].c_str(), cm.precision,
                      cm.recall, cm.f1, cm.support);
        out += line;
    }
    return out + "\n" + render_confusion_text(m.confusion, m.class_names);
}

struct EvaluateOptions {
    std::string model, data, report;
    std::vector<std::string> classes;
    bool json = false;
    int threads = 0;
};

void run_evaluate(const EvaluateOptions& o)
{
    const AnyModel any = load_any_model(o.model);
    const Model& model = any.model;
    const std::vector<std::string> names = resolve_class_names(model, o.classes, o.model, "--classes");
    const Dataset ds = load_for_model(o.data, model, names);
    const std::vector<float> scores = predict_scores(any, ds.inputs.data(), ds.size(), o.threads);
    const Metrics m = compute_metrics(scores, model.outputs(), ds.labels, names);

    nlohmann::json j = m.to_json();
    j["model"] = o.model;
    j["data"] = o.data;
    j["dropped"] = {{"out_of_range", ds.dropped.out_of_range},
                    {"nan_fields", ds.dropped.nan_fields},
                    {"other_class", ds.dropped.other_class}};
    if (o.json)
        std::printf("%s\n", j.dump(2).c_str());
    else
        std::printf("%s", metrics_text(m, ds.dropped).c_str());
    if (!o.report.empty()) {
        const fs::path dir = o.report;
        write_text_atomically(dir / "metrics.json", j.dump(2) + "\n");
        write_confusion_png(dir / "confusion_matrix.png", m.confusion, names,
                            fs::path(o.model).filename().string() + ": accuracy " + percent(m.accuracy));
        if (!o.json) std::printf("wrote %s and %s\n", (dir / "metrics.json").c_str(), (dir / "confusion_matrix.png").c_str());
    }
}

struct PredictOptions {
    std::string model, data, out, dump_inputs;
    std::vector<std::string> npz, classes;
    int threads = 0;
};

void run_predict(const PredictOptions& o)
{
    const AnyModel any = load_any_model(o.model);
    const Model& model = any.model;
    // Single datalogs may hold any postures: class names are only needed for their labels.
    const std::vector<std::string> names = resolve_class_names(model, o.classes, o.model, "--classes", o.npz.empty());
    Frames frames;
    if (o.npz.empty())
        frames = frames_of_dataset(load_for_model(o.data, model, names));
    else
        for (const std::string& path : o.npz) append_frames_of_npz(path, names, model, frames);
    const int outputs = model.outputs();
    const std::vector<float> scores = predict_scores(any, frames.inputs.data(), frames.size(), o.threads);

    std::string csv = "file,frame,label,pred";
    for (int k = 0; k < outputs; k++) csv += ",p" + std::to_string(k);
    csv += "\n";
    char number[32];
    for (size_t i = 0; i < frames.size(); i++) {
        const float* row = scores.data() + i * size_t(outputs);
        csv += frames.files[i] + "," + std::to_string(frames.frame_index[i]) + "," + std::to_string(frames.labels[i]) +
               "," + std::to_string(predicted_class(row, outputs));
        for (int k = 0; k < outputs; k++) {
            std::snprintf(number, sizeof number, ",%.9g", double(row[k]));  // round-trips a float32
            csv += number;
        }
        csv += "\n";
    }
    write_text_atomically(o.out, csv);
    std::printf("%zu frames -> %s\n", frames.size(), o.out.c_str());
    if (!o.dump_inputs.empty()) {
        const auto* bytes = reinterpret_cast<const unsigned char*>(frames.inputs.data());
        write_file_atomically(o.dump_inputs, {bytes, frames.inputs.size() * sizeof(float)});
        std::printf("%zu input tensors [%d][%d][2] float32 -> %s\n", frames.size(), frames.height, frames.width,
                    o.dump_inputs.c_str());
    }
}

struct ExportOptions {
    std::string model, format, out;
    std::vector<std::string> classes;
};

void run_export(const ExportOptions& o)
{
    Model model = load_model(o.model);
    model.class_names = resolve_class_names(model, o.classes, o.model, "--classes", false);
    if (o.format == "onnx")
        write_onnx(o.out, model);
    else
        write_keras_h5(o.out, model);
    std::printf("%s (%s, %ld parameters) -> %s\n", o.model.c_str(), o.format.c_str(), model.parameter_count(),
                o.out.c_str());
}

}  // namespace

void add_evaluate_commands(CLI::App& app)
{
    auto ev = std::make_shared<EvaluateOptions>();
    CLI::App* evaluate = app.add_subcommand("evaluate", "Accuracy, loss, per-class precision/recall/F1 and confusion matrix of a model on a dataset");
    evaluate->add_option("--model", ev->model, "Keras .h5 model")->required();
    evaluate->add_option("--data", ev->data, "Dataset folder or ST's .zip (default: the public dataset beside the repo)");
    evaluate->add_option("--classes", ev->classes, "Class names (default: the model's, or ST's 8 classes)")->delimiter(',');
    evaluate->add_flag("--json", ev->json, "Print the metrics as JSON");
    evaluate->add_option("--report", ev->report, "Folder for metrics.json and confusion_matrix.png");
    evaluate->add_option("--threads", ev->threads, "Inference threads (0: all cores)")->check(CLI::NonNegativeNumber);
    evaluate->callback([ev] {
        if (ev->data.empty()) ev->data = default_dataset_path().string();
        run_evaluate(*ev);
    });

    auto pr = std::make_shared<PredictOptions>();
    CLI::App* predict = app.add_subcommand("predict", "Per-frame class probabilities of a model, as CSV");
    predict->add_option("--model", pr->model, "Keras .h5 model")->required();
    auto* data = predict->add_option("--data", pr->data, "Dataset folder or ST's .zip (default: the public dataset beside the repo)");
    auto* npz = predict->add_option("--npz", pr->npz, "Datalog .npz files (instead of a dataset)");
    data->excludes(npz);
    npz->excludes(data);
    predict->add_option("--classes", pr->classes, "Class names (default: the model's, or ST's 8 classes)")->delimiter(',');
    predict->add_option("--out", pr->out, "CSV: file,frame,label,pred,p0..p(P-1)")->required();
    predict->add_option("--dump-inputs", pr->dump_inputs,
                        "Also write the preprocessed input tensors, raw float32 [n][H][W][2], in CSV row order");
    predict->add_option("--threads", pr->threads, "Inference threads (0: all cores)")->check(CLI::NonNegativeNumber);
    predict->callback([pr] {
        if (pr->data.empty() && pr->npz.empty()) pr->data = default_dataset_path().string();
        run_predict(*pr);
    });

    auto ex = std::make_shared<ExportOptions>();
    CLI::App* exp = app.add_subcommand("export", "Write a model as ONNX or Keras .h5");
    exp->add_option("--model", ex->model, "Keras .h5 model")->required();
    exp->add_option("--format", ex->format, "onnx or h5")->required()->check(CLI::IsMember({"onnx", "h5"}));
    exp->add_option("--out", ex->out, "Output file")->required();
    exp->add_option("--classes", ex->classes, "Class names to store (default: the model's, or ST's 8 classes)")->delimiter(',');
    exp->callback([ex] { run_export(*ex); });
}

}  // namespace hp::cli
