#include "quant/model_any.hpp"

#include "core/error.hpp"
#include "model/model_file.hpp"
#include "model/predict.hpp"
#include "quant/quant_file.hpp"

namespace hp {

AnyModel read_any_model(const std::filesystem::path& path)
{
    AnyModel m;
    if (!is_quant_model_file(path)) {
        m.model = read_keras_h5(path);
        return m;
    }
    AnyQuant q = read_quant_file(path);
    if (QuantNet* net = std::get_if<QuantNet>(&q)) {
        m.model = net->float_outline();
        m.net = std::move(*net);
        return m;
    }
    m.quant = std::move(std::get<QuantModel>(q));
    m.model = cnn2d_st_model(m.quant->shape, m.quant->class_names, 0.0f);  // dropout: nothing to say about training
    m.model.distance_mode = m.quant->distance_mode;
    return m;
}

std::vector<float> predict_scores(const AnyModel& model, const float* inputs, size_t count, int threads)
{
    if (model.net) return predict_scores(*model.net, inputs, count, threads);
    if (model.quant) return predict_scores(*model.quant, inputs, count, threads);
    return predict_scores(model.model, inputs, count, threads);
}

}  // namespace hp
