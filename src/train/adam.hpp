// Adam with Keras 2.x semantics (tf.keras optimizer_v2.Adam, amsgrad off):
//   m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2
//   var -= lr * sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + epsilon)
// The bias correction is folded into the step size, so epsilon is added to sqrt(v), not to
// sqrt(v_hat) as in the Adam paper and PyTorch: with epsilon 1e-7 the two differ early on.
#pragma once

#include <cstddef>
#include <vector>

#include "model/model.hpp"

namespace hp::train {

// Values shaped like a model's trainable tensors (Model::trainable_tensors): gradients, moments.
using Tensors = std::vector<std::vector<float>>;
Tensors zeros_like_trainable(const Model& model);

// One Adam step on n parameters: w [n] updated from grad [n]; m, v [n] moments.
void adam_update(float* w, const float* grad, float* m, float* v, size_t n, float step_size, float beta1, float beta2,
                 float epsilon);

class Adam {
public:
    float learning_rate = 0.01f, beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-7f;

    // Zero moments shaped like `model`'s trainable tensors; the step counter restarts.
    void reset(const Model& model);
    // Applies one step to every trainable tensor of `model` from the matching tensor of `grads`.
    void step(Model& model, const Tensors& grads);
    long steps() const { return t_; }

private:
    Tensors m_, v_;
    long t_ = 0;
};

}  // namespace hp::train
