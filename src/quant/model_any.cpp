#include "quant/model_any.hpp"

#include "core/error.hpp"
#include "data/dataset.hpp"
#include "model/model_file.hpp"
#include "model/predict.hpp"
#include "quant/quant_file.hpp"
#include "quant/quant_package.hpp"

namespace hp {

AnyModel read_any_model(const std::filesystem::path& path)
{
    AnyModel m;
    if (!is_quant_model_file(path)) {
        m.model = read_keras_h5(path);
        return m;
    }
    m.quant = read_quant_model(path);
    m.model = Model::zeros(m.quant->shape, m.quant->class_names);
    m.model.dropout = 0.0f;  // nothing to say about training
    return m;
}

std::vector<float> predict_scores(const AnyModel& model, const float* inputs, size_t count, int threads)
{
    if (model.quant) return predict_scores(*model.quant, inputs, count, threads);
    return predict_scores(model.model, inputs, count, threads);
}

std::map<std::string, std::string> deploy_package_files(const AnyModel& model, const codegen::DeployOptions& options)
{
    if (model.quant) return quant_package_files(*model.quant, options);
    return codegen::package_files(model.model, options);
}

std::string deploy_package_readme(const AnyModel& model, const codegen::DeployOptions& options,
                                  const std::vector<codegen::PackageSize>& sizes)
{
    const codegen::AppNetwork network =
        model.quant ? int8_app_network(*model.quant) : codegen::float_app_network(model.model);
    return codegen::package_readme(model.model, options, network, sizes);
}

std::map<std::string, std::string> int8_test_vector_files(const QuantModel& model, const codegen::DeployOptions& options,
                                                          const std::filesystem::path& dataset, int count)
{
    DatasetOptions d;
    d.classes = options.class_names;
    d.preprocess = options.preprocess;
    const Dataset data = load_dataset(dataset, d);
    check_frames_fit(model.shape, data.height * data.width, dataset.string());
    if (count < 1 || data.size() < size_t(count))
        throw Error(dataset, "has " + std::to_string(data.size()) + " frames, " + std::to_string(count) + " wanted");
    std::vector<float> tensors;
    const std::vector<size_t> picked = calibration_subset(data.size(), size_t(count));
    for (size_t i : picked) tensors.insert(tensors.end(), data.input(i), data.input(i) + data.input_size());
    return quant_test_vector_files(model, tensors, picked.size());
}

}  // namespace hp
