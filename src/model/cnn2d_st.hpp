// ST's CNN2D_ST_HandPosture family as a layer list: Conv2D F@3x3 valid + ReLU, MaxPooling2D 2x2,
// Dropout, Flatten, Dense U + ReLU, Dense P softmax (or 1 sigmoid). The layer list (model.hpp) is
// the model; this names the family's sizes, builds its list, and recognizes it in any list so
// the fast paths written for it (the fused C kernels, the int8 scheme, the lane-parallel batch)
// are taken whenever a model is one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/model.hpp"

namespace hp {

struct ModelShape {
    int height = 8, width = 8, channels = 2;
    int conv_filters = 8;
    int dense_units = 32;
    int classes = 8;  // P; a 2-class model has one sigmoid output

    int outputs() const { return classes == 2 ? 1 : classes; }
    int conv_height() const { return height - 2; }
    int conv_width() const { return width - 2; }
    int pool_height() const { return conv_height() / 2; }
    int pool_width() const { return conv_width() / 2; }
    int flat_size() const { return pool_height() * pool_width() * conv_filters; }
    bool operator==(const ModelShape&) const = default;
};

// The family's layer list with zero weights, named as Keras 2.8 names a fresh model's layers
// (conv2d, max_pooling2d, dropout, flatten, dense, dense_1).
Model cnn2d_st_model(const ModelShape& shape, std::vector<std::string> class_names, float dropout = 0.2f);

// A model of the family seen through its sizes, with its three weighted layers. Dropout and
// separate ReLU/linear layers do not change what it computes, so any such list is one.
struct Cnn2dSt {
    ModelShape shape;
    const Layer* conv = nullptr;    // kernel [3][3][C][F], bias [F]
    const Layer* dense = nullptr;   // kernel [flat][U], bias [U]
    const Layer* output = nullptr;  // kernel [U][O], bias [O]
};

// `model` as the family, or nothing when its layers are anything else (the model is valid).
std::optional<Cnn2dSt> as_cnn2d_st(const Model& model);

}  // namespace hp
