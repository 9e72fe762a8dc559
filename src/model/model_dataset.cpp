#include "model/model_dataset.hpp"

#include "core/error.hpp"

namespace hp {

Dataset load_dataset_for_model(const std::filesystem::path& root, const Model& model,
                               const std::vector<std::string>& classes, MissingClasses missing)
{
    if (!std::filesystem::exists(root)) throw Error(root, "dataset not found (give a dataset folder or ST's .zip)");
    DatasetOptions options;
    options.classes = classes;
    options.preprocess = preprocess_for(model);
    options.missing_classes = missing;
    Dataset data = load_dataset(root, options);
    check_frames_fit(model.input, data.height * data.width, root.string());
    if (data.size() == 0) throw Error(root, "no frame of the model's classes was kept");
    return data;
}

}  // namespace hp
