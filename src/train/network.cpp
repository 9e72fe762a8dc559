#include "train/network.hpp"

#include <algorithm>
#include <stdexcept>

#include "train/layers.hpp"

namespace hp::train {

Network::Network(const ModelShape& s, int max_batch) : shape_(s), max_batch_(max_batch)
{
    const size_t Bp = size_t(padded_batch(max_batch)), B = size_t(max_batch);
    const int frame = s.height * s.width * s.channels;
    const size_t conv = Bp * s.conv_height() * s.conv_width() * s.conv_filters, flat = Bp * s.flat_size();
    x_.resize(Bp * frame);
    conv_.resize(conv);
    dconv_.resize(conv);
    pool_.resize(flat);
    dpool_.resize(flat);
    drop_.resize(flat);
    ddrop_.resize(flat);
    mask_.resize(flat);
    hidden_.resize(Bp * s.dense_units);
    dhidden_.resize(Bp * s.dense_units);
    logits_.resize(Bp * s.outputs());
    dlogits_.resize(Bp * s.outputs());
    logit_rows_.resize(B * s.outputs());
    probs_.resize(B * s.outputs());
    dlogit_rows_.resize(B * s.outputs());
    dout_rows_.resize(B * std::max(s.dense_units, s.outputs()));
}

double Network::forward_backward(const ModelWeights& w, const float* x, const int* labels, int B, float dropout_rate,
                                 Rng& rng, ModelWeights& g, int& correct)
{
    if (B < 1 || B > max_batch_) throw std::invalid_argument("Network: batch size out of range");
    const ModelShape& s = shape_;
    const int H = s.height, W = s.width, C = s.channels, F = s.conv_filters, U = s.dense_units, O = s.outputs();
    const int CH = s.conv_height(), CW = s.conv_width(), FLAT = s.flat_size(), Bp = padded_batch(B);
    const size_t n_conv = size_t(Bp) * CH * CW * F, n_flat = size_t(Bp) * FLAT, n_hidden = size_t(Bp) * U;

    // forward, frames interleaved in lanes
    interleave_lanes(x_.data(), x, B, Bp, H * W * C);
    conv2d_forward(conv_.data(), x_.data(), w.conv_kernel.data(), w.conv_bias.data(), Bp, H, W, C, F);
    relu_forward(conv_.data(), conv_.data(), n_conv);
    maxpool_forward(pool_.data(), conv_.data(), Bp, CH, CW, F);
    const float* flat = pool_.data();
    if (dropout_rate > 0) {
        dropout_forward(drop_.data(), mask_.data(), pool_.data(), n_flat, dropout_rate, rng);
        flat = drop_.data();
    }
    dense_forward(hidden_.data(), flat, w.dense1_kernel.data(), w.dense1_bias.data(), Bp, FLAT, U);
    relu_forward(hidden_.data(), hidden_.data(), n_hidden);
    dense_forward(logits_.data(), hidden_.data(), w.dense2_kernel.data(), w.dense2_bias.data(), Bp, U, O);

    // the loss frame by frame
    deinterleave_lanes(logit_rows_.data(), logits_.data(), B, Bp, O);
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
    interleave_lanes(dlogits_.data(), dlogit_rows_.data(), B, Bp, O);  // padding lanes get zero gradients

    // backward
    dense_backward(dhidden_.data(), g.dense2_kernel.data(), g.dense2_bias.data(), dlogits_.data(), hidden_.data(),
                   w.dense2_kernel.data(), dout_rows_.data(), B, Bp, U, O);
    relu_backward(dhidden_.data(), dhidden_.data(), hidden_.data(), n_hidden);
    float* dflat = dropout_rate > 0 ? ddrop_.data() : dpool_.data();
    dense_backward(dflat, g.dense1_kernel.data(), g.dense1_bias.data(), dhidden_.data(), flat, w.dense1_kernel.data(),
                   dout_rows_.data(), B, Bp, FLAT, U);
    if (dropout_rate > 0) dropout_backward(dpool_.data(), ddrop_.data(), mask_.data(), n_flat);
    maxpool_backward(dconv_.data(), dpool_.data(), conv_.data(), pool_.data(), Bp, CH, CW, F);
    relu_backward(dconv_.data(), dconv_.data(), conv_.data(), n_conv);
    conv2d_backward(nullptr, g.conv_kernel.data(), g.conv_bias.data(), dconv_.data(), x_.data(), w.conv_kernel.data(),
                    Bp, H, W, C, F);
    return loss;
}

}  // namespace hp::train
