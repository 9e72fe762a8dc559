// Fuzzes the quantized model reader: any bytes must give a model or an hp::Error, never a
// crash. Each input is parsed twice: as it is, and with its trailing CRC-32 rewritten to match,
// so the fuzzer also reaches the fields behind the checksum. Every format version goes through
// parse_quant_file: CNN2D_ST_HandPosture's (3, 4) and the general network's (5). A model that
// parses is run once.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "quant/quant_file.hpp"

static void parse_and_run(const std::vector<unsigned char>& bytes)
{
    try {
        const hp::AnyQuant m = hp::parse_quant_file(bytes, "fuzz.hpq");
        if (const hp::QuantModel* st = std::get_if<hp::QuantModel>(&m)) {
            std::vector<float> frame(size_t(st->shape.height) * st->shape.width * st->shape.channels, 0.5f);
            hp::predict_scores(*st, frame.data(), 1, 1);
        } else {
            const hp::QuantNet& net = std::get<hp::QuantNet>(m);
            std::vector<float> frame(net.input.size(), 0.5f);
            hp::predict_scores(net, frame.data(), 1, 1);
        }
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
