// The int8 model of any layer list: a model's inference plan (batch normalization folded, ReLU
// fused) quantized post-training and run through the general int8 runtime (runtime/hp_net_s8.h).
// CNN2D_ST_HandPosture keeps its own specialised scheme (quant_model.hpp); quantize_any_model
// picks the one that fits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "hp_net_s8.h"
#include "model/inference_plan.hpp"
#include "quant/quant_model.hpp"

namespace hp {

// One plan layer quantized (the scheme: runtime/hp_net_s8.h). Convolutions and dense layers:
// int8 weights symmetric per output channel, int32 biases of scale input_scale * weight_scale[o];
// all but the last requantize to an int8 output (output_scale, output_zero_point; -128 after a
// ReLU) with SMMULR multipliers. Max pooling: shapes only (its output is quantized as its input).
struct QuantNetLayer {
    PlanLayer::Kind kind = PlanLayer::Kind::dense;
    std::string name;
    TensorShape in, out;
    int kernel_size = 0, padding = 0;        // conv2d
    bool relu = false;                       // conv2d, dense
    float output_scale = 1.0f;               // requantized layers
    int32_t output_zero_point = 0;
    std::vector<float> weight_scales;        // [out channels]
    std::vector<int8_t> kernel;              // [out channels][taps]: conv taps in Keras order (ky, kx, c)
    std::vector<int32_t> bias;               // [out channels]
    std::vector<int32_t> multiplier;         // [out channels]; empty for the last layer
    // The runtime's layouts (derived, see QuantNet::set_derived).
    std::vector<int8_t> kernel_runtime;      // dense: dense layout [round4(out)][round4(taps)]
    std::vector<int16_t> conv_kernel_runtime;  // conv: the kernel widened to int16, convolution layout
    std::vector<int32_t> bias_runtime, multiplier_runtime;  // padded with 0 to round4(out)
    bool operator==(const QuantNetLayer&) const = default;

    int channels_out() const { return out.channels; }
    size_t taps() const;  // conv k * k * C, dense inputs, pool 0
    bool has_weights() const { return kind != PlanLayer::Kind::max_pool; }
};

struct QuantNet {
    TensorShape input;
    std::vector<std::string> class_names;  // output order; may be empty
    float input_scale = 1.0f;              // input q = trunc(x / input_scale) clamped to +-input_limit
    int32_t input_limit = 32767;
    std::vector<QuantNetLayer> layers;     // the last is a dense layer (int32 logits)
    bool sigmoid = false;                  // one sigmoid output (2 classes); else softmax
    std::vector<float> output_scales;      // [outputs] derived: the last layer's input scale * weight scale
    CalibrationMethod method = CalibrationMethod::minmax;
    uint32_t calibration_frames = 0;
    int distance_mode = HP_DISTANCE_ABSOLUTE;
    bool operator==(const QuantNet&) const = default;

    int outputs() const { return layers.empty() ? 0 : layers.back().out.channels; }
    int classes() const { return outputs() == 1 ? 2 : outputs(); }

    // Throws hp::Error naming `where` and the layer at fault: the chain of shapes, sizes, finite
    // positive scales, zero points (-128 after a ReLU), weights in [-127, 127], multipliers
    // matching the scales, accumulators that cannot overflow int32 for any input in range.
    void validate(const std::string& where) const;
    // output_scales and the runtime layouts.
    void set_derived();
    long parameter_count() const;
    long mac_count() const;
    size_t weight_bytes() const;  // runtime kernels (conv int16) + int32 biases and multipliers + output scales
    // The float model this network came from, with zero weights (its layers, shapes and class
    // names: what commands that describe a model need).
    Model float_outline() const;
};

// The runtime's description of a QuantNet: pointers into it, valid while it lives unchanged.
class QuantNetView {
public:
    explicit QuantNetView(const QuantNet& net);
    QuantNetView(const QuantNetView&) = delete;
    QuantNetView& operator=(const QuantNetView&) = delete;
    const hp_net_s8* get() const { return &net_; }
    const std::vector<hp_layer_s8>& layers() const { return layers_; }

private:
    std::vector<hp_layer_s8> layers_;
    hp_net_s8 net_{};
};

// Quantizes any valid model's inference plan, calibrating activation ranges on `count`
// normalized frames (H*W*C floats each) run through the float plan (minmax or percentile, as
// quantize_model). Throws hp::Error if count is 0 or the network cannot be held in int32.
QuantNet quantize_net(const Model& model, const float* frames, size_t count, CalibrationMethod method);

// Either kind of int8 model.
using AnyQuant = std::variant<QuantModel, QuantNet>;

// CNN2D_ST_HandPosture (as_cnn2d_st) -> quantize_model, its specialised scheme; any other layer
// list -> quantize_net.
AnyQuant quantize_any_model(const Model& model, const float* frames, size_t count, CalibrationMethod method);

// Scores [count][outputs] through the int8 runtime, on threads (0: all cores).
std::vector<float> predict_scores(const QuantNet& net, const float* inputs, size_t count, int threads = 0);
// int32 logits [count][outputs]: what host and microcontroller must agree on.
std::vector<int32_t> predict_logits(const QuantNet& net, const float* inputs, size_t count, int threads = 0);

}  // namespace hp
