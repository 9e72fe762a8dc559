// `handposture deploy`: a C99 package for a microcontroller; `handposture bench`: its flash, RAM,
// stack and instructions per inference on a Cortex-M, measured with arm-none-eabi-gcc and QEMU.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <unistd.h>

#include "codegen/cross.hpp"
#include "codegen/deploy_any.hpp"
#include "codegen/package.hpp"
#include "codegen/test_vectors.hpp"
#include "commands.hpp"
#include "config/user_config.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/postures.hpp"
#include "codegen/st_app.hpp"
#include "model/class_names.hpp"
#include "model/model_file.hpp"
#include "quant/model_any.hpp"

namespace fs = std::filesystem;

namespace hp::cli {

namespace {

// The target that writes into ST's board application (codegen/st_app.hpp) instead of a package.
constexpr const char* kStTarget = "st-getting-started";

struct DeployArgs {
    std::string model, out, target = "cortex-m4", config, test_vectors, project;
    float threshold = 0.9f;
    int filter_n = 3, keep_last_valid = 1, test_frames = 200;
    bool json = false, keep = false, profile = false;
};

void add_model_options(CLI::App* cmd, DeployArgs& a)
{
    cmd->add_option("--model", a.model, "Keras .h5 model (any layer list this build runs) or int8 .hpq")->required();
    cmd->add_option("--config", a.config, "ST user_config.yaml: dataset.class_names, preprocessing.*");
    cmd->add_option("--threshold", a.threshold, "score a class needs to be the raw output (ST: 0.9)");
    cmd->add_option("--filter-n", a.filter_n, "label filter length (ST: LABEL_FILTER_N 3)");
    cmd->add_option("--keep-last-valid", a.keep_last_valid, "keep the shown class until another passes (ST: 1)");
}

// The model and every option of the package, checked.
std::pair<AnyModel, codegen::DeployOptions> load(const DeployArgs& a)
{
    const auto& targets = codegen::deploy_targets();
    if (std::find(targets.begin(), targets.end(), a.target) == targets.end() && a.target != kStTarget)
        throw Error("--target " + a.target + ": unknown (cortex-m4, cortex-m7, cortex-m0plus, generic, " + kStTarget + ")");
    if (!(a.threshold >= 0.0f && a.threshold < 1.0f)) throw Error("--threshold must be in [0, 1)");
    if (a.filter_n < 0) throw Error("--filter-n must be >= 0");
    if (a.keep_last_valid != 0 && a.keep_last_valid != 1) throw Error("--keep-last-valid must be 0 or 1");
    if (!fs::exists(a.model)) throw Error(a.model, "no such file");
    AnyModel model = read_any_model(a.model);  // a Keras .h5 or an int8 .hpq
    model.model.validate(a.model);
    codegen::DeployOptions options;
    options.target = a.target;
    std::vector<std::string> config_classes;
    if (!a.config.empty()) {
        const auto bytes = read_file_bytes(a.config);
        std::ostringstream warnings;
        const UserConfig config = parse_user_config(std::string(bytes.begin(), bytes.end()), a.config, warnings);
        if (!warnings.str().empty()) std::fprintf(stderr, "%s", warnings.str().c_str());
        config_classes = config.class_names;
        options.preprocess = config.preprocess;
    }
    options.preprocess = preprocess_for(model.model, options.preprocess);
    options.postprocess.score_threshold = a.threshold;
    options.postprocess.label_filter_n = a.filter_n;
    options.postprocess.keep_last_valid = a.keep_last_valid;
    options.class_names = resolve_class_names(model.model, config_classes, a.model, "the config's dataset.class_names");
    return {std::move(model), options};
}

fs::path scratch_dir(const std::string& what)
{
    const fs::path p = fs::temp_directory_path() /
                       ("handposture-" + what + "-" + std::to_string(::getpid()) + "-" +
                        std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    fs::create_directories(p);
    return p;
}

// Removes a scratch folder when leaving scope, unless kept.
struct ScratchGuard {
    fs::path path;
    bool keep = false;
    ~ScratchGuard()
    {
        std::error_code ec;
        if (!keep) fs::remove_all(path, ec);
    }
};

void write_files(const fs::path& dir, const std::map<std::string, std::string>& files)
{
    for (const auto& [name, text] : files) {
        fs::create_directories((dir / name).parent_path());
        FILE* f = std::fopen((dir / name).c_str(), "wb");
        if (!f || std::fwrite(text.data(), 1, text.size(), f) != text.size()) {
            if (f) std::fclose(f);
            throw Error(dir / name, "cannot write");
        }
        std::fclose(f);
    }
}

// Into the user's copy of ST's board application: everything checked before anything is written.
void run_deploy_st_app(const DeployArgs& a)
{
    if (a.project.empty()) throw Error("--target " + std::string(kStTarget) + " needs --project DIR (your copy of ST's application)");
    if (!a.out.empty()) throw Error("--out: --target " + std::string(kStTarget) + " writes into --project DIR");
    if (!a.test_vectors.empty()) throw Error("--test-vectors: not for --target " + std::string(kStTarget));
    // ST's app_network.c and app_utils.h fix these (THRESHOLD_NN_OUTPUT, LABEL_FILTER_N, KEEP_LAST_VALID).
    if (a.threshold != 0.9f || a.filter_n != 3 || a.keep_last_valid != 1)
        throw Error("--threshold, --filter-n, --keep-last-valid: ST's application sets them in app_network.c and "
                    "app_utils.h (THRESHOLD_NN_OUTPUT 0.9, LABEL_FILTER_N 3, KEEP_LAST_VALID 1)");
    const codegen::StApp app = codegen::check_st_app(a.project);
    codegen::require_tools({"arm-none-eabi-gcc", "arm-none-eabi-objcopy", "arm-none-eabi-size"},
                           "--target " + std::string(kStTarget) + " (its Makefile)");
    auto [model, options] = load(a);
    codegen::check_model_fits(app, model, a.model);
    const auto files = codegen::st_app_files(model, options, fs::path(a.model).filename().string());
    codegen::write_st_app(app, files);
    std::printf("wrote %zu files into %s (%s network, %d classes); build with: make -C %s; flash with: handposture "
                "flash --project %s\n",
                files.size(), a.project.c_str(), model.is_int8() ? "int8" : "float32", model.model.classes(),
                a.project.c_str(), a.project.c_str());
}

void run_deploy(const DeployArgs& a)
{
    if (a.target == kStTarget) return run_deploy_st_app(a);
    if (a.out.empty()) throw Error("deploy needs --out DIR (or --target " + std::string(kStTarget) + " --project DIR)");
    auto [model, options] = load(a);
    auto files = codegen::deploy_package_files(model, options);
    if (!a.test_vectors.empty() && model.is_int8()) {
        const auto vectors = model.net ? codegen::int8_test_vector_files(*model.net, options, a.test_vectors, a.test_frames)
                                       : codegen::int8_test_vector_files(*model.quant, options, a.test_vectors, a.test_frames);
        for (auto& [name, text] : vectors) files["test/" + name] = text;  // for firmware/harness_s8.c: int32 logits bit for bit
    } else if (!a.test_vectors.empty()) {
        const auto frames = codegen::make_test_frames(model.model, options, a.test_vectors, a.test_frames);
        for (auto& [name, text] : codegen::test_vector_files(model.model, frames)) files["test/" + name] = text;
    }
    // Measure flash and RAM now when the cross compiler is here (this also proves the package
    // builds for the target with -Werror).
    std::vector<codegen::PackageSize> sizes;
    if (options.target != "generic" && codegen::tool_on_path("arm-none-eabi-gcc") &&
        codegen::tool_on_path("arm-none-eabi-size")) {
        ScratchGuard scratch{scratch_dir("deploy")};
        write_files(scratch.path / "pkg", files);
        for (const char* opt : {"-O2", "-Os"})
            sizes.push_back(codegen::measure_package_size(scratch.path / "pkg", options.target, opt,
                                                          scratch.path / ("build" + std::string(opt))));
    }
    files["README.md"] = codegen::deploy_package_readme(model, options, sizes);
    codegen::write_package(a.out, files);
    std::printf("wrote %s: %zu files for %s, %d classes", a.out.c_str(), files.size(), options.target.c_str(),
                model.model.classes());
    for (const auto& s : sizes) std::printf("; %s flash %ld B, static RAM %ld B", s.opt.c_str(), s.flash, s.static_ram);
    std::printf("\n");
}

void run_bench(const DeployArgs& a)
{
    if (a.target != "cortex-m4")
        throw Error("--target " + a.target + ": bench measures cortex-m4 (QEMU mps2-an386; its cycle table is the M4's)");
    codegen::require_tools({"arm-none-eabi-gcc", "arm-none-eabi-size", "arm-none-eabi-nm", "arm-none-eabi-objdump",
                            "qemu-system-arm"},
                           "handposture bench");
    auto [model, options] = load(a);
    ScratchGuard scratch{scratch_dir("bench"), a.keep};
    const fs::path pkg = scratch.path / "pkg";
    write_files(pkg, codegen::deploy_package_files(model, options));
    nlohmann::json results = nlohmann::json::array();
    if (!a.json)
        std::printf("%-4s %10s %12s %11s %16s %13s %12s %12s\n", "opt", "flash B", "static RAM B", "stack B",
                    "RAM+stack B", "instructions", "cycles est", "ms @84MHz");
    for (const char* opt : {"-O2", "-O3", "-Os"}) {
        const auto r = codegen::bench_package(pkg, a.target, opt, scratch.path / ("bench" + std::string(opt)));
        const long stack = std::max(r.stack_hp_run, r.stack_process_frame);
        nlohmann::json by_class, by_function;
        for (const auto& [k, v] : r.instructions_by_class) by_class[k] = v;
        for (const auto& [k, v] : r.instructions_by_function) by_function[k] = v;
        results.push_back({{"opt", opt},
                           {"flash_bytes", r.size.flash},
                           {"static_ram_bytes", r.size.static_ram},
                           {"stack_hp_run_bytes", r.stack_hp_run},
                           {"stack_hp_process_frame_bytes", r.stack_process_frame},
                           {"ram_with_stack_bytes", r.size.static_ram + stack},
                           {"instructions_per_hp_run", r.instructions},
                           {"cycles_estimated", r.cycles},
                           {"ms_at_84mhz", r.ms_at_84mhz},
                           {"instructions_by_timing_class", by_class},
                           {"instructions_by_function", by_function}});
        if (!a.json) {
            std::printf("%-4s %10ld %12ld %11ld %16ld %13ld %12ld %12.3f\n", opt, r.size.flash, r.size.static_ram, stack,
                        r.size.static_ram + stack, r.instructions, r.cycles, r.ms_at_84mhz);
            if (a.profile) {
                std::vector<std::pair<long, std::string>> rows;
                for (const auto& [k, v] : r.instructions_by_function) rows.push_back({v, k});
                std::sort(rows.rbegin(), rows.rend());
                for (const auto& [v, k] : rows) std::printf("       %8ld  %s\n", v, k.c_str());
            }
        }
    }
    if (a.json) {
        nlohmann::json doc = {{"target", a.target},
                              {"model", a.model},
                              {"parameters", model.model.parameter_count()},
                              {"macs", model.model.mac_count()},
                              {"cycle_model", "docs/cortex-m4-timing.md"},
                              {"results", results}};
        std::printf("%s\n", doc.dump(2).c_str());
    } else {
        std::printf("stack: deepest of hp_run and hp_process_frame, painted and measured in QEMU; instructions: "
                    "hp_run entry to return, QEMU -singlestep trace; cycles: Cortex-M4 timing table (docs/cortex-m4-timing.md)\n");
    }
    if (a.keep) std::fprintf(stderr, "kept %s\n", scratch.path.c_str());
}

}  // namespace

void deploy_from_config(const std::string& model, const std::string& config, const std::string& target,
                        const std::string& out)
{
    DeployArgs a;
    a.model = model;
    a.config = config;
    a.target = target;
    a.out = out;
    run_deploy(a);
}

void bench_from_config(const std::string& model, const std::string& config)
{
    DeployArgs a;
    a.model = model;
    a.config = config;
    run_bench(a);
}

void add_deploy_commands(CLI::App& app)
{
    static DeployArgs deploy_args, bench_args;
    CLI::App* deploy = app.add_subcommand("deploy", "Generate a dependency-free C99 package for a microcontroller");
    add_model_options(deploy, deploy_args);
    deploy->add_option("--out", deploy_args.out, "package folder (written atomically)");
    deploy->add_option("--target", deploy_args.target,
                       "cortex-m4 | cortex-m7 | cortex-m0plus | generic | st-getting-started (ST's board application)");
    deploy->add_option("--project", deploy_args.project,
                       "st-getting-started: your copy of ST's hand-posture application (NUCLEO-F401RE), filled in place");
    deploy->add_option("--test-vectors", deploy_args.test_vectors,
                       "dataset (folder or ST .zip): also write test/hp_test_vectors.{c,h} for firmware/harness.c");
    deploy->add_option("--test-frames", deploy_args.test_frames, "frames in the test vectors (default 200)");
    deploy->callback([] { run_deploy(deploy_args); });

    CLI::App* bench = app.add_subcommand(
        "bench", "Flash, RAM, stack and instructions per inference of the deployed model, in QEMU (-O2, -O3, -Os)");
    add_model_options(bench, bench_args);
    bench->add_option("--target", bench_args.target, "cortex-m4 (QEMU mps2-an386)");
    bench->add_flag("--json", bench_args.json, "print JSON");
    bench->add_flag("--profile", bench_args.profile, "also list the instructions executed in each function");
    bench->add_flag("--keep", bench_args.keep, "keep the build folder (images, trace) and print its path");
    bench->callback([] { run_bench(bench_args); });
}

}  // namespace hp::cli
