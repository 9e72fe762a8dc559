#include "data/zip_reader.hpp"

#include <zip.h>

#include <algorithm>

#include "core/error.hpp"

namespace hp {

ZipReader::ZipReader(std::span<const unsigned char> bytes, std::string name) : name_(std::move(name))
{
    if (bytes.empty()) throw Error(name_, "empty file (not a zip archive)");
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (source) zip_ = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
    if (!zip_) {
        if (source) zip_source_free(source);
        // A zip starts with a local header ("PK\3\4"); with it but no central directory at the
        // end, the file was cut short.
        bool starts_like_zip = bytes.size() >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4;
        std::string why = zip_error_code_zip(&error) != ZIP_ER_NOZIP ? std::string(zip_error_strerror(&error))
                          : starts_like_zip ? "truncated or damaged zip archive (no central directory)"
                                            : "not a zip archive";
        zip_error_fini(&error);
        throw Error(name_, why);
    }
    zip_error_fini(&error);
    zip_int64_t n = zip_get_num_entries(zip_, 0);
    count_ = n > 0 ? size_t(n) : 0;
}

ZipReader::~ZipReader()
{
    if (zip_) zip_discard(zip_);
}

std::string ZipReader::entry_name(size_t index) const
{
    const char* name = zip_get_name(zip_, index, ZIP_FL_ENC_RAW);
    if (!name) throw Error(name_, "entry " + std::to_string(index) + ": " + zip_strerror(zip_));
    return name;
}

std::vector<unsigned char> ZipReader::read(size_t index) const
{
    std::string entry = entry_name(index);
    zip_stat_t stat;
    if (zip_stat_index(zip_, index, 0, &stat) != 0 || !(stat.valid & ZIP_STAT_SIZE))
        throw Error(name_, "entry '" + entry + "': " + zip_strerror(zip_));
    constexpr zip_uint64_t kMaxEntry = zip_uint64_t(1) << 31;
    if (stat.size > kMaxEntry) throw Error(name_, "entry '" + entry + "' is too large");
    zip_file_t* file = zip_fopen_index(zip_, index, 0);
    if (!file) throw Error(name_, "entry '" + entry + "': " + zip_strerror(zip_));

    // Trust the declared size only as far as deflate can expand the compressed bytes.
    zip_uint64_t plausible = stat.size;
    if (stat.valid & ZIP_STAT_COMP_SIZE) plausible = std::min<zip_uint64_t>(stat.size, stat.comp_size * 1100 + 1024);
    std::vector<unsigned char> out(size_t(plausible) + 1);
    size_t filled = 0;
    for (;;) {
        if (filled == out.size()) out.resize(std::min<size_t>(out.size() * 2, size_t(kMaxEntry) + 1));
        zip_int64_t n = zip_fread(file, out.data() + filled, out.size() - filled);
        if (n < 0) {
            zip_error_t* error = zip_file_get_error(file);
            std::string why = zip_error_code_zip(error) == ZIP_ER_CRC ? "CRC error (the archive is corrupt)"
                                                                       : std::string(zip_file_strerror(file));
            zip_fclose(file);
            throw Error(name_, "entry '" + entry + "': " + why);
        }
        if (n == 0) break;
        filled += size_t(n);
        if (filled > stat.size) break;
    }
    zip_fclose(file);
    if (filled != stat.size) throw Error(name_, "entry '" + entry + "': size differs from the one declared");
    out.resize(filled);
    return out;
}

}  // namespace hp
