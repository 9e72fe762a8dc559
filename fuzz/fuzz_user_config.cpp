// Fuzzes the user_config.yaml reader: any bytes must give a configuration or an hp::Error,
// never a crash, a leak or undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "config/user_config.hpp"
#include "core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size > 64 * 1024) return 0;  // configs are small; deeper inputs only slow the search
    std::ostringstream warnings;
    try {
        hp::parse_user_config(std::string(reinterpret_cast<const char*>(data), size), "fuzz.yaml", warnings);
    } catch (const hp::Error&) {
    }
    return 0;
}
