#include "model/onnx_export.hpp"

#include <onnx/onnx_pb.h>

#include <initializer_list>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "model/inference_plan.hpp"

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
                                 const std::vector<std::string>& inputs, const std::string& output)
{
    onnx::NodeProto* n = graph.add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const std::string& in : inputs) n->add_input(in);
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

// The graph of one plan layer, NCHW until the first dense layer; returns the output's name.
static std::string add_plan_layer(onnx::GraphProto& g, const PlanLayer& l, const std::string& in, bool& nchw)
{
    const std::string& n = l.name;
    std::string out = n + "_out";
    if (l.kind == PlanLayer::Kind::max_pool) {
        onnx::NodeProto& pool = add_node(g, "MaxPool", n, {in}, out);
        add_int64_attribute(pool, "kernel_shape", {2, 2});
        add_int64_attribute(pool, "strides", {2, 2});
        return out;
    }
    std::vector<std::string> inputs;
    if (l.kind == PlanLayer::Kind::conv2d) {
        // Keras conv kernel [kh][kw][C][F] -> ONNX [F][C][kh][kw].
        const int k = l.kernel_size, C = l.in.channels, F = l.out.channels;
        std::vector<float> weight(l.kernel.size());
        for (int f = 0; f < F; f++)
            for (int c = 0; c < C; c++)
                for (int y = 0; y < k; y++)
                    for (int x = 0; x < k; x++)
                        weight[size_t(((f * C + c) * k + y) * k + x)] = l.kernel[size_t(((y * k + x) * C + c) * F + f)];
        add_float_initializer(g, n + "_weight", {F, C, k, k}, weight);
        inputs = {in, n + "_weight"};
        if (!l.bias.empty()) {
            add_float_initializer(g, n + "_bias", {F}, l.bias);
            inputs.push_back(n + "_bias");
        }
        onnx::NodeProto& conv = add_node(g, "Conv", n, inputs, out);
        add_int64_attribute(conv, "kernel_shape", {k, k});
        add_int64_attribute(conv, "strides", {1, 1});
        add_int64_attribute(conv, "pads", {l.padding, l.padding, l.padding, l.padding});
    } else {
        std::string flat = in;
        if (nchw) {
            // Keras flattens channels-last (row, col, channel), so go back to NHWC before Flatten.
            add_int64_attribute(add_node(g, "Transpose", n + "_to_nhwc", {in}, n + "_nhwc"), "perm", {0, 2, 3, 1});
            add_int_attribute(add_node(g, "Flatten", n + "_flatten", {n + "_nhwc"}, n + "_flat"), "axis", 1);
            flat = n + "_flat";
            nchw = false;
        }
        const int I = int(l.in.size()), O = l.out.channels;
        add_float_initializer(g, n + "_weight", {I, O}, l.kernel);
        add_float_initializer(g, n + "_bias", {O}, l.bias);  // the plan gives every dense layer one
        add_node(g, "Gemm", n, {flat, n + "_weight", n + "_bias"}, out);
    }
    if (!l.relu) return out;
    add_node(g, "Relu", n + "_relu", {out}, n + "_relu_out");
    return n + "_relu_out";
}

std::string onnx_model_bytes(const Model& model)
{
    const InferencePlan plan = inference_plan(model);
    const TensorShape& s = plan.input;
    const int outputs = plan.outputs;

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
    std::string layers;
    for (const Layer& l : model.layers) layers += std::string(layers.empty() ? "" : ", ") + keras_class_name(l.kind);
    std::string doc = "handposture model (" + layers + "; batch normalization folded): input [N, " +
                      std::to_string(s.height) + ", " + std::to_string(s.width) + ", " + std::to_string(s.channels) +
                      "] normalized ToF frames (NHWC), output [N, " + std::to_string(outputs) + "] " +
                      (outputs == 1 ? "sigmoid score of class 1" : "class probabilities");
    if (!names.empty()) doc += "; classes in output order: " + names;
    proto.set_doc_string(doc);
    if (!names.empty()) {
        onnx::StringStringEntryProto* entry = proto.add_metadata_props();
        entry->set_key("class_names");
        entry->set_value(names);
    }

    onnx::GraphProto& g = *proto.mutable_graph();
    g.set_name("handposture");
    set_batched_float_type(*g.add_input(), "input", {s.height, s.width, s.channels});
    set_batched_float_type(*g.add_output(), "probabilities", {outputs});

    add_int64_attribute(add_node(g, "Transpose", "to_nchw", {"input"}, "input_nchw"), "perm", {0, 3, 1, 2});
    std::string x = "input_nchw";
    bool nchw = true;
    for (const PlanLayer& l : plan.layers) x = add_plan_layer(g, l, x, nchw);
    if (plan.sigmoid)
        add_node(g, "Sigmoid", "sigmoid", {x}, "probabilities");
    else
        add_int_attribute(add_node(g, "Softmax", "softmax", {x}, "probabilities"), "axis", 1);

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
