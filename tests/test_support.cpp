#include "test_support.hpp"

#include "core/postures.hpp"
#include "train/init.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

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

std::string shell_quoted(const std::filesystem::path& path)
{
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "'" + path.string() once inlined.
    std::string s = "'";
    s += path.string();
    s += '\'';
    return s;
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

std::vector<std::string> lines_of(const std::string& text)
{
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::string read_text(const std::filesystem::path& path)
{
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::vector<std::string>> read_csv_rows(const std::filesystem::path& path)
{
    std::istringstream in(read_text(path));
    std::vector<std::vector<std::string>> rows;
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        std::vector<std::string>& cells = rows.emplace_back();
        std::istringstream fields(line);
        for (std::string cell; std::getline(fields, cell, ',');) cells.push_back(cell);
    }
    return rows;
}

void randomize_weights(Model& model, unsigned seed, float range)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-range, range);
    for (std::vector<float>* v : model.trainable_tensors())
        for (float& x : *v) x = u(rng);
}

float dropout_rate(const Model& model)
{
    for (const Layer& l : model.layers)
        if (l.kind == LayerKind::dropout) return l.rate;
    return 0.0f;
}

StWeights<std::vector<float>> st_weights(Model& model)
{
    st_shape(model);
    const std::vector<std::vector<float>*> t = model.trainable_tensors();
    return {*t[0], *t[1], *t[2], *t[3], *t[4], *t[5]};
}

StWeights<const std::vector<float>> st_weights(const Model& model)
{
    st_shape(model);
    const std::vector<const std::vector<float>*> t = model.trainable_tensors();
    return {*t[0], *t[1], *t[2], *t[3], *t[4], *t[5]};
}

ModelShape st_shape(const Model& model)
{
    const std::optional<Cnn2dSt> st = as_cnn2d_st(model);
    if (!st) throw std::runtime_error("not a CNN2D_ST_HandPosture model");
    return st->shape;
}

Dataset quadrant_dataset(size_t n, uint32_t seed, int size, float noise, int users)
{
    Dataset d;
    d.height = d.width = size;
    d.class_names = output_order({"None", "FlatHand", "Like", "Love"});
    train::Rng rng(seed);
    for (int u = 0; u < users; u++)
        d.files.push_back({"synthetic", "", "User" + std::string(1, char('A' + u)), "rec" + std::to_string(u), 0, 0});
    const int half = size / 2;
    for (size_t i = 0; i < n; i++) {
        int label = int(rng.below(4));
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) {
                bool blob = (y < half) == (label < 2) && (x < half) == (label % 2 == 0);
                float e = noise * (2 * rng.uniform01() - 1);
                d.inputs.push_back((blob ? -1.0f : 1.0f) + e);       // distance: near in the blob
                d.inputs.push_back((blob ? 1.0f : -0.6f) + e * 0.5f);  // signal
            }
        d.labels.push_back(label);
        d.file_index.push_back(int(i % size_t(users)));
        d.frame_index.push_back(int(i));
    }
    return d;
}

const CortexTarget kCortexM4{"cortex-m4", "-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard",
                             "mps2_an386.ld", "mps2-an386"};
const CortexTarget kCortexM7{"cortex-m7", "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-sp-d16 -mfloat-abi=hard",
                             "mps2_an386.ld", "mps2-an500"};
const CortexTarget kCortexM0Plus{"cortex-m0plus", "-mcpu=cortex-m0plus -mthumb -mfloat-abi=soft", "microbit.ld",
                                 "microbit"};

bool cortex_tools_available()
{
    return std::system("command -v arm-none-eabi-gcc >/dev/null 2>&1 && command -v qemu-system-arm >/dev/null 2>&1") == 0;
}

int run_on_qemu(const std::filesystem::path& dir, const CortexTarget& target, const std::string& flags,
                const std::string& sources, std::string* output, const std::string& language)
{
    const std::filesystem::path firmware = std::filesystem::path(HP_SOURCE_DIR) / "firmware";
    const std::string stem = std::string(target.name) + "-" + std::to_string(std::hash<std::string>{}(flags));
    const std::filesystem::path elf = dir / (stem + ".elf"), log = dir / (stem + ".log");
    const std::string build = std::string("arm-none-eabi-gcc ") + target.cflags + " " + flags +
                              " " + language + " -ffunction-sections -fdata-sections '" +
                              (firmware / "startup.c").string() + "' " + sources +
                              " --specs=rdimon.specs -nostartfiles -Wl,--gc-sections -L'" + firmware.string() + "' -T" +
                              target.linker_script + " -lm -o '" + elf.string() + "' >'" + log.string() + "' 2>&1";
    if (std::system(build.c_str()) != 0) {
        *output = "build failed: " + read_text(log);
        return -1;
    }
    const std::string run = std::string("timeout 300 qemu-system-arm -M ") + target.machine +
                            " -nographic -semihosting-config enable=on,target=native -kernel '" + elf.string() +
                            "' >'" + log.string() + "' 2>&1";
    const int status = std::system(run.c_str());
    *output = read_text(log);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace hp::test
