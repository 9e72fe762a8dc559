// .npz archives through libzip, entirely in memory (zip_source_buffer): no temporary files.
#include <zip.h>

#include <cstring>
#include <memory>
#include <set>

#include "core/error.hpp"
#include "data/npz.hpp"
#include "data/zip_reader.hpp"

namespace hp::npy {

Npz read_npz(std::span<const unsigned char> bytes, const std::string& name)
{
    ZipReader zip(bytes, name);
    Npz arrays;
    std::set<std::string> seen;
    for (size_t i = 0; i < zip.size(); ++i) {
        std::string entry = zip.entry_name(i);
        if (entry.size() < 5 || entry.compare(entry.size() - 4, 4, ".npy") != 0)
            throw Error(name, "entry '" + entry + "' is not an .npy array");
        std::string key = entry.substr(0, entry.size() - 4);
        if (!seen.insert(key).second) throw Error(name, "entry '" + entry + "' appears twice");
        std::vector<unsigned char> data = zip.read(i);
        arrays.emplace_back(key, parse_npy(data, name + ": " + entry));
    }
    return arrays;
}

namespace {

struct ZipSourceDeleter {
    void operator()(zip_source_t* source) const { zip_source_free(source); }
};

[[noreturn]] void fail_write(zip_error_t* error)
{
    std::string why = zip_error_strerror(error);
    throw Error("npz: cannot build archive: " + why);
}

}  // namespace

std::vector<unsigned char> write_npz(const Npz& arrays)
{
    zip_error_t error;
    zip_error_init(&error);
    std::unique_ptr<zip_source_t, ZipSourceDeleter> archive(zip_source_buffer_create(nullptr, 0, 0, &error));
    if (!archive) fail_write(&error);
    zip_t* zip = zip_open_from_source(archive.get(), ZIP_TRUNCATE, &error);
    if (!zip) fail_write(&error);
    zip_source_keep(archive.get());  // zip_close must leave the buffer to us

    // libzip reads the entries' bytes at zip_close: keep them alive until then.
    std::vector<std::vector<unsigned char>> entries;
    entries.reserve(arrays.size());
    for (const auto& [key, array] : arrays) {
        entries.push_back(format_npy(array));
        const std::vector<unsigned char>& npy = entries.back();
        zip_source_t* source = zip_source_buffer(zip, npy.data(), npy.size(), 0);
        zip_int64_t index = source ? zip_file_add(zip, (key + ".npy").c_str(), source, ZIP_FL_ENC_UTF_8) : -1;
        if (index < 0) {
            if (source) zip_source_free(source);
            std::string why = zip_strerror(zip);
            zip_discard(zip);
            throw Error("npz: cannot add entry '" + key + "': " + why);
        }
        zip_set_file_compression(zip, zip_uint64_t(index), ZIP_CM_DEFLATE, 6);
        zip_file_set_mtime(zip, zip_uint64_t(index), 315532800 + 86400, 0);  // 1980-01-02, fixed
    }
    if (zip_close(zip) != 0) {
        std::string why = zip_strerror(zip);
        zip_discard(zip);
        throw Error("npz: cannot build archive: " + why);
    }

    zip_stat_t stat;
    if (zip_source_stat(archive.get(), &stat) != 0 || zip_source_open(archive.get()) != 0)
        fail_write(zip_source_error(archive.get()));
    std::vector<unsigned char> out(size_t(stat.size));
    zip_int64_t n = out.empty() ? 0 : zip_source_read(archive.get(), out.data(), out.size());
    zip_source_close(archive.get());
    if (n != zip_int64_t(out.size())) throw Error("npz: cannot read back the archive built in memory");
    return out;
}

}  // namespace hp::npy
