// ONNX export of models built in code: graph structure, names, shapes and weight layouts, read
// back with ONNX's own protobuf classes. Numerics are checked against ONNX Runtime in
// tests/ort_check.sh.
#include <onnx/onnx_pb.h>

#include <map>
#include <random>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/postures.hpp"
#include "model/onnx_export.hpp"
#include "test_support.hpp"

namespace {

hp::Model random_model(const hp::ModelShape& shape, std::vector<std::string> names)
{
    hp::Model m = hp::cnn2d_st_model(shape, std::move(names));
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-1, 1);
    for (std::vector<float>* w : m.trainable_tensors())
        for (float& v : *w) v = u(rng);
    return m;
}

onnx::ModelProto parse(const std::string& bytes)
{
    onnx::ModelProto proto;
    EXPECT_TRUE(proto.ParseFromString(bytes));
    return proto;
}

std::vector<std::string> op_types(const onnx::GraphProto& g)
{
    std::vector<std::string> ops;
    for (const auto& n : g.node()) ops.push_back(n.op_type());
    return ops;
}

std::map<std::string, const onnx::TensorProto*> initializers(const onnx::GraphProto& g)
{
    std::map<std::string, const onnx::TensorProto*> by_name;
    for (const auto& t : g.initializer()) by_name[t.name()] = &t;
    return by_name;
}

// "N" for a dynamic dimension, the number otherwise.
std::vector<std::string> dims(const onnx::ValueInfoProto& v)
{
    std::vector<std::string> out;
    for (const auto& d : v.type().tensor_type().shape().dim())
        out.push_back(d.has_dim_param() ? d.dim_param() : std::to_string(d.dim_value()));
    return out;
}

}  // namespace

