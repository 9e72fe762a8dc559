#include "test_support.hpp"

#include <array>
#include <cstdio>
#include <random>

namespace hp::test {

ScratchDir::ScratchDir()
{
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("hp_test_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
}

ScratchDir::~ScratchDir()
{
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

CommandResult run_cli(const std::string& args)
{
    std::string command = std::string(HP_CLI) + " " + args + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) return {-1, "popen failed"};
    std::string output;
    std::array<char, 4096> buffer;
    size_t n;
    while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
    int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

}  // namespace hp::test
