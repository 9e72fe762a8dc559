// Helpers shared by the unit tests: paths to the shared folder and fixtures, scratch folders,
// running the CLI.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace hp::test {

inline std::filesystem::path shared_dir() { return HP_SHARED_DIR; }
inline std::filesystem::path fixtures_dir() { return HP_FIXTURES_DIR; }
inline std::filesystem::path public_dataset_zip() { return shared_dir() / "data/ST_VL53L8CX_handposture_dataset.zip"; }
inline std::filesystem::path st_pretrained_h5()
{
    return shared_dir() / "models/st_pretrained/CNN2D_ST_HandPosture_VL53L8CX_8classes.h5";
}

// A fresh, empty folder for one test, removed when the object goes away.
class ScratchDir {
public:
    ScratchDir();
    ~ScratchDir();
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

struct CommandResult {
    int exit_code;
    std::string output;  // stdout and stderr together
};

// Runs `handposture <args>` through the shell and captures its output.
CommandResult run_cli(const std::string& args);

}  // namespace hp::test

// Skips the test when ST's public material is absent (it is always there in CI).
#define HP_REQUIRE_SHARED()                                                              \
    do {                                                                                 \
        if (!std::filesystem::exists(hp::test::public_dataset_zip()))                    \
            GTEST_SKIP() << "no " << hp::test::public_dataset_zip() << " beside the repo"; \
    } while (0)
