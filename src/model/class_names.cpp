#include "model/class_names.hpp"

#include "core/error.hpp"
#include "core/postures.hpp"

namespace hp {

std::vector<std::string> resolve_class_names(const Model& model, const std::vector<std::string>& given,
                                             const std::string& model_path, const std::string& how_to_give,
                                             bool required)
{
    const int classes = model.classes();
    std::vector<std::string> names;
    std::string from = "the model's class names";
    if (!given.empty()) {
        names = output_order(given);
        from = how_to_give;
    } else if (!model.class_names.empty()) {
        names = model.class_names;
    } else if (classes == 8) {
        names = st_default_classes();  // ST's pretrained models store none
    } else if (!required) {
        return {};
    } else {
        throw Error(model_path, "the model has " + std::to_string(classes) +
                                    " classes and stores no class names; give them with " + how_to_give);
    }
    if (int(names.size()) != classes)
        throw Error(model_path, from + " list " + std::to_string(names.size()) + " classes but the model has " +
                                    std::to_string(classes));
    for (const std::string& n : names)
        if (!posture_code(n)) throw Error(model_path, "unknown class name '" + n + "'");
    return names;
}

}  // namespace hp
