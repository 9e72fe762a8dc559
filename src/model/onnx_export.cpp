#include "model/onnx_export.hpp"

#include <onnx/onnx_pb.h>

#include <initializer_list>
#include <string_view>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace hp {

// IR version 8 is what ONNX 1.12 (Debian's libonnx) writes; ONNX Runtime reads it.
static constexpr int64_t kIrVersion = 8;
static constexpr int64_t kOpset = 13;

static void add_float_initializer(onnx::GraphProto& graph, const std::string& name,
                                  std::initializer_list<int64_t> dims, const std::vector<float>& values)
{
    onnx::TensorProto* t = graph.add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    t->mutable_float_data()->Assign(values.begin(), values.end());
}

static void add_int64_attribute(onnx::NodeProto& node, const std::string& name, std::initializer_list<int64_t> values)
{
    onnx::AttributeProto* a = node.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t v : values) a->add_ints(v);
}

static void add_int_attribute(onnx::NodeProto& node, const std::string& name, int64_t value)
{
    onnx::AttributeProto* a = node.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(value);
}

static onnx::NodeProto& add_node(onnx::GraphProto& graph, const std::string& op, const std::string& name,
                                 std::initializer_list<std::string_view> inputs, const std::string& output)
{
    onnx::NodeProto* n = graph.add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (std::string_view in : inputs) n->add_input(std::string(in));
    n->add_output(output);
    return *n;
}

// A float32 value_info with a dynamic batch dimension "N" first.
static void set_batched_float_type(onnx::ValueInfoProto& info, const std::string& name,
                                   std::initializer_list<int64_t> dims)
{
    info.set_name(name);
    onnx::TypeProto_Tensor* tensor = info.mutable_type()->mutable_tensor_type();
    tensor->set_elem_type(onnx::TensorProto::FLOAT);
    onnx::TensorShapeProto* shape = tensor->mutable_shape();
    shape->add_dim()->set_dim_param("N");
    for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
}

std::string onnx_model_bytes(const Model& model)
{
    model.validate("model");
    const ModelShape& s = model.shape;
    const ModelWeights& w = model.weights;
    const int outputs = s.outputs();

    // Keras conv kernel [kh][kw][C][F] -> ONNX [F][C][kh][kw].
    std::vector<float> conv_weight(w.conv_kernel.size());
    for (int f = 0; f < s.conv_filters; f++)
        for (int c = 0; c < s.channels; c++)
            for (int y = 0; y < 3; y++)
                for (int x = 0; x < 3; x++)
                    conv_weight[size_t(((f * s.channels + c) * 3 + y) * 3 + x)] =
                        w.conv_kernel[size_t(((y * 3 + x) * s.channels + c) * s.conv_filters + f)];

    onnx::ModelProto proto;
    proto.set_ir_version(kIrVersion);
    proto.set_producer_name("handposture");
    proto.set_producer_version("0.1.0");
    proto.set_domain("handposture");
    proto.set_model_version(1);
    onnx::OperatorSetIdProto* opset = proto.add_opset_import();
    opset->set_domain("");
    opset->set_version(kOpset);

    std::string names;
    for (size_t i = 0; i < model.class_names.size(); i++) names += (i ? "," : "") + model.class_names[i];
    std::string doc = "CNN2D_ST_HandPosture: input [N, " + std::to_string(s.height) + ", " + std::to_string(s.width) +
                      ", " + std::to_string(s.channels) + "] normalized ToF frames (NHWC), output [N, " +
                      std::to_string(outputs) + "] " + (outputs == 1 ? "sigmoid score of class 1" : "class probabilities");
    if (!names.empty()) doc += "; classes in output order: " + names;
    proto.set_doc_string(doc);
    if (!names.empty()) {
        onnx::StringStringEntryProto* entry = proto.add_metadata_props();
        entry->set_key("class_names");
        entry->set_value(names);
    }

    onnx::GraphProto& g = *proto.mutable_graph();
    g.set_name("cnn2d_st_handposture");
    set_batched_float_type(*g.add_input(), "input", {s.height, s.width, s.channels});
    set_batched_float_type(*g.add_output(), "probabilities", {outputs});

    add_float_initializer(g, "conv_weight", {s.conv_filters, s.channels, 3, 3}, conv_weight);
    add_float_initializer(g, "conv_bias", {s.conv_filters}, w.conv_bias);
    add_float_initializer(g, "dense_weight", {s.flat_size(), s.dense_units}, w.dense1_kernel);
    add_float_initializer(g, "dense_bias", {s.dense_units}, w.dense1_bias);
    add_float_initializer(g, "output_weight", {s.dense_units, outputs}, w.dense2_kernel);
    add_float_initializer(g, "output_bias", {outputs}, w.dense2_bias);

    add_int64_attribute(add_node(g, "Transpose", "to_nchw", {"input"}, "input_nchw"), "perm", {0, 3, 1, 2});
    onnx::NodeProto& conv = add_node(g, "Conv", "conv", {"input_nchw", "conv_weight", "conv_bias"}, "conv_out");
    add_int64_attribute(conv, "kernel_shape", {3, 3});
    add_int64_attribute(conv, "strides", {1, 1});
    add_int64_attribute(conv, "pads", {0, 0, 0, 0});
    add_node(g, "Relu", "conv_relu", {"conv_out"}, "conv_relu_out");
    onnx::NodeProto& pool = add_node(g, "MaxPool", "pool", {"conv_relu_out"}, "pool_out");
    add_int64_attribute(pool, "kernel_shape", {2, 2});
    add_int64_attribute(pool, "strides", {2, 2});
    // Keras flattens channels-last (row, col, channel), so go back to NHWC before Flatten.
    add_int64_attribute(add_node(g, "Transpose", "to_nhwc", {"pool_out"}, "pool_nhwc"), "perm", {0, 2, 3, 1});
    add_int_attribute(add_node(g, "Flatten", "flatten", {"pool_nhwc"}, "flat"), "axis", 1);
    add_node(g, "Gemm", "dense", {"flat", "dense_weight", "dense_bias"}, "dense_out");
    add_node(g, "Relu", "dense_relu", {"dense_out"}, "dense_relu_out");
    add_node(g, "Gemm", "output", {"dense_relu_out", "output_weight", "output_bias"}, "logits");
    if (outputs == 1)
        add_node(g, "Sigmoid", "sigmoid", {"logits"}, "probabilities");
    else
        add_int_attribute(add_node(g, "Softmax", "softmax", {"logits"}, "probabilities"), "axis", 1);

    std::string bytes;
    if (!proto.SerializeToString(&bytes)) throw Error("onnx export", "protobuf serialization failed");
    return bytes;
}

void write_onnx(const std::filesystem::path& path, const Model& model)
{
    const std::string bytes = onnx_model_bytes(model);
    write_file_atomically(path, {reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()});
}

}  // namespace hp
