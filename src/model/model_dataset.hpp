// A dataset as a model sees it: the model's classes in its output order and the preprocessing it
// was trained with.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "model/model.hpp"

namespace hp {

// Loads `root` (folder or ST's .zip) with `classes` (the model's, resolved) and the model's
// distance mode. A folder may lack some classes (a person's recordings) with
// MissingClasses::report. Throws hp::Error naming `root` if it does not exist, its frames do
// not fit the model, or no frame is kept.
Dataset load_dataset_for_model(const std::filesystem::path& root, const Model& model,
                               const std::vector<std::string>& classes, MissingClasses missing);

}  // namespace hp
