// The CNN2D_ST_HandPosture family as the C++ side holds it: shape, float32 weights in Keras
// layouts, class names in output order. Inference goes through the C99 runtime (hp_model.h).
#pragma once

#include <array>

#include <string>
#include <vector>

#include "hp_model.h"
#include "hp_preprocess.h"

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

struct ModelWeights {
    std::vector<float> conv_kernel;    // [3][3][C][F]
    std::vector<float> conv_bias;      // [F]
    std::vector<float> dense1_kernel;  // [flat][U]
    std::vector<float> dense1_bias;    // [U]
    std::vector<float> dense2_kernel;  // [U][O]
    std::vector<float> dense2_bias;    // [O]
    bool operator==(const ModelWeights&) const = default;
    // Every tensor, in the order above (for updates that treat all weights alike).
    std::array<std::vector<float>*, 6> tensors()
    {
        return {&conv_kernel, &conv_bias, &dense1_kernel, &dense1_bias, &dense2_kernel, &dense2_bias};
    }
    std::array<const std::vector<float>*, 6> tensors() const
    {
        return {&conv_kernel, &conv_bias, &dense1_kernel, &dense1_bias, &dense2_kernel, &dense2_bias};
    }
};

struct Model {
    ModelShape shape;
    ModelWeights weights;
    std::vector<std::string> class_names;  // output order (sorted by posture code)
    float dropout = 0.2f;                  // training only; kept so a saved model round-trips
    // The preprocessing's distance channel the model was trained on (hp_distance_mode); every
    // caller of the preprocessing takes it from here (preprocess_for).
    int distance_mode = HP_DISTANCE_ABSOLUTE;

    // Allocates zeroed weights of the right sizes for `shape`.
    static Model zeros(const ModelShape& shape, std::vector<std::string> class_names);

    // Throws hp::Error if a weight vector has the wrong size or a weight is not finite.
    void validate(const std::string& where) const;

    long parameter_count() const;
    long mac_count() const;  // multiply-accumulates per frame

    // A runtime view of this model (pointers into weights; valid while *this lives unchanged).
    hp_model_f32 runtime_view() const;
};

// Throws hp::Error naming `where` unless a sensor frame of `zones` zones (4x4 or 8x8; distance and
// signal) is `shape`'s input ("frames are 8x8x2 but the model expects 4x4x2").
void check_frames_fit(const ModelShape& shape, int zones, const std::string& where);

// `base` (the user's distance limits) with the model's distance mode: a model is run only with the
// preprocessing it was trained with.
hp_preprocess_config preprocess_for(const Model& model, hp_preprocess_config base = HP_PREPROCESS_DEFAULTS);

// "absolute" or "relative", as model files and run.json record a distance mode.
std::string distance_mode_name(int mode);
// The hp_distance_mode called `name`; throws hp::Error naming `where` for any other name.
int parse_distance_mode(const std::string& name, const std::string& where);

}  // namespace hp
