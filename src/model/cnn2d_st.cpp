#include "model/cnn2d_st.hpp"

#include "model/architectures.hpp"

namespace hp {

Model cnn2d_st_model(const ModelShape& s, std::vector<std::string> class_names, float dropout)
{
    Model m = with_output_layer({s.height, s.width, s.channels},
                                cnn2d_st_hidden_layers(s.conv_filters, s.dense_units, dropout), s.classes);
    m.class_names = std::move(class_names);
    return m;
}

std::optional<Cnn2dSt> as_cnn2d_st(const Model& model)
{
    // The layers that compute something, each weighted one with its ReLU folded in.
    std::vector<const Layer*> core;
    std::vector<bool> relu;
    for (const Layer& l : model.layers) {
        if (l.kind == LayerKind::dropout) continue;
        if (l.kind == LayerKind::relu) {
            if (core.empty() || relu.back() || (core.back()->kind != LayerKind::conv2d && core.back()->kind != LayerKind::dense))
                return std::nullopt;
            relu.back() = true;
            continue;
        }
        core.push_back(&l);
        relu.push_back(l.activation == Activation::relu);
    }
    if (core.size() != 5) return std::nullopt;
    const Layer &conv = *core[0], &pool = *core[1], &flatten = *core[2], &dense = *core[3], &output = *core[4];
    const bool ok = conv.kind == LayerKind::conv2d && conv.kernel_size == 3 && !conv.same_padding && conv.use_bias &&
                    relu[0] && pool.kind == LayerKind::max_pool && flatten.kind == LayerKind::flatten &&
                    dense.kind == LayerKind::dense && dense.use_bias && relu[3] && output.kind == LayerKind::dense &&
                    output.use_bias && model.input.height >= 4 && model.input.width >= 4;
    if (!ok) return std::nullopt;
    Cnn2dSt st;
    st.shape = {model.input.height, model.input.width, model.input.channels, conv.units, dense.units, model.classes()};
    st.conv = &conv;
    st.dense = &dense;
    st.output = &output;
    return st;
}

}  // namespace hp
