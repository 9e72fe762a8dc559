// `handposture flash --project DIR`: builds the firmware `deploy --target st-getting-started`
// set up in DIR and writes it to the board, through the generated Makefile's `flash` target
// (st-flash from Debian stlink-tools, else OpenOCD).
#include <cstdlib>
#include <filesystem>
#include <string>
#include <sys/wait.h>

#include "codegen/cross.hpp"
#include "commands.hpp"
#include "core/error.hpp"
#include "codegen/st_app.hpp"

namespace hp::cli {

namespace {

std::string shell_quote(const std::string& s)
{
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

void run_flash(const std::string& project)
{
    codegen::firmware_image(project);  // checks DIR holds the generated Makefile
    if (!codegen::tool_on_path("st-flash") && !codegen::tool_on_path("openocd"))
        throw Error("flash needs st-flash (Debian: apt-get install stlink-tools) or openocd on PATH");
    codegen::require_tools({"make", "arm-none-eabi-gcc", "arm-none-eabi-objcopy", "arm-none-eabi-size"},
                           "handposture flash (it builds " + project + " first)");
    const int status = std::system(("make -C " + shell_quote(project) + " flash 1>&2").c_str());
    if (status != 0)
        throw Error(project, "make flash failed (its output is above): no board answered, or the firmware did not "
                             "build; connect the " + std::string(codegen::kStBoard) + "'s ST-LINK USB port and retry");
    std::printf("flashed %s\n", codegen::firmware_image(project).c_str());
}

}  // namespace

void add_flash_commands(CLI::App& app)
{
    static std::string project;
    CLI::App* flash = app.add_subcommand(
        "flash", "Build ST's board application set up by `deploy --target st-getting-started` and write it to the board");
    flash->add_option("--project", project, "your copy of ST's hand-posture application")->required();
    flash->callback([] { run_flash(project); });
}

}  // namespace hp::cli
