// One training step of a model's layer list: the forward pass of a batch in training mode and the
// backward pass, layer by layer (layers.hpp), with every activation buffer allocated once for the
// largest batch.
#pragma once

#include <vector>

#include "model/model.hpp"
#include "train/adam.hpp"
#include "train/init.hpp"

namespace hp::train {

class Network {
public:
    // Buffers for `model`'s layers (which must be valid) and batches of up to max_batch frames.
    Network(const Model& model, int max_batch);

    // Forward pass of `batch` frames x [batch][H][W][C] with labels [batch] (output indices), then
    // gradients of the mean loss into `grads` (zeros_like_trainable(model)). Dropout layers drop
    // with their rate, drawing from rng; batch normalization normalizes with the batch's
    // statistics and updates its moving averages in `model`. Returns the summed loss; `correct`
    // gets the number of frames whose argmax matches the label. `model` must have the layers the
    // network was built for.
    double forward_backward(Model& model, const float* x, const int* labels, int batch, Rng& rng, Tensors& grads,
                            int& correct);

    const float* probabilities() const { return probs_.data(); }  // [batch][outputs] of the last pass

private:
    // One layer's buffers, lanes [size][Bp]; identity layers (Flatten, Dropout at rate 0) alias
    // their input's.
    struct Slot {
        std::vector<float> out, dout, mask, saved;
        float* y = nullptr;   // the output
        float* dy = nullptr;  // the loss's gradient with respect to it
    };
    TensorShape input_;
    std::vector<TensorShape> shapes_;
    int outputs_ = 0, max_batch_ = 0;
    std::vector<Slot> slots_;
    // Whether layer i's input is a feature map (no Flatten or Dense before it): Keras' batch
    // normalization then updates its moving variance with the unbiased batch variance (layers.hpp).
    std::vector<bool> feature_map_;
    std::vector<float> x_, dx_, logit_rows_, probs_, dlogit_rows_, dout_rows_, zero_bias_, dbias_unused_;
};

}  // namespace hp::train
