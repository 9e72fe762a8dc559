#include "train/adam.hpp"

#include <cmath>

namespace hp::train {

void adam_update(float* __restrict__ w, const float* __restrict__ grad, float* __restrict__ m, float* __restrict__ v,
                 size_t n, float step_size, float beta1, float beta2, float epsilon)
{
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        m[i] = beta1 * m[i] + (1.0f - beta1) * g;
        v[i] = beta2 * v[i] + (1.0f - beta2) * g * g;
        w[i] -= step_size * m[i] / (std::sqrt(v[i]) + epsilon);
    }
}

Tensors zeros_like_trainable(const Model& model)
{
    Tensors t;
    for (const std::vector<float>* w : model.trainable_tensors()) t.emplace_back(w->size(), 0.0f);
    return t;
}

void Adam::reset(const Model& model)
{
    m_ = zeros_like_trainable(model);
    v_ = m_;
    t_ = 0;
}

void Adam::step(Model& model, const Tensors& grads)
{
    t_++;
    double correction = std::sqrt(1.0 - std::pow(double(beta2), double(t_))) / (1.0 - std::pow(double(beta1), double(t_)));
    float step_size = float(learning_rate * correction);
    const std::vector<std::vector<float>*> w = model.trainable_tensors();
    for (size_t k = 0; k < w.size(); k++)
        adam_update(w[k]->data(), grads[k].data(), m_[k].data(), v_[k].data(), w[k]->size(), step_size, beta1, beta2,
                    epsilon);
}

}  // namespace hp::train
