// handposture: from ToF datalogs to a hand-posture classifier on a microcontroller.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "commands.hpp"
#include "core/build_info.hpp"
#include "usage.hpp"

int main(int argc, char** argv)
{
    CLI::App app{"handposture: train, evaluate and deploy hand-posture models for ST multi-zone ToF sensors"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("handposture 0.1.0, host code for ") + hp::vector_isa());
    hp::cli::add_live_commands(app);
    hp::cli::add_train_commands(app);
    hp::cli::add_quantize_commands(app);
    hp::cli::add_evaluate_commands(app);
    hp::cli::add_deploy_commands(app);
    hp::cli::add_dataset_commands(app);
    hp::cli::add_model_commands(app);
    hp::cli::add_flash_commands(app);
    hp::cli::add_calibrate_commands(app);
    hp::cli::add_studio_commands(app);
    hp::cli::document_exit_codes(app);
    const std::vector<std::string> args(argv + 1, argv + argc);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
        return hp::cli::report_usage_error(app, args, e.what());
    } catch (const hp::cli::UsageError& e) {
        return hp::cli::report_usage_error(app, args, e.what());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "handposture: error: %s\n", e.what());
        return hp::cli::exit_bad_input;
    }
    return hp::cli::exit_ok;
}
