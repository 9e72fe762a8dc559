// Helpers shared by the unit tests: paths to the shared folder and fixtures, scratch folders,
// running the CLI.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "model/cnn2d_st.hpp"
#include "model/model.hpp"

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

// `path` in single quotes, for a shell command line.
std::string shell_quoted(const std::filesystem::path& path);

// Runs `handposture <args>` through the shell and captures its output.
CommandResult run_cli(const std::string& args);

std::string read_text(const std::filesystem::path& path);

// The lines of `text`, without their '\n'.
std::vector<std::string> lines_of(const std::string& text);

// The rows of a CSV file after its header line, each split at commas (no quoting).
std::vector<std::vector<std::string>> read_csv_rows(const std::filesystem::path& path);

// Every weight and bias of `model` drawn uniformly from [-range, range] (std::mt19937 seeded
// with `seed`, layer by layer: conv kernel, conv bias, dense kernel and bias, output kernel and bias).
void randomize_weights(Model& model, unsigned seed, float range);

// The rate of the model's first Dropout layer, 0 without one.
float dropout_rate(const Model& model);

// The sizes of a CNN2D_ST_HandPosture model (throws for any other layer list). Its
// trainable_tensors() are conv kernel, conv bias, dense kernel, dense bias, output kernel, output bias.
ModelShape st_shape(const Model& model);

// The six weight tensors of a CNN2D_ST_HandPosture model by their roles (throws for another list).
template <class Tensor>
struct StWeights {
    Tensor &conv_kernel, &conv_bias, &dense1_kernel, &dense1_bias, &dense2_kernel, &dense2_bias;
};
StWeights<std::vector<float>> st_weights(Model& model);
StWeights<const std::vector<float>> st_weights(const Model& model);

// A synthetic task: 8x8x2 (or size x size x 2) frames whose class (None, FlatHand, Like, Love) is
// the quadrant holding a near "hand" blob, with uniform noise of amplitude `noise` (the signal
// channel half of it); frame i belongs to user (i % users) of UserA, UserB, ...
Dataset quadrant_dataset(size_t n, uint32_t seed, int size, float noise, int users);

// A Cortex-M core and the QEMU machine that emulates it (firmware/: linker scripts, startup.c).
struct CortexTarget {
    const char* name;
    const char* cflags;
    const char* linker_script;
    const char* machine;
};
extern const CortexTarget kCortexM4, kCortexM7, kCortexM0Plus;

// arm-none-eabi-gcc and qemu-system-arm are on the PATH.
bool cortex_tools_available();

// Builds firmware/startup.c and `sources` (paths, or -I options, space separated) for `target`
// with `flags` (e.g. "-O2") and -std=c99 -Wall -Wextra -Wpedantic -Werror into `dir`, runs the
// image in QEMU with semihosting and returns its exit code (-1 if the build failed); `output`
// gets what it printed, or the build's errors. `language` replaces the C99/warning flags for
// code that is not ours (e.g. ST's application: gnu11, its own warnings).
int run_on_qemu(const std::filesystem::path& dir, const CortexTarget& target, const std::string& flags,
                const std::string& sources, std::string* output,
                const std::string& language = "-std=c99 -Wall -Wextra -Wpedantic -Werror");

}  // namespace hp::test

// Skips the test when ST's public material is absent (it is always there in CI).
#define HP_REQUIRE_SHARED()                                                              \
    do {                                                                                 \
        if (!std::filesystem::exists(hp::test::public_dataset_zip()))                    \
            GTEST_SKIP() << "no " << hp::test::public_dataset_zip() << " beside the repo"; \
    } while (0)
