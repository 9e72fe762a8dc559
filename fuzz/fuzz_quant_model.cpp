// Fuzzes the quantized model reader: any bytes must give a model or an hp::Error, never a
// crash. Each input is parsed twice: as it is, and with its trailing CRC-32 rewritten to match,
// so the fuzzer also reaches the fields behind the checksum. A model that parses is run once.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/error.hpp"
#include "quant/quant_file.hpp"

static void parse_and_run(const std::vector<unsigned char>& bytes)
{
    try {
        hp::QuantModel m = hp::parse_quant_model(bytes, "fuzz.hpq");
        std::vector<float> frame(size_t(m.shape.height) * m.shape.width * m.shape.channels, 0.5f);
        hp::predict_scores(m, frame.data(), 1, 1);
    } catch (const hp::Error&) {
    }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::vector<unsigned char> bytes(data, data + size);
    parse_and_run(bytes);
    if (bytes.size() >= 16) {
        uint32_t crc = uint32_t(crc32(0L, bytes.data(), uInt(bytes.size() - 4)));
        for (int i = 0; i < 4; i++) bytes[bytes.size() - 4 + size_t(i)] = (unsigned char)(crc >> (8 * i));
        parse_and_run(bytes);
    }
    return 0;
}
