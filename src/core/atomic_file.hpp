// Writing outputs without ever leaving a half-written file: write to "<path>.tmp.<pid>", then
// rename over the target, so an error or a crash loses nothing already written.
#pragma once

#include <filesystem>
#include <string>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

namespace hp {

// Calls write(tmp_path) to produce the file, then renames tmp_path to path. If write throws,
// the temporary file is removed and the exception propagates. Creates parent folders.
void write_atomically(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path& tmp_path)>& write);

// Convenience: writes bytes / text atomically.
void write_file_atomically(const std::filesystem::path& path, std::span<const unsigned char> bytes);
void write_text_atomically(const std::filesystem::path& path, std::string_view text);

// Reads a whole file; throws hp::Error naming the file if it cannot.
std::vector<unsigned char> read_file_bytes(const std::filesystem::path& path);
// The same as text.
std::string read_file_text(const std::filesystem::path& path);

}  // namespace hp