TEST(OnnxExport, EightClassGraphHasNamedNhwcInputAndSoftmaxOutput)
{
    const hp::Model m = random_model(hp::ModelShape{}, hp::st_default_classes());
    const onnx::ModelProto proto = parse(hp::onnx_model_bytes(m));
    EXPECT_EQ(proto.ir_version(), 8);
    ASSERT_EQ(proto.opset_import_size(), 1);
    EXPECT_EQ(proto.opset_import(0).domain(), "");
    EXPECT_EQ(proto.opset_import(0).version(), 13);

    const onnx::GraphProto& g = proto.graph();
    ASSERT_EQ(g.input_size(), 1);
    ASSERT_EQ(g.output_size(), 1);
    EXPECT_EQ(g.input(0).name(), "input");
    EXPECT_EQ(g.output(0).name(), "probabilities");
    EXPECT_EQ(g.input(0).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
    EXPECT_EQ(g.output(0).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
    EXPECT_EQ(dims(g.input(0)), (std::vector<std::string>{"N", "8", "8", "2"}));
    EXPECT_EQ(dims(g.output(0)), (std::vector<std::string>{"N", "8"}));
    EXPECT_EQ(op_types(g), (std::vector<std::string>{"Transpose", "Conv", "Relu", "MaxPool", "Transpose", "Flatten",
                                                      "Gemm", "Relu", "Gemm", "Softmax"}));
    EXPECT_EQ(g.node().rbegin()->output(0), "probabilities");

    ASSERT_EQ(proto.metadata_props_size(), 1);
    EXPECT_EQ(proto.metadata_props(0).key(), "class_names");
    EXPECT_EQ(proto.metadata_props(0).value(), "None,FlatHand,Like,Love,Dislike,BreakTime,CrossHands,Fist");
    EXPECT_NE(proto.doc_string().find("None,FlatHand,Like"), std::string::npos);
}

TEST(OnnxExport, ConvKernelIsTransposedToOihwAndDenseKernelsKeptInOut)
{
    hp::ModelShape shape;
    shape.height = 6;
    shape.width = 10;
    shape.conv_filters = 3;
    shape.dense_units = 5;
    shape.classes = 4;
    const hp::Model m = random_model(shape, {});
    const onnx::ModelProto proto = parse(hp::onnx_model_bytes(m));
    auto init = initializers(proto.graph());
    ASSERT_EQ(init.size(), 6u);

    const onnx::TensorProto& conv = *init.at("conv2d_weight");
    ASSERT_EQ(conv.dims_size(), 4);
    EXPECT_EQ(conv.dims(0), 3);  // F
    EXPECT_EQ(conv.dims(1), 2);  // C
    EXPECT_EQ(conv.dims(2), 3);
    EXPECT_EQ(conv.dims(3), 3);
    ASSERT_EQ(conv.float_data_size(), 54);
    // ONNX W[f][c][y][x] == Keras K[y][x][c][f], spot-checked at every index.
    for (int f = 0; f < 3; f++)
        for (int c = 0; c < 2; c++)
            for (int y = 0; y < 3; y++)
                for (int x = 0; x < 3; x++)
                    EXPECT_EQ(conv.float_data(((f * 2 + c) * 3 + y) * 3 + x),
                              hp::test::st_weights(m).conv_kernel[size_t(((y * 3 + x) * 2 + c) * 3 + f)]);

    const onnx::TensorProto& dense = *init.at("dense_weight");
    EXPECT_EQ(dense.dims(0), shape.flat_size());  // 2*4*3 = 24
    EXPECT_EQ(dense.dims(1), 5);
    EXPECT_EQ(std::vector<float>(dense.float_data().begin(), dense.float_data().end()), hp::test::st_weights(m).dense1_kernel);
    const onnx::TensorProto& out = *init.at("dense_1_weight");
    EXPECT_EQ(out.dims(0), 5);
    EXPECT_EQ(out.dims(1), 4);
    EXPECT_EQ(std::vector<float>(out.float_data().begin(), out.float_data().end()), hp::test::st_weights(m).dense2_kernel);
    EXPECT_EQ(std::vector<float>(init.at("dense_1_bias")->float_data().begin(), init.at("dense_1_bias")->float_data().end()),
              hp::test::st_weights(m).dense2_bias);
    EXPECT_EQ(proto.metadata_props_size(), 0);  // no class names known
    EXPECT_EQ(dims(proto.graph().input(0)), (std::vector<std::string>{"N", "6", "10", "2"}));
}

TEST(OnnxExport, TwoClassModelEndsInOneSigmoidOutput)
{
    hp::ModelShape shape;
    shape.classes = 2;
    const hp::Model m = random_model(shape, {"None", "Fist"});
    const onnx::ModelProto proto = parse(hp::onnx_model_bytes(m));
    EXPECT_EQ(op_types(proto.graph()).back(), "Sigmoid");
    EXPECT_EQ(dims(proto.graph().output(0)), (std::vector<std::string>{"N", "1"}));
    EXPECT_EQ(proto.metadata_props(0).value(), "None,Fist");
}

TEST(OnnxExport, WritesTheSameBytesToAFile)
{
    hp::test::ScratchDir dir;
    const hp::Model m = random_model(hp::ModelShape{}, {});
    hp::write_onnx(dir / "sub/model.onnx", m);
    const std::vector<unsigned char> bytes = hp::read_file_bytes(dir / "sub/model.onnx");
    EXPECT_EQ(std::string(bytes.begin(), bytes.end()), hp::onnx_model_bytes(m));
    // Nothing else left behind (no temporary file).
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir / "sub"), std::filesystem::directory_iterator()), 1);
}

TEST(OnnxExport, RejectsAnInvalidModelWithoutWriting)
{
    hp::test::ScratchDir dir;
    hp::Model m = random_model(hp::ModelShape{}, {});
    hp::test::st_weights(m).dense1_bias.pop_back();
    EXPECT_THROW(hp::write_onnx(dir / "bad.onnx", m), hp::Error);
    EXPECT_FALSE(std::filesystem::exists(dir / "bad.onnx"));
}
