// One training step's worth of CNN2D_ST_HandPosture: forward and backward passes over a batch,
// with every activation buffer allocated once for the largest batch.
#pragma once

#include <vector>

#include "model/model.hpp"
#include "train/init.hpp"

namespace hp::train {

class Network {
public:
    Network(const ModelShape& shape, int max_batch);

    // Forward pass of `batch` frames x [batch][H][W][C] with labels [batch] (output indices), then
    // gradients of the mean loss into `grads` (shaped like `weights`). Dropout is applied with
    // `dropout_rate` (0: none) drawn from rng. Returns the summed loss; `correct` gets the number
    // of frames whose argmax matches the label.
    double forward_backward(const ModelWeights& weights, const float* x, const int* labels, int batch, float dropout_rate,
                            Rng& rng, ModelWeights& grads, int& correct);

    const ModelShape& shape() const { return shape_; }
    const float* probabilities() const { return probs_.data(); }  // [batch][outputs] of the last pass

private:
    ModelShape shape_;
    int max_batch_;
    // activations [..][padded batch] (see layers.hpp), the loss's [batch][outputs] rows
    std::vector<float> x_, conv_, pool_, drop_, mask_, hidden_, logits_;
    std::vector<float> dlogits_, dhidden_, ddrop_, dpool_, dconv_;
    std::vector<float> logit_rows_, probs_, dlogit_rows_, dout_rows_;
};

}  // namespace hp::train
