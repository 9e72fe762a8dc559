// Fuzzes the Keras model_config JSON parser: any text must give a layer list or an hp::Error,
// never a crash, a leak or undefined behaviour. A parsed list must also survive being written
// back and parsed again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/error.hpp"
#include "model/keras_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const hp::Model a = hp::parse_keras_model_config(text, "fuzz.json");
        const hp::Model b = hp::parse_keras_model_config(hp::keras_model_config_json(a), "again");
        if (!(a == b)) std::abort();
    } catch (const hp::Error&) {
    }
    return 0;
}
