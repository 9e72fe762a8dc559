#include "model/runtime_model.hpp"

#include "core/error.hpp"
#include "hp_model_f32_batch.h"

namespace hp {

hp_model_f32 runtime_view(const Cnn2dSt& st)
{
    hp_model_f32 v;
    v.height = st.shape.height;
    v.width = st.shape.width;
    v.channels = st.shape.channels;
    v.conv_filters = st.shape.conv_filters;
    v.dense_units = st.shape.dense_units;
    v.outputs = st.shape.outputs();
    v.conv_kernel = st.conv->weights[0].data();
    v.conv_bias = st.conv->weights[1].data();
    v.dense1_kernel = st.dense->weights[0].data();
    v.dense1_bias = st.dense->weights[1].data();
    v.dense2_kernel = st.output->weights[0].data();
    v.dense2_bias = st.output->weights[1].data();
    return v;
}

RuntimeModel::RuntimeModel(const Model& model, const std::string& where)
    : st_(as_cnn2d_st(model)), outputs_(model.outputs()), input_floats_(model.input.size())
{
    model.validate(where);
    if (st_) {
        st_view_ = runtime_view(*st_);
        if (hp_model_f32_scratch_floats(&st_view_) == 0) throw Error(where, "the runtime cannot run the model's dimensions");
        return;
    }
    plan_ = inference_plan(model, where);
    for (const PlanLayer& p : plan_.layers) {
        hp_layer_f32 l{};
        l.kind = p.kind == PlanLayer::Kind::conv2d ? HP_LAYER_CONV2D
                 : p.kind == PlanLayer::Kind::dense ? HP_LAYER_DENSE
                                                    : HP_LAYER_MAXPOOL2X2;
        l.height = p.in.height;
        l.width = p.in.width;
        l.channels = p.in.channels;
        l.outputs = p.kind == PlanLayer::Kind::max_pool ? 0 : p.out.channels;
        l.kernel_size = p.kernel_size;
        l.padding = p.padding;
        l.relu = p.relu;
        l.weights = p.kernel.empty() ? nullptr : p.kernel.data();
        l.bias = p.bias.empty() ? nullptr : p.bias.data();
        layers_.push_back(l);
    }
    hp_layer_f32 last{};
    last.kind = plan_.sigmoid ? HP_LAYER_SIGMOID : HP_LAYER_SOFTMAX;
    last.height = last.width = 1;
    last.channels = plan_.outputs;
    layers_.push_back(last);
    net_.input_height = plan_.input.height;
    net_.input_width = plan_.input.width;
    net_.input_channels = plan_.input.channels;
    net_.layer_count = int(layers_.size());
    net_.layers = layers_.data();
    net_.outputs = plan_.outputs;
    if (hp_net_f32_scratch_floats(&net_) == 0) throw Error(where, "the runtime cannot run the model's layers");
}

size_t RuntimeModel::scratch_floats() const
{
    return st_ ? hp_model_f32_scratch_floats(&st_view_) : hp_net_f32_scratch_floats(&net_);
}

size_t RuntimeModel::batch_scratch_floats() const
{
    return st_ ? hp_model_f32_batch_scratch_floats(&st_view_) : hp_net_f32_scratch_floats(&net_);
}

int RuntimeModel::run(const float* input, float* scores, float* scratch) const
{
    return st_ ? hp_model_f32_run(&st_view_, input, scores, scratch) : hp_net_f32_run(&net_, input, scores, scratch);
}

void RuntimeModel::run_batch(const float* inputs, size_t count, float* scores, float* scratch) const
{
    if (st_) {
        hp_model_f32_run_batch(&st_view_, inputs, count, scores, scratch);
        return;
    }
    for (size_t i = 0; i < count; i++)
        if (hp_net_f32_run(&net_, inputs + i * input_floats_, scores + i * size_t(outputs_), scratch) != 0)
            throw Error("runtime", "the general network failed on a frame");
}

}  // namespace hp
