// Reading zip archives held in memory (libzip over zip_source_buffer): entry names and whole
// entries, with the archive's consistency and each entry's CRC checked.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

struct zip;

namespace hp {

class ZipReader {
public:
    // `bytes` must outlive the reader; `name` appears in error messages. Throws hp::Error if
    // the bytes are not a consistent zip archive.
    ZipReader(std::span<const unsigned char> bytes, std::string name);
    ~ZipReader();
    ZipReader(const ZipReader&) = delete;
    ZipReader& operator=(const ZipReader&) = delete;

    size_t size() const { return count_; }
    std::string entry_name(size_t index) const;
    // The uncompressed bytes of an entry; throws hp::Error on a CRC or decompression error.
    std::vector<unsigned char> read(size_t index) const;

private:
    struct zip* zip_ = nullptr;
    size_t count_ = 0;
    std::string name_;
};

}  // namespace hp
