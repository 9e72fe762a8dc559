#include "train/network.hpp"

#include <algorithm>
#include <stdexcept>

#include "train/layers.hpp"

namespace hp::train {

Network::Network(const ModelShape& s, int max_batch) : shape_(s), max_batch_(max_batch)
{
    size_t B = size_t(max_batch);
    size_t conv = B * s.conv_height() * s.conv_width() * s.conv_filters, flat = B * s.flat_size();
    patches_.resize(B * s.conv_height() * s.conv_width() * 9 * s.channels);
    kernel_t_.resize(std::max(size_t(s.flat_size()) * s.dense_units, size_t(s.dense_units) * s.outputs()));
    conv_.resize(conv);
    dconv_.resize(conv);
    pool_.resize(flat);
    dpool_.resize(flat);
    argmax_.resize(flat);
    drop_.resize(flat);
    ddrop_.resize(flat);
    mask_.resize(flat);
    hidden_.resize(B * s.dense_units);
    dhidden_.resize(B * s.dense_units);
    logits_.resize(B * s.outputs());
    probs_.resize(B * s.outputs());
    dlogits_.resize(B * s.outputs());
}

double Network::forward_backward(const ModelWeights& w, const float* x, const int* labels, int B, float dropout_rate,
                                 Rng& rng, ModelWeights& g, int& correct)
{
    if (B < 1 || B > max_batch_) throw std::invalid_argument("Network: batch size out of range");
    const ModelShape& s = shape_;
    const int H = s.height, W = s.width, C = s.channels, F = s.conv_filters, U = s.dense_units, O = s.outputs();
    const int CH = s.conv_height(), CW = s.conv_width(), FLAT = s.flat_size();
    const size_t n_conv = size_t(B) * CH * CW * F, n_flat = size_t(B) * FLAT, n_hidden = size_t(B) * U;

    // forward
    conv2d_forward(conv_.data(), patches_.data(), x, w.conv_kernel.data(), w.conv_bias.data(), B, H, W, C, F);
    relu_forward(conv_.data(), conv_.data(), n_conv);
    maxpool_forward(pool_.data(), argmax_.data(), conv_.data(), B, CH, CW, F);
    const float* flat = pool_.data();
    if (dropout_rate > 0) {
        dropout_forward(drop_.data(), mask_.data(), pool_.data(), n_flat, dropout_rate, rng);
        flat = drop_.data();
    }
    dense_forward(hidden_.data(), flat, w.dense1_kernel.data(), w.dense1_bias.data(), B, FLAT, U);
    relu_forward(hidden_.data(), hidden_.data(), n_hidden);
    dense_forward(logits_.data(), hidden_.data(), w.dense2_kernel.data(), w.dense2_bias.data(), B, U, O);
    double loss;
    const float scale = 1.0f / float(B);
    if (O == 1) {
        loss = sigmoid_bce_forward(probs_.data(), logits_.data(), labels, B);
        sigmoid_bce_backward(dlogits_.data(), probs_.data(), labels, B, scale);
    } else {
        loss = softmax_crossentropy_forward(probs_.data(), logits_.data(), labels, B, O);
        softmax_crossentropy_backward(dlogits_.data(), probs_.data(), labels, B, O, scale);
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

    // backward
    dense_backward(dhidden_.data(), g.dense2_kernel.data(), g.dense2_bias.data(), dlogits_.data(), hidden_.data(),
                   w.dense2_kernel.data(), kernel_t_.data(), B, U, O);
    relu_backward(dhidden_.data(), dhidden_.data(), hidden_.data(), n_hidden);
    float* dflat = dropout_rate > 0 ? ddrop_.data() : dpool_.data();
    dense_backward(dflat, g.dense1_kernel.data(), g.dense1_bias.data(), dhidden_.data(), flat, w.dense1_kernel.data(),
                   kernel_t_.data(), B, FLAT, U);
    if (dropout_rate > 0) dropout_backward(dpool_.data(), ddrop_.data(), mask_.data(), n_flat);
    maxpool_backward(dconv_.data(), dpool_.data(), argmax_.data(), B, CH, CW, F);
    relu_backward(dconv_.data(), dconv_.data(), conv_.data(), n_conv);
    conv2d_backward(nullptr, g.conv_kernel.data(), g.conv_bias.data(), dconv_.data(), patches_.data(), w.conv_kernel.data(), B,
                    H, W, C, F);
    return loss;
}

}  // namespace hp::train
