// Which class names a model's outputs have: one rule for every command.
#pragma once

#include <string>
#include <vector>

#include "model/model.hpp"

namespace hp {

// The class names of `model`'s outputs, in output order: `given` (a command's --classes or a
// config's dataset.class_names, in any order), else the names the model stores, else ST's 8
// classes for an 8-class model. Throws hp::Error naming `model_path` when the count does not
// match the model or a name is not a known posture, and, when `required`, when no rule applies
// (saying to give them with `how_to_give`, e.g. "--classes"); not required, that gives {}.
std::vector<std::string> resolve_class_names(const Model& model, const std::vector<std::string>& given,
                                             const std::string& model_path, const std::string& how_to_give,
                                             bool required = true);

}  // namespace hp
