#include "model/inference_plan.hpp"

#include <cmath>

#include "core/error.hpp"

namespace hp {

namespace {

// y = gamma (x - mean) / sqrt(var + eps) + beta on each output channel of `into`, as a scale of
// its kernel's output channels and a new bias (computed in double, rounded once).
void fold_batch_norm(PlanLayer& into, const Layer& bn)
{
    const std::vector<float>&gamma = bn.weights[0], &beta = bn.weights[1], &mean = bn.weights[2], &var = bn.weights[3];
    const size_t channels = gamma.size();
    if (into.bias.empty()) into.bias.assign(channels, 0.0f);
    for (size_t c = 0; c < channels; c++) {
        const double scale = double(gamma[c]) / std::sqrt(double(var[c]) + double(bn.epsilon));
        for (size_t i = c; i < into.kernel.size(); i += channels) into.kernel[i] = float(into.kernel[i] * scale);
        into.bias[c] = float((double(into.bias[c]) - mean[c]) * scale + beta[c]);
    }
}

}  // namespace

long InferencePlan::mac_count() const
{
    long n = 0;
    for (const PlanLayer& l : layers) {
        if (l.kind == PlanLayer::Kind::conv2d) n += long(l.out.size()) * l.kernel_size * l.kernel_size * l.in.channels;
        if (l.kind == PlanLayer::Kind::dense) n += long(l.in.size()) * l.out.channels;
    }
    return n;
}

InferencePlan inference_plan(const Model& model, const std::string& where)
{
    model.validate(where);
    const std::vector<TensorShape> shapes = model.output_shapes(where);
    InferencePlan plan;
    plan.input = model.input;
    // The last weighted plan layer: a ReLU joins it even across max pooling, Dropout and Flatten
    // (ReLU and max commute; the others are identities at inference).
    int weighted = -1;
    TensorShape in = model.input;
    for (size_t i = 0; i < model.layers.size(); i++) {
        const Layer& l = model.layers[i];
        const TensorShape out = shapes[i];
        const bool follows_weighted = weighted >= 0 && weighted == int(plan.layers.size()) - 1;
        switch (l.kind) {
        case LayerKind::conv2d:
        case LayerKind::dense: {
            PlanLayer p;
            p.kind = l.kind == LayerKind::conv2d ? PlanLayer::Kind::conv2d : PlanLayer::Kind::dense;
            p.name = l.name;
            p.in = in;
            p.out = out;
            p.kernel_size = l.kernel_size;
            p.padding = l.same_padding ? l.kernel_size / 2 : 0;
            p.relu = l.activation == Activation::relu;
            p.kernel = l.weights[0];
            if (l.use_bias)
                p.bias = l.weights[1];
            else if (l.kind == LayerKind::dense)  // the runtime's dense layers always add a bias
                p.bias.assign(size_t(l.units), 0.0f);
            plan.layers.push_back(std::move(p));
            weighted = int(plan.layers.size()) - 1;
            break;
        }
        case LayerKind::batch_norm:
            if (!follows_weighted || plan.layers.back().relu)
                throw Error(where, "layer '" + l.name +
                                       "': a BatchNormalization runs folded into the Conv2D or Dense right before it, "
                                       "and this one follows none");
            fold_batch_norm(plan.layers.back(), l);
            break;
        case LayerKind::relu:
            if (weighted < 0)
                throw Error(where, "layer '" + l.name + "': a ReLU runs fused into a Conv2D or Dense before it, and none is");
            plan.layers[size_t(weighted)].relu = true;
            break;
        case LayerKind::max_pool:
            plan.layers.emplace_back();
            plan.layers.back().kind = PlanLayer::Kind::max_pool;
            plan.layers.back().name = l.name;
            plan.layers.back().in = in;
            plan.layers.back().out = out;
            break;
        case LayerKind::dropout:
        case LayerKind::flatten: break;
        }
        in = out;
    }
    plan.outputs = model.outputs();
    plan.sigmoid = model.layers.back().activation == Activation::sigmoid;
    return plan;
}

}  // namespace hp
