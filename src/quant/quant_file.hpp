// The quantized model file (.hpq): a small little-endian binary, documented in
// docs/quantized-model-format.md. The reader checks every field and the CRC-32.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "quant/quant_model.hpp"
#include "quant/quant_net.hpp"

namespace hp {

// The 8 bytes every quantized model file starts with.
inline constexpr char kQuantModelMagic[8] = {'H', 'P', 'Q', 'M', 'O', 'D', 'E', 'L'};

std::vector<unsigned char> serialize_quant_model(const QuantModel& model);

// Parses a whole file's bytes; throws hp::Error "<where>: <problem>" for anything invalid.
QuantModel parse_quant_model(std::span<const unsigned char> bytes, const std::string& where);

// Version 5: the general int8 network of any layer list (QuantNet). parse_quant_model reads
// versions 3 and 4 (CNN2D_ST_HandPosture) only; parse_quant_file reads every version.
std::vector<unsigned char> serialize_quant_net(const QuantNet& net);
AnyQuant parse_quant_file(std::span<const unsigned char> bytes, const std::string& where);

// Writes atomically / reads and validates.
void write_quant_model(const std::filesystem::path& path, const QuantModel& model);
QuantModel read_quant_model(const std::filesystem::path& path);
void write_quant_file(const std::filesystem::path& path, const AnyQuant& model);
AnyQuant read_quant_file(const std::filesystem::path& path);

// True if the file exists and starts with kQuantModelMagic (how the CLI tells an int8 model
// from a Keras .h5, whatever the extension).
bool is_quant_model_file(const std::filesystem::path& path);

}  // namespace hp
