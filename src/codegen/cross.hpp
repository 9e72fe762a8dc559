// Building a generated package for a Cortex-M with arm-none-eabi-gcc and measuring it: flash and
// static RAM from linked images, stack and executed instructions from QEMU, cycles estimated
// from the Cortex-M4 timing table (docs/cortex-m4-timing.md).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "codegen/package.hpp"

namespace hp::codegen {

// True if `tool` is an executable on PATH.
bool tool_on_path(const std::string& tool);

// Throws hp::Error naming every tool of `tools` missing from PATH and how to install it.
void require_tools(const std::vector<std::string>& tools, const std::string& what);

struct TargetBuild {
    std::string name;      // cortex-m4, cortex-m7, cortex-m0plus
    std::string cflags;    // -mcpu=... -mthumb ...
    std::string board_ld;  // firmware linker script
    std::string machine;   // QEMU machine that runs it ("" if none)
};

// The build settings of a target; throws hp::Error for "generic" or an unknown name.
const TargetBuild& target_build(const std::string& target);

// Links size images of the package with and without it (firmware/size_main.c, --gc-sections)
// and returns the difference. work_dir: a scratch folder (created).
PackageSize measure_package_size(const std::filesystem::path& package_dir, const std::string& target,
                                 const std::string& opt, const std::filesystem::path& work_dir);

struct BenchResult {
    PackageSize size;
    long stack_hp_run = 0;            // deepest stack below the caller during hp_run (bytes)
    long stack_process_frame = 0;     // same for hp_process_frame
    long instructions = 0;            // executed from hp_run's entry to its return
    long cycles = 0;                  // estimated from the Cortex-M4 timing table
    double ms_at_84mhz = 0;
    std::map<std::string, long> instructions_by_class;     // timing class -> count
    std::map<std::string, long> instructions_by_function;  // function (trace symbol) -> count
};

// Builds firmware/bench.c with the package, runs it in QEMU with an instruction trace and
// measures everything above. Needs arm-none-eabi-gcc/-size/-nm/-objdump and qemu-system-arm.
BenchResult bench_package(const std::filesystem::path& package_dir, const std::string& target, const std::string& opt,
                          const std::filesystem::path& work_dir);

// Cycles of one executed instruction on a Cortex-M4 (docs/cortex-m4-timing.md). mnemonic: as
// objdump prints it (e.g. "vldmia", "ldr.w", "popeq"); operands: the rest of the line; taken:
// for branches, whether the next executed instruction is not the following one;
// after_memory: the previous instruction was a single load/store (pipelined, 1 cycle).
// Returns {cycles, timing class}.
std::pair<int, std::string> cortex_m4_cycles(const std::string& mnemonic, const std::string& operands, bool taken,
                                             bool after_memory);

}  // namespace hp::codegen
