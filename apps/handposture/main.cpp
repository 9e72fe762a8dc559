// handposture: from ToF datalogs to a hand-posture classifier on a microcontroller.
#include <cstdio>
#include <exception>
#include <string>

#include "commands.hpp"
#include "core/build_info.hpp"
#include "core/error.hpp"

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
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const hp::Error& e) {
        std::fprintf(stderr, "handposture: error: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "handposture: error: %s\n", e.what());
        return 2;
    }
    return 0;
}
