// Usage errors, the same for every command: one line naming the problem and the nearest valid
// word ("unknown command 'evalute'; did you mean 'evaluate'?"), then the command's usage, exit
// code 2. Bad input (a file, a value a command cannot use) is exit code 1.
#pragma once

#include <CLI/CLI.hpp>

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hp::cli {

enum ExitCode : int { exit_ok = 0, exit_bad_input = 1, exit_usage = 2 };

// Options that CLI11 accepts one by one but a command cannot use together (or without each
// other), e.g. "give either --port DEV or --replay FILE|DIR": reported like CLI11's errors.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Puts the exit codes in the --help footer of `app` and of every command under it.
void document_exit_codes(CLI::App& app);

// Edits (insertion, deletion, substitution, swap of neighbours) that turn a into b.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word` by edit_distance, if near enough to be what was meant.
std::optional<std::string> closest_word(std::string_view word, const std::vector<std::string>& candidates);

// "usage: handposture <command> ..." for a command (its options) or a group (its commands),
// wrapped at 100 columns.
std::string usage_text(const CLI::App& command);

// Prints what is wrong with `args` (argv without the program name), which `app` or a command
// refused with `problem` (a CLI11 or UsageError message), and returns exit_usage. An unknown
// command or option is named instead when there is one (CLI11 may have found, say, a missing
// required option first).
int report_usage_error(const CLI::App& app, const std::vector<std::string>& args, const std::string& problem);

}  // namespace hp::cli
