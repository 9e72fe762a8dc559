// The int8 model: CNN2D_ST_HandPosture quantized post-training (TFLite's integer scheme, see
// runtime/hp_kernels_s8.h), calibrated on frames, and run through the C99 int8 runtime.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hp_model_s8.h"
#include "model/cnn2d_st.hpp"

namespace hp {

// One weight layer (the scheme: runtime/hp_kernels_s8.h). conv: int16 kernel with one scale for
// the layer (weight_scales holds it F times), output requantized by >> 16; dense: int8 kernel
// symmetric per output channel, output requantized by SMMULR with multiplier[c]. Both clamp to an
// int8 ReLU output, zero point -128. The last layer keeps int32 outputs: its output scale and zero
// point are unused (1, 0) and it has no multipliers.
struct QuantLayer {
    float output_scale = 1.0f;             // of this layer's int8 output
    int32_t output_zero_point = 0;
    std::vector<float> weight_scales;      // [out]
    std::vector<int16_t> kernel;           // output channel first: conv [F][3][3][C], dense [out][in]
    std::vector<int32_t> bias;             // [out], scale input_scale * weight_scales[o]
    std::vector<int32_t> multiplier;       // dense1 [out]: round(2^32 input_scale * weight_scale / output_scale)
    bool operator==(const QuantLayer&) const = default;
};

enum class CalibrationMethod { minmax = 0, percentile = 1 };

struct QuantModel {
    ModelShape shape;
    std::vector<std::string> class_names;  // output order; may be empty
    float input_scale = 1.0f;  // input q = trunc(x / input_scale) in [-2048, 2047], zero point 0
    QuantLayer conv;    // kernel [F][3][3][C]; output = conv and pool output
    QuantLayer dense1;  // kernel [U][flat]
    QuantLayer dense2;  // kernel [O][U]; int32 output = logits
    std::vector<float> output_scales;  // [O] float scale of the int32 logits (derived, see set_derived)
    // The kernels in the runtime's layouts (hp_kernels_s8.h; derived, see set_derived).
    std::vector<int32_t> conv_weights_runtime;  // taps and biases (+ 2^15, the rounding of >> 16)
    // dense biases and multipliers padded with 0 to a multiple of 4 rows (the kernels' blocks)
    std::vector<int32_t> dense1_bias_runtime, dense1_multiplier_runtime, dense2_bias_runtime;
    std::vector<int8_t> dense1_kernel_runtime, dense2_kernel_runtime;
    CalibrationMethod method = CalibrationMethod::minmax;  // how it was calibrated (informative)
    uint32_t calibration_frames = 0;
    int distance_mode = HP_DISTANCE_ABSOLUTE;  // of the float model's preprocessing (Model::distance_mode)
    bool operator==(const QuantModel&) const = default;

    // Throws hp::Error naming `where` and the field at fault: sizes, finite positive scales,
    // zero points, weights in range, the conv scale relation, multipliers matching the scales,
    // accumulators that cannot overflow.
    void validate(const std::string& where) const;

    // output_scales[o] = dense1.output_scale * dense2.weight_scales[o], and the runtime kernels.
    void set_derived();

    long parameter_count() const;
    size_t weight_bytes() const;  // runtime kernels (conv int16, dense int8 padded) + int32 biases, multipliers + output scales

    // A runtime view (pointers into this model; valid while *this lives unchanged).
    hp_model_s8 runtime_view() const;
};

// A conv kernel [filters][3][3][channels] and its biases in the runtime's layout (blocks of two
// filters, one word per tap holding both channels, the biases plus 2^15 among them:
// hp_kernels_s8.h).
std::vector<int32_t> conv_weights_runtime_layout(const std::vector<int16_t>& kernel, const std::vector<int32_t>& bias,
                                                 int filters, int channels);

// A dense kernel [outputs][inputs] (int8 values) in the runtime's layout: rows and inputs padded
// to multiples of 4 with zeros, blocks of 4 rows x 4 inputs, each row's four stored as w0 w2 w1 w3.
std::vector<int8_t> dense_kernel_runtime_layout(const std::vector<int16_t>& kernel, int outputs, int inputs);

// The conv layer's one weight scale: output_scale * 2^-16 / input_scale (requantization >> 16).
float conv_weight_scale(float input_scale, float output_scale);

// A dense layer's SMMULR multiplier round(2^32 input_scale * weight_scale / output_scale), or -1
// when it is not below 2^31.
int32_t dense_multiplier(double input_scale, double weight_scale, double output_scale);

// "minmax" or "percentile"; throws hp::Error otherwise.
CalibrationMethod parse_calibration_method(const std::string& name);
const char* calibration_method_name(CalibrationMethod method);

// Quantizes `model`, calibrating activation ranges on `count` normalized frames (H*W*C floats
// each, back to back) run through the float network. minmax: the whole observed range;
// percentile: the 0.01 % and 99.99 % quantiles, clipping rare outliers. Throws hp::Error if
// count is 0.
QuantModel quantize_model(const Model& model, const float* frames, size_t count, CalibrationMethod method);

// The range an activation tensor's quantization must cover (minmax: all of `values`;
// percentile: the 0.01 % and 99.99 % quantiles; reorders `values`), always including 0 (so that
// 0, ReLU's floor and padding, is exact).
struct Range {
    float lo, hi;
};
Range observed_range(std::vector<float>& values, CalibrationMethod method);

// Asymmetric int8 parameters for [lo, hi] (TFLite's ChooseQuantizationParams, zero point nudged
// to an integer so real 0 is exact).
void activation_params(Range r, float* scale, int32_t* zero_point);

// Indices of at most `n` frames out of `count`, evenly spread (all of them if n is 0 or >= count).
std::vector<size_t> calibration_subset(size_t count, size_t n);

// Scores of `count` frames (as predict_scores for a float Model), through the int8 runtime, on
// threads (0: all cores). Returns [count][outputs] probabilities.
std::vector<float> predict_scores(const QuantModel& model, const float* inputs, size_t count, int threads = 0);

// int32 logits [count][outputs] of `count` frames: what host and microcontroller must agree on.
std::vector<int32_t> predict_logits(const QuantModel& model, const float* inputs, size_t count, int threads = 0);

}  // namespace hp
