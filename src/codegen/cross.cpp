#include "codegen/cross.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "codegen/embedded_files.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace fs = std::filesystem;

namespace hp::codegen {

namespace {

std::string quote(const fs::path& p)
{
    std::string out = "'";
    for (char c : p.string()) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out + "'";
}

// Runs a shell command with its output in `log`; throws hp::Error with the log's end on failure.
void run(const std::string& command, const fs::path& log, const std::string& what)
{
    const std::string full = command + " >" + quote(log) + " 2>&1";
    const int status = std::system(full.c_str());
    if (status != 0) {
        std::string text = read_file_text(log);
        if (text.size() > 2000) text = "..." + text.substr(text.size() - 2000);
        throw Error(what + " failed (" + command.substr(0, command.find(' ')) + "):\n" + text);
    }
}

fs::path write_firmware(const fs::path& work_dir)
{
    const fs::path dir = work_dir / "firmware";
    fs::create_directories(dir);
    for (const EmbeddedFile& f : embedded_folder("firmware")) {
        std::ofstream out(dir / fs::path(std::string(f.path)).filename(), std::ios::binary);
        out << f.text;
        if (!out) throw Error(dir, "cannot write the firmware sources");
    }
    return dir;
}

std::string package_sources(const fs::path& package_dir)
{
    std::vector<std::string> sources;
    for (const auto& e : fs::directory_iterator(package_dir))
        if (e.path().extension() == ".c") sources.push_back(quote(e.path()));
    if (sources.empty()) throw Error(package_dir, "no C sources: not a generated package");
    std::sort(sources.begin(), sources.end());
    std::string out;
    for (const std::string& s : sources) out += " " + s;
    return out;
}

// Links firmware/<main_source> with the package. specs: newlib specs for the run-time library.
fs::path link_image(const fs::path& package_dir, const TargetBuild& t, const std::string& opt, const fs::path& fw,
                    const std::string& main_source, const std::string& defines, const std::string& specs,
                    const fs::path& elf, bool with_package)
{
    std::string cmd = "arm-none-eabi-gcc " + t.cflags + " -std=c99 " + opt +
                      " -Wall -Wextra -Wpedantic -Werror -ffunction-sections -fdata-sections " + defines + " -I" +
                      quote(package_dir) + " " + specs + " -nostartfiles -Wl,--gc-sections -L" + quote(fw) + " -T" +
                      t.board_ld + " " + quote(fw / "startup.c") + " " + quote(fw / main_source) +
                      (with_package ? package_sources(package_dir) : std::string()) + " -lm -o " + quote(elf);
    run(cmd, elf.string() + ".log", "building " + elf.filename().string());
    return elf;
}

struct SectionSizes {
    long text = 0, data = 0, bss = 0;
};

SectionSizes image_size(const fs::path& elf)
{
    const fs::path log = elf.string() + ".size";
    run("arm-none-eabi-size -B " + quote(elf), log, "arm-none-eabi-size");
    std::istringstream in(read_file_text(log));
    std::string header;
    std::getline(in, header);
    SectionSizes s;
    if (!(in >> s.text >> s.data >> s.bss)) throw Error(log, "cannot read arm-none-eabi-size output");
    return s;
}

bool is_condition(const std::string& s)
{
    static const char* conds[] = {"eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs",
                                  "vc", "hi", "ls", "ge", "lt", "gt", "le", "al"};
    for (const char* c : conds)
        if (s == c) return true;
    return false;
}

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

// Registers named in a {list}: r4, s16-s23, d8-d9 (a d register counts as 2 transfers).
int register_count(const std::string& operands, bool* has_pc)
{
    const size_t open = operands.find('{'), close = operands.find('}');
    if (open == std::string::npos || close == std::string::npos) return 1;
    std::string list = operands.substr(open + 1, close - open - 1);
    int n = 0;
    std::istringstream items(list);
    std::string item;
    while (std::getline(items, item, ',')) {
        item.erase(std::remove(item.begin(), item.end(), ' '), item.end());
        if (item == "pc" && has_pc) *has_pc = true;
        const size_t dash = item.find('-');
        const int width = (!item.empty() && item[0] == 'd') ? 2 : 1;
        if (dash == std::string::npos) {
            n += width;
        } else {
            const int a = std::atoi(item.c_str() + 1), b = std::atoi(item.c_str() + dash + 2);
            n += (b - a + 1) * width;
        }
    }
    return std::max(n, 1);
}

}  // namespace

bool tool_on_path(const std::string& tool)
{
    const char* path = std::getenv("PATH");
    if (!path) return false;
    std::istringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        if (dir.empty()) continue;
        const fs::path p = fs::path(dir) / tool;
        if (::access(p.c_str(), X_OK) == 0) return true;
    }
    return false;
}

void require_tools(const std::vector<std::string>& tools, const std::string& what)
{
    std::string missing;
    for (const std::string& t : tools)
        if (!tool_on_path(t)) missing += (missing.empty() ? "" : ", ") + t;
    if (!missing.empty())
        throw Error(what + " needs " + missing +
                    " on PATH (Debian: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)");
}

