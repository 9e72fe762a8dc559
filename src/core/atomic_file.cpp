#include "core/atomic_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "core/error.hpp"

namespace hp {

namespace fs = std::filesystem;

void write_atomically(const fs::path& path, const std::function<void(const fs::path&)>& write)
{
    if (path.has_parent_path()) {
        std::error_code ec;
        fs::create_directories(path.parent_path(), ec);
        if (ec) throw Error(path.parent_path(), "cannot create folder: " + ec.message());
    }
    fs::path tmp = path;
    tmp += ".tmp." + std::to_string(::getpid());
    try {
        write(tmp);
    } catch (...) {
        std::error_code ignored;
        fs::remove(tmp, ignored);
        throw;
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw Error(path, "cannot write: " + ec.message());
    }
}

void write_file_atomically(const fs::path& path, std::span<const unsigned char> bytes)
{
    write_atomically(path, [&](const fs::path& tmp) {
        std::ofstream out(tmp, std::ios::binary);
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        out.close();
        if (!out) throw Error(path, std::string("cannot write: ") + std::strerror(errno));
    });
}

void write_text_atomically(const fs::path& path, std::string_view text)
{
    write_file_atomically(path, {reinterpret_cast<const unsigned char*>(text.data()), text.size()});
}

std::vector<unsigned char> read_file_bytes(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path, fs::exists(path) ? "cannot open" : "no such file");
    std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw Error(path, "read error");
    return bytes;
}

std::string read_file_text(const fs::path& path)
{
    const std::vector<unsigned char> bytes = read_file_bytes(path);
    return {bytes.begin(), bytes.end()};
}

}  // namespace hp
