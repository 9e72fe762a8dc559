#include "codegen/deploy_any.hpp"

#include "codegen/int8_package.hpp"
#include "core/error.hpp"
#include "data/dataset.hpp"

namespace hp::codegen {

std::map<std::string, std::string> deploy_package_files(const AnyModel& model, const DeployOptions& options)
{
    if (model.quant) return quant_package_files(*model.quant, options);
    if (model.net) return quant_package_files(*model.net, options);
    return package_files(model.model, options);
}

std::string deploy_package_readme(const AnyModel& model, const DeployOptions& options,
                                  const std::vector<PackageSize>& sizes)
{
    const AppNetwork network = model.quant ? int8_app_network(*model.quant)
                               : model.net ? int8_app_network(*model.net)
                                           : float_app_network(model.model);
    return package_readme(model.model, options, network, sizes);
}

namespace {

// `count` normalized tensors evenly spread over a dataset, preprocessed for a model of `input`.
std::vector<float> dataset_tensors(const TensorShape& input, int distance_mode, const DeployOptions& options,
                                   const std::filesystem::path& dataset, int count, size_t* picked_count)
{
    DatasetOptions d;
    d.classes = options.class_names;
    d.preprocess = options.preprocess;
    d.preprocess.distance_mode = distance_mode;  // the tensors the model takes
    const Dataset data = load_dataset(dataset, d);
    check_frames_fit(input, data.height * data.width, dataset.string());
    if (count < 1 || data.size() < size_t(count))
        throw Error(dataset, "has " + std::to_string(data.size()) + " frames, " + std::to_string(count) + " wanted");
    std::vector<float> tensors;
    const std::vector<size_t> picked = calibration_subset(data.size(), size_t(count));
    for (size_t i : picked) tensors.insert(tensors.end(), data.input(i), data.input(i) + data.input_size());
    *picked_count = picked.size();
    return tensors;
}

}  // namespace

std::map<std::string, std::string> int8_test_vector_files(const QuantModel& model, const DeployOptions& options,
                                                          const std::filesystem::path& dataset, int count)
{
    size_t n = 0;
    const std::vector<float> tensors = dataset_tensors({model.shape.height, model.shape.width, model.shape.channels},
                                                       model.distance_mode, options, dataset, count, &n);
    return quant_test_vector_files(model, tensors, n);
}

std::map<std::string, std::string> int8_test_vector_files(const QuantNet& model, const DeployOptions& options,
                                                          const std::filesystem::path& dataset, int count)
{
    size_t n = 0;
    const std::vector<float> tensors = dataset_tensors(model.input, model.distance_mode, options, dataset, count, &n);
    return quant_test_vector_files(model, tensors, n);
}

}  // namespace hp::codegen