const TargetBuild& target_build(const std::string& target)
{
    static const std::vector<TargetBuild> builds = {
        {"cortex-m4", "-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard", "mps2_an386.ld", "mps2-an386"},
        {"cortex-m7", "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-sp-d16 -mfloat-abi=hard", "mps2_an386.ld", "mps2-an500"},
        {"cortex-m0plus", "-mcpu=cortex-m0plus -mthumb -mfloat-abi=soft", "microbit.ld", "microbit"},
    };
    for (const TargetBuild& b : builds)
        if (b.name == target) return b;
    throw Error("--target " + target + ": no Cortex-M build for it (cortex-m4, cortex-m7, cortex-m0plus)");
}

PackageSize measure_package_size(const fs::path& package_dir, const std::string& target, const std::string& opt,
                                 const fs::path& work_dir)
{
    require_tools({"arm-none-eabi-gcc", "arm-none-eabi-size"}, "measuring flash and RAM");
    const TargetBuild& t = target_build(target);
    fs::create_directories(work_dir);
    const fs::path fw = write_firmware(work_dir);
    const std::string specs = "--specs=nano.specs --specs=nosys.specs";
    const fs::path with = link_image(package_dir, t, opt, fw, "size_main.c", "-DHP_SIZE_WITH_PACKAGE", specs,
                                     work_dir / "size-package.elf", true);
    const fs::path without = link_image(package_dir, t, opt, fw, "size_main.c", "", specs,
                                        work_dir / "size-baseline.elf", false);
    const SectionSizes a = image_size(with), b = image_size(without);
    PackageSize s;
    s.flash = (a.text + a.data) - (b.text + b.data);
    s.static_ram = (a.data + a.bss) - (b.data + b.bss);
    s.opt = opt;
    return s;
}

std::pair<int, std::string> cortex_m4_cycles(const std::string& mnemonic_in, const std::string& operands, bool taken,
                                             bool after_memory)
{
    const int P = 2;  // pipeline refill: 1 to 3 cycles (TRM); taken as 2
    std::string m = mnemonic_in.substr(0, mnemonic_in.find('.'));
    // Drop a condition suffix (IT blocks: "moveq", "popne"); keep "bl", "bls" is b + ls.
    auto strip = [&](const std::string& base) {
        return m.size() > base.size() && starts_with(m, base) && is_condition(m.substr(base.size()));
    };
    bool has_pc = false;
    if (m == "b" || m == "bl" || m == "bx" || m == "blx" || strip("b") || strip("bx"))
        return {taken ? 1 + P : 1, "branch"};
    if (m == "cbz" || m == "cbnz") return {taken ? 1 + P : 1, "branch"};
    if (m == "tbb" || m == "tbh") return {2 + P, "branch"};
    if (starts_with(m, "vpush") || starts_with(m, "vpop") || starts_with(m, "vldm") || starts_with(m, "vstm"))
        return {1 + register_count(operands, nullptr), "fp load/store multiple"};
    if (starts_with(m, "vldr") || starts_with(m, "vstr")) return {2, "fp load/store"};
    if (m == "vmla" || m == "vmls" || m == "vnmla" || m == "vnmls" || m == "vfma" || m == "vfms" || m == "vfnma" ||
        m == "vfnms")
        return {3, "fp multiply-accumulate"};
    if (m == "vdiv" || m == "vsqrt") return {14, "fp divide/sqrt"};
    if (m == "vmov") {
        const int commas = int(std::count(operands.begin(), operands.end(), ','));
        return {commas >= 2 ? 2 : 1, "fp move"};
    }
    if (starts_with(m, "v")) return {1, "fp arithmetic"};
    if (starts_with(m, "push") || starts_with(m, "stm")) return {1 + register_count(operands, nullptr), "load/store multiple"};
    if (starts_with(m, "pop") || starts_with(m, "ldm")) {
        const int n = register_count(operands, &has_pc);
        return {1 + n + (has_pc ? P : 0), "load/store multiple"};
    }
    if (starts_with(m, "ldrd") || starts_with(m, "strd")) return {3, "load/store"};
    if (starts_with(m, "ldr") || starts_with(m, "str")) {
        if (starts_with(m, "ldr") && operands.rfind("pc,", 0) == 0) return {2 + P, "branch"};
        return {after_memory ? 1 : 2, "load/store"};
    }
    if (m == "sdiv" || m == "udiv") return {12, "divide"};
    if (m == "mul" || m == "muls" || m == "mla" || m == "mls" || m == "smull" || m == "umull" || m == "smlal" ||
        m == "umlal")
        return {1, "integer"};
    return {1, "integer"};
}

