// Errors: one exception type whose message names the file (or key) and the problem.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace hp {

// Thrown for every bad input. what() is one line, "<where>: <problem>"; the CLI prints it
// after "error: " and exits non-zero.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
    Error(const std::filesystem::path& where, const std::string& problem)
        : std::runtime_error(where.string() + ": " + problem) {}
};

}  // namespace hp
