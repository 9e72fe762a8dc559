// Fuzzes the .npy/.npz parser and the datalog reader: any bytes must give a result or an
// hp::Error, never a crash, a leak or undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/error.hpp"
#include "data/datalog.hpp"
#include "data/npz.hpp"

// Converts an array's values, as the datalog reader does.
static void decode(const hp::npy::Array& array)
{
    if (array.dtype == hp::npy::DType::unicode)
        array.to_strings();
    else
        array.to_f64();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::span<const unsigned char> bytes(data, size);
    try {
        decode(hp::npy::parse_npy(bytes, "fuzz.npy"));
    } catch (const hp::Error&) {
    }
    try {
        for (const auto& [name, array] : hp::npy::read_npz(bytes, "fuzz.npz")) decode(array);
    } catch (const hp::Error&) {
    }
    try {
        hp::Datalog log = hp::read_datalog(bytes, "fuzz.npz");
        for (int n = 0; n < log.frames; ++n) log.frame_has_nan(n);
    } catch (const hp::Error&) {
    }
    return 0;
}