BenchResult bench_package(const fs::path& package_dir, const std::string& target, const std::string& opt,
                          const fs::path& work_dir)
{
    require_tools({"arm-none-eabi-gcc", "arm-none-eabi-size", "arm-none-eabi-nm", "arm-none-eabi-objdump",
                   "qemu-system-arm"},
                  "handposture bench");
    const TargetBuild& t = target_build(target);
    if (t.machine.empty()) throw Error("--target " + target + ": no QEMU machine runs it here");
    fs::create_directories(work_dir);
    BenchResult r;
    r.size = measure_package_size(package_dir, target, opt, work_dir);
    const fs::path fw = write_firmware(work_dir);
    const fs::path elf = link_image(package_dir, t, opt, fw, "bench.c", "", "--specs=rdimon.specs", work_dir / "bench.elf", true);

    // hp_run's address and every instruction of the image.
    const fs::path nm = work_dir / "bench.nm", dis = work_dir / "bench.dis";
    run("arm-none-eabi-nm " + quote(elf), nm, "arm-none-eabi-nm");
    unsigned long entry = 0;
    {
        std::istringstream in(read_file_text(nm));
        std::string addr, type, name;
        while (in >> addr >> type >> name)
            if (name == "hp_run") entry = std::stoul(addr, nullptr, 16) & ~1ul;
    }
    if (!entry) throw Error(elf, "no hp_run symbol");
    run("arm-none-eabi-objdump -d --no-show-raw-insn " + quote(elf), dis, "arm-none-eabi-objdump");
    struct Insn {
        std::string mnemonic, operands;
    };
    std::map<unsigned long, Insn> code;
    {
        std::istringstream in(read_file_text(dis));
        std::string line;
        while (std::getline(in, line)) {
            // "    8a4c:\tvldmia\tr3!, {s14-s15}"
            const size_t colon = line.find(":\t");
            if (colon == std::string::npos || line.empty() || line[0] != ' ') continue;
            char* end = nullptr;
            const unsigned long addr = std::strtoul(line.c_str(), &end, 16);
            if (end != line.c_str() + colon) continue;
            std::string rest = line.substr(colon + 2);
            const size_t tab = rest.find('\t');
            Insn insn{rest.substr(0, tab), tab == std::string::npos ? "" : rest.substr(tab + 1)};
            code[addr] = insn;
        }
    }

    // Run with a one-line-per-instruction trace.
    const fs::path trace = work_dir / "trace.log", out = work_dir / "qemu.out";
    run("timeout 300 qemu-system-arm -M " + t.machine +
            " -nographic -semihosting-config enable=on,target=native -singlestep -d exec,nochain -D " + quote(trace) +
            " -kernel " + quote(elf),
        out, "running the benchmark in QEMU");
    {
        const std::string text = read_file_text(out);
        const size_t at = text.find("bench: stack hp_run ");
        if (at == std::string::npos) throw Error(out, "the benchmark printed no result:\n" + text);
        std::istringstream in(text.substr(at + 20));
        std::string word;
        in >> r.stack_hp_run >> word >> r.stack_process_frame;
    }

    // Count from hp_run's first instruction until control is back in main.
    std::ifstream in(trace);
    std::string line;
    bool inside = false, previous_memory = false;
    unsigned long previous_pc = 0;
    std::string previous_mnemonic, previous_operands;
    auto account = [&](unsigned long next_pc) {
        auto next = code.upper_bound(previous_pc);
        const bool sequential = next != code.end() && next->first == next_pc;
        const auto [cycles, cls] = cortex_m4_cycles(previous_mnemonic, previous_operands, !sequential, previous_memory);
        r.cycles += cycles;
        r.instructions_by_class[cls]++;
        previous_memory = cls == "load/store" && (starts_with(previous_mnemonic, "ldr") || starts_with(previous_mnemonic, "str")) &&
                          !starts_with(previous_mnemonic, "ldrd") && !starts_with(previous_mnemonic, "strd");
    };
    while (std::getline(in, line)) {
        if (line.rfind("Trace ", 0) != 0) continue;
        const size_t open = line.find('['), close = line.find(']');
        if (open == std::string::npos || close == std::string::npos) continue;
        const size_t slash = line.find('/', open);
        const unsigned long pc = std::strtoul(line.c_str() + slash + 1, nullptr, 16);
        std::string symbol = line.substr(close + 1);
        symbol.erase(0, symbol.find_first_not_of(' '));
        if (!inside) {
            if (pc != entry) continue;
            inside = true;
        } else {
            account(pc);
            if (symbol == "main") break;
        }
        auto it = code.find(pc);
        if (it == code.end()) throw Error(trace, "executed address " + std::to_string(pc) + " is not in the disassembly");
        r.instructions++;
        r.instructions_by_function[symbol]++;
        previous_pc = pc;
        previous_mnemonic = it->second.mnemonic;
        previous_operands = it->second.operands;
    }
    if (!inside || r.instructions == 0) throw Error(trace, "hp_run never ran under the trace");
    r.ms_at_84mhz = double(r.cycles) / 84e3;
    return r;
}

}  // namespace hp::codegen
