#include "train/network.hpp"

#include <algorithm>
#include <stdexcept>

#include "core/error.hpp"
#include "train/layers.hpp"

namespace hp::train {

namespace {

bool identity_in_training(const Layer& l)
{
    return l.kind == LayerKind::flatten || (l.kind == LayerKind::dropout && l.rate == 0.0f);
}

Padding padding_of(const Layer& l) { return l.same_padding ? Padding::same : Padding::valid; }

}  // namespace

Network::Network(const Model& model, int max_batch)
    : input_(model.input), shapes_(model.output_shapes()), outputs_(model.outputs()), max_batch_(max_batch)
{
    const size_t Bp = size_t(padded_batch(max_batch)), B = size_t(max_batch);
    x_.resize(Bp * input_.size());
    dx_.resize(Bp * input_.size());
    size_t widest = size_t(outputs_);
    slots_.resize(model.layers.size());
    bool flat = false;
    for (size_t i = 0; i < model.layers.size(); i++) {
        const Layer& l = model.layers[i];
        feature_map_.push_back(!flat);
        flat = flat || l.kind == LayerKind::flatten || l.kind == LayerKind::dense;
        Slot& s = slots_[i];
        Slot* before = i ? &slots_[i - 1] : nullptr;
        if (identity_in_training(l)) {
            s.y = before ? before->y : x_.data();
            s.dy = before ? before->dy : dx_.data();
            continue;
        }
        const size_t n = Bp * shapes_[i].size();
        s.out.resize(n);
        s.dout.resize(n);
        if (l.kind == LayerKind::dropout) s.mask.resize(n);
        if (l.kind == LayerKind::batch_norm) s.saved.resize(2 * size_t(shapes_[i].channels));  // mean, 1/std
        s.y = s.out.data();
        s.dy = s.dout.data();
        if (l.kind == LayerKind::dense) widest = std::max(widest, size_t(l.units));
        if ((l.kind == LayerKind::dense || l.kind == LayerKind::conv2d) && !l.use_bias) {
            zero_bias_.resize(std::max(zero_bias_.size(), size_t(l.units)), 0.0f);
            dbias_unused_.resize(zero_bias_.size());
        }
    }
    logit_rows_.resize(B * outputs_);
    probs_.resize(B * outputs_);
    dlogit_rows_.resize(B * outputs_);
    dout_rows_.resize(B * widest);
}

double Network::forward_backward(Model& model, const float* x, const int* labels, int B, Rng& rng, Tensors& grads,
                                 int& correct)
{
    if (B < 1 || B > max_batch_) throw std::invalid_argument("Network: batch size out of range");
    if (model.layers.size() != slots_.size()) throw std::invalid_argument("Network: another model's layers");
    const int Bp = padded_batch(B);
    const size_t L = model.layers.size();

    // forward, frames interleaved in lanes
    interleave_lanes(x_.data(), x, B, Bp, int(input_.size()));
    for (size_t i = 0; i < L; i++) {
        const Layer& l = model.layers[i];
        Slot& s = slots_[i];
        const TensorShape in = i ? shapes_[i - 1] : input_, out = shapes_[i];
        const float* a = i ? slots_[i - 1].y : x_.data();
        const size_t n = size_t(Bp) * out.size();
        switch (l.kind) {
        case LayerKind::conv2d: {
            const float* bias = l.use_bias ? l.weights[1].data() : zero_bias_.data();
            if (l.kernel_size == 3 && !l.same_padding && l.use_bias)  // the fast path of ST's model
                conv2d_forward(s.y, a, l.weights[0].data(), bias, Bp, in.height, in.width, in.channels, l.units);
            else
                conv2d_forward_general(s.y, a, l.weights[0].data(), l.use_bias ? bias : nullptr, Bp, in.height,
                                       in.width, in.channels, l.units, l.kernel_size, padding_of(l));
            if (l.activation == Activation::relu) relu_forward(s.y, s.y, n);
            break;
        }
        case LayerKind::dense: {
            const float* bias = l.use_bias ? l.weights[1].data() : zero_bias_.data();
            dense_forward(s.y, a, l.weights[0].data(), bias, Bp, int(in.size()), l.units);
            if (l.activation == Activation::relu) relu_forward(s.y, s.y, n);
            break;
        }
        case LayerKind::batch_norm: {
            Layer& bn = model.layers[i];
            BatchNormConfig config;
            config.momentum = l.momentum;
            config.epsilon = l.epsilon;
            config.unbiased_moving_variance = feature_map_[i];
            batchnorm_forward_train(s.y, s.saved.data(), s.saved.data() + in.channels, bn.weights[2].data(),
                                    bn.weights[3].data(), a, l.weights[0].data(), l.weights[1].data(), B, Bp,
                                    in.height * in.width, in.channels, config);
            break;
        }
        case LayerKind::relu: relu_forward(s.y, a, n); break;
        case LayerKind::max_pool: maxpool_forward(s.y, a, Bp, in.height, in.width, in.channels); break;
        case LayerKind::dropout:
            if (l.rate > 0) dropout_forward(s.y, s.mask.data(), a, n, l.rate, rng);
            break;
        case LayerKind::flatten: break;
        }
    }

    // the loss frame by frame
    const int O = outputs_;
    deinterleave_lanes(logit_rows_.data(), slots_[L - 1].y, B, Bp, O);
    double loss;
    const float scale = 1.0f / float(B);
    if (O == 1) {
        loss = sigmoid_bce_forward(probs_.data(), logit_rows_.data(), labels, B);
        sigmoid_bce_backward(dlogit_rows_.data(), probs_.data(), labels, B, scale);
    } else {
        loss = softmax_crossentropy_forward(probs_.data(), logit_rows_.data(), labels, B, O);
        softmax_crossentropy_backward(dlogit_rows_.data(), probs_.data(), labels, B, O, scale);
    }
    correct = 0;
    for (int b = 0; b < B; b++) {
        const float* p = probs_.data() + size_t(b) * O;
        int best = 0;
        if (O == 1)
            best = p[0] > 0.5f;
        else
            for (int j = 1; j < O; j++) best = p[j] > p[best] ? j : best;
        correct += best == labels[b];
    }
    interleave_lanes(slots_[L - 1].dy, dlogit_rows_.data(), B, Bp, O);  // padding lanes get zero gradients

    // backward; the first weighted layer needs no input gradient
    size_t first_weighted = 0;
    while (first_weighted < L && model.layers[first_weighted].weights.empty()) first_weighted++;
    size_t g = grads.size();
    for (size_t i = L; i-- > 0;) {
        const Layer& l = model.layers[i];
        Slot& s = slots_[i];
        const TensorShape in = i ? shapes_[i - 1] : input_, out = shapes_[i];
        const float* a = i ? slots_[i - 1].y : x_.data();
        float* da = i > first_weighted ? slots_[i - 1].dy : nullptr;
        const size_t n = size_t(Bp) * out.size();
        switch (l.kind) {
        case LayerKind::conv2d: {
            if (l.activation == Activation::relu) relu_backward(s.dy, s.dy, s.y, n);
            g -= l.use_bias ? 2 : 1;
            float* dbias = l.use_bias ? grads[g + 1].data() : dbias_unused_.data();
            if (l.kernel_size == 3 && !l.same_padding && l.use_bias)
                conv2d_backward(da, grads[g].data(), dbias, s.dy, a, l.weights[0].data(), Bp, in.height, in.width,
                                in.channels, l.units);
            else
                conv2d_backward_general(da, grads[g].data(), l.use_bias ? dbias : nullptr, s.dy, a, l.weights[0].data(),
                                        Bp, in.height, in.width, in.channels, l.units, l.kernel_size, padding_of(l));
            break;
        }
        case LayerKind::dense: {
            if (l.activation == Activation::relu) relu_backward(s.dy, s.dy, s.y, n);
            g -= l.use_bias ? 2 : 1;
            float* dbias = l.use_bias ? grads[g + 1].data() : dbias_unused_.data();
            dense_backward(da, grads[g].data(), dbias, s.dy, a, l.weights[0].data(), dout_rows_.data(), B, Bp,
                           int(in.size()), l.units);
            break;
        }
        case LayerKind::batch_norm:
            g -= 2;
            // its input gradient is computed either way: written to a spare buffer when unused
            batchnorm_backward(i ? slots_[i - 1].dy : dx_.data(), grads[g].data(), grads[g + 1].data(), s.dy, a,
                               l.weights[0].data(), s.saved.data(), s.saved.data() + in.channels, B, Bp,
                               in.height * in.width, in.channels);
            break;
        case LayerKind::relu:
            if (da) relu_backward(da, s.dy, s.y, n);
            break;
        case LayerKind::max_pool:
            if (da) maxpool_backward(da, s.dy, a, s.y, Bp, in.height, in.width, in.channels);
            break;
        case LayerKind::dropout:
            if (da && l.rate > 0) dropout_backward(da, s.dy, s.mask.data(), n);
            break;
        case LayerKind::flatten: break;
        }
    }
    return loss;
}

}  // namespace hp::train
