// Posture classes: ST's GestureEVK codes and the model's output order (SPEC §4).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hp {

struct Posture {
    std::string_view name;
    int code;  // value of .GestureGT in ST datalogs
};

// Every posture ST's logger knows, by code.
const std::vector<Posture>& known_postures();

// Code of a class name, or nullopt if unknown.
std::optional<int> posture_code(std::string_view name);

// Name of a code, or nullopt if unknown.
std::optional<std::string_view> posture_name(int code);

// The model's output order: the configured classes sorted by posture code, whatever order
// they are listed in. Throws hp::Error listing the known names for an unknown or repeated
// class. (The two-class minimum is training's: a recording of one posture is a dataset too.)
std::vector<std::string> output_order(const std::vector<std::string>& classes);

// ST's 8 classes of the public VL53L8CX dataset, in output order.
std::vector<std::string> st_default_classes();

}  // namespace hp
