// `handposture calibrate`: a model fine-tuned on one person's recordings (train/calibrate.hpp).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "commands.hpp"
#include "core/error.hpp"
#include "data/dataset.hpp"
#include "model/class_names.hpp"
#include "model/model_dataset.hpp"
#include "model/model_file.hpp"
#include "quant/quant_file.hpp"
#include "train/calibrate.hpp"

namespace fs = std::filesystem;

namespace hp::cli {
namespace {

struct CalibrateArgs {
    std::string model, data, base_data, out;
    std::vector<std::string> classes;
    int frames = 100;
    bool spread = false;
    std::string method = "auto";
    train::CalibrationOptions options;
};

Model read_base_model(const fs::path& path, const std::vector<std::string>& classes)
{
    if (!fs::exists(path)) throw Error(path, "model file not found");
    if (is_quant_model_file(path)) throw Error(path, "an int8 model cannot be calibrated; calibrate the float model it came from");
    Model model = read_keras_h5(path);
    model.class_names = resolve_class_names(model, classes, path.string(), "--classes");
    return model;
}

void run_calibrate(CalibrateArgs a)
{
    a.options.method = train::parse_adaptation(a.method, "--method");
    const Model base = read_base_model(a.model, a.classes);
    // a person's recordings may lack postures; the base data has them all
    const Dataset person = load_dataset_for_model(a.data, base, base.class_names, MissingClasses::report);
    const Dataset replay = load_dataset_for_model(a.base_data.empty() ? default_dataset_path() : fs::path(a.base_data),
                                                  base, base.class_names, MissingClasses::fail);
    train::CalibrationOutcome c = train::calibrate_person(base, person, replay, a.frames, a.spread, a.options);
    write_keras_h5(a.out, c.model);
    std::printf("calibrated (%s) on %zu frames (%d per posture, %s) in %.1f s; held back %zu frames\n",
                train::adaptation_name(c.method).c_str(), c.calibration_frames, a.frames, a.spread ? "spread" : "first",
                c.seconds, c.held_back_frames);
    if (a.options.method == train::Adaptation::automatic && c.check_frames > 0) {
        std::printf("auto, on the %zu frames of the postures' second recordings (base: %.2f %%):\n", c.check_frames,
                    c.check_before * 100);
        for (const train::CheckedCandidate& k : c.checked)
            std::printf("  %-10s %6.2f %%  %4zu better, %4zu worse than the base, p = %.2g%s\n",
                        train::adaptation_name(k.method).c_str(), k.accuracy * 100, k.wins, k.losses, k.p_value,
                        k.significant ? " (significant)" : "");
        std::printf("auto kept %s\n", c.method == train::Adaptation::none ? "the base: no candidate was significantly better"
                                                                          : train::adaptation_name(c.method).c_str());
    } else if (a.options.method == train::Adaptation::automatic) {
        std::printf("auto: no posture recorded three times to check on, so fine-tune, unchecked\n");
    }
    if (c.held_back_frames == 0)
        std::printf("no held-back frames to measure on (record a posture twice, or longer than --frames)\n");
    else
        std::printf("accuracy on held-back frames: before %.2f %%, after %.2f %%\n", c.before * 100, c.after * 100);
    std::printf("wrote %s\n", a.out.c_str());
}

}  // namespace

void add_calibrate_commands(CLI::App& app)
{
    auto a = std::make_shared<CalibrateArgs>();
    CLI::App* cmd = app.add_subcommand("calibrate", "Fine-tune a model on one person's recordings (a few seconds per posture)");
    cmd->add_option("--model", a->model, "Base model (.h5)")->required();
    cmd->add_option("--data", a->data, "The person's recordings: a dataset folder with any of the model's postures")->required();
    cmd->add_option("--base-data", a->base_data,
                    "The data the base model was trained on, replayed so it forgets nothing (default: the public dataset)");
    cmd->add_option("--classes", a->classes, "The model's class names, in output order, if it does not store them")
        ->delimiter(',');
    cmd->add_option("--out", a->out, "Calibrated model (.h5)")->required();
    cmd->add_option("--frames", a->frames, "Frames per posture to calibrate on, from its first recording")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_flag("--spread", a->spread, "Take them spread over the first recording instead of its first ones");
    cmd->add_option("--method", a->method,
                    "fine-tune (every layer), last-layer (the output layer alone), retrain (a fresh model on the base "
                    "data and yours), resume (the base's training resumed on both), none, or auto (the four tried on each "
                    "posture's second recording, when recorded three times; the best significantly better than the "
                    "base kept, else the base)")
        ->capture_default_str();
    cmd->add_option("--epochs", a->options.epochs, "Fine-tuning epochs")->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("--retrain-epochs", a->options.retrain_epochs, "Most epochs of retrain (alone or tried by auto)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_option("--lr", a->options.learning_rate, "Fine-tuning learning rate")->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("--base-share", a->options.base_share, "Share of the base's weights in the calibrated model")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    cmd->add_option("--seed", a->options.seed, "Seed of shuffling and augmentation")->capture_default_str();
    cmd->callback([a] { run_calibrate(*a); });
}

}  // namespace hp::cli
