// Deploy packages for an int8 model: the float package's application code (hp_app.*, ST's
// ai_model_config.h, same API: hp_run takes float input and returns float scores) around the
// int8 network and the int8 runtime sources; plus test vectors for the bit-exact emulator check.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "codegen/package.hpp"
#include "quant/quant_model.hpp"
#include "quant/quant_net.hpp"

namespace hp::codegen {

// The int8 network's part of the application code and README: hp_run quantizes the float tensor
// and runs the integer network; hp_run_logits gives its int32 logits. The scratch shares its
// memory with the float tensor hp_process_frame preprocesses into (quantized in place).
AppNetwork int8_app_network(const QuantModel& model);

// The package's files (name -> contents); options.class_names must be resolved. Besides the
// float package's API, hp_app.h declares hp_run_logits (int32 logits, for bit-exact checks).
std::map<std::string, std::string> quant_package_files(const QuantModel& model, const DeployOptions& options);

// hp_s8_vectors.h/.c for firmware/harness_s8.c: `tensors` (count x H*W*C floats) with the host
// runtime's int32 logits of each.
std::map<std::string, std::string> quant_test_vector_files(const QuantModel& model, const std::vector<float>& tensors,
                                                           size_t count);

// The same for the general int8 network of any layer list (runtime/hp_net_s8.h): its layers as
// an hp_layer_s8 list with designated initializers, the general kernels, hp_run and
// hp_run_logits with the same API.
AppNetwork int8_app_network(const QuantNet& net);
std::map<std::string, std::string> quant_package_files(const QuantNet& net, const DeployOptions& options);
std::map<std::string, std::string> quant_test_vector_files(const QuantNet& net, const std::vector<float>& tensors,
                                                           size_t count);

// The runtime files of the general int8 network (hp_net_s8.c and the kernels it calls).
std::vector<std::string> general_net_s8_runtime_files();

}  // namespace hp::codegen
