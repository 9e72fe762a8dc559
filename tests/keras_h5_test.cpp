// Keras .h5 reading and writing: ST's model, variants written by h5py (Sequential, separate
// activations, no Dropout, renamed layers, fixed-length strings), broken files, and the CLI.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "model/architectures.hpp"
#include "model/keras_config.hpp"
#include "model/model_file.hpp"
#include "model/predict.hpp"
#include "test_support.hpp"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

fs::path h5_dir() { return hp::test::fixtures_dir() / "h5"; }

const json& expected()
{
    static const json data = [] {
        std::ifstream in(h5_dir() / "expected.json");
        return json::parse(in);
    }();
    return data;
}

std::string error_of(const fs::path& path)
{
    try {
        hp::read_keras_h5(path);
    } catch (const hp::Error& e) {
        return e.what();
    }
    return "no error";
}

TEST(KerasH5, ReadsStModel)
{
    HP_REQUIRE_SHARED();
    hp::Model m = hp::read_keras_h5(hp::test::st_pretrained_h5());
    const hp::ModelShape s = hp::test::st_shape(m);  // recognized as CNN2D_ST_HandPosture
    EXPECT_EQ(s.height, 8);
    EXPECT_EQ(s.width, 8);
    EXPECT_EQ(s.channels, 2);
    EXPECT_EQ(s.conv_filters, 8);
    EXPECT_EQ(s.dense_units, 32);
    EXPECT_EQ(s.classes, 8);
    EXPECT_EQ(m.parameter_count(), 2752);
    EXPECT_EQ(m.mac_count(), 7744);
    EXPECT_FLOAT_EQ(hp::test::dropout_rate(m), 0.2f);
    EXPECT_TRUE(m.class_names.empty());
}

TEST(KerasH5, WriteThenReadIsBitIdentical)
{
    HP_REQUIRE_SHARED();
    hp::Model m = hp::read_keras_h5(hp::test::st_pretrained_h5());
    m.class_names = {"None", "FlatHand", "Like", "Love", "Dislike", "BreakTime", "CrossHands", "Fist"};
    hp::test::ScratchDir dir;
    hp::write_keras_h5(dir / "out.h5", m);
    hp::Model back = hp::read_keras_h5(dir / "out.h5");
    EXPECT_EQ(back.input, m.input);
    EXPECT_EQ(back.class_names, m.class_names);
    ASSERT_EQ(back.layers.size(), m.layers.size());
    // Bitwise: compare the bytes, so -0.0 vs 0.0 or NaN payloads could not hide.
    auto same_bits = [](const std::vector<float>& a, const std::vector<float>& b) {
        return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
    };
    for (size_t l = 0; l < m.layers.size(); l++) {
        EXPECT_EQ(back.layers[l].kind, m.layers[l].kind);
        EXPECT_EQ(back.layers[l].name, m.layers[l].name);
        ASSERT_EQ(back.layers[l].weights.size(), m.layers[l].weights.size());
        for (size_t t = 0; t < m.layers[l].weights.size(); t++)
            EXPECT_TRUE(same_bits(back.layers[l].weights[t], m.layers[l].weights[t])) << m.layers[l].name;
    }
    EXPECT_FALSE(fs::exists(dir / ("out.h5.tmp." + std::to_string(::getpid()))));
}

// HDF5 stamps objects with the second they were made unless told not to: the same model written
// again later must still give the same bytes (reproducible training outputs).
TEST(KerasH5, SameModelWrittenASecondLaterGivesTheSameBytes)
{
    const hp::Model m = hp::cnn2d_st_model(hp::ModelShape{}, {});
    hp::test::ScratchDir dir;
    hp::write_keras_h5(dir / "a.h5", m);
    ::usleep(1'100'000);
    hp::write_keras_h5(dir / "b.h5", m);
    EXPECT_EQ(hp::read_file_bytes(dir / "a.h5"), hp::read_file_bytes(dir / "b.h5"));
}

TEST(KerasH5, RoundTripsTwoClassSigmoidModelWithoutClassNames)
{
    hp::ModelShape s;
    s.height = 4;
    s.width = 6;
    s.classes = 2;
    hp::Model m = hp::cnn2d_st_model(s, {}, 0.0f);
    std::vector<float>& dense_kernel = *m.trainable_tensors()[2];
    for (size_t i = 0; i < dense_kernel.size(); i++) dense_kernel[i] = float(i) * 0.25f - 3.0f;
    (*m.trainable_tensors()[5])[0] = -0.0f;
    hp::test::ScratchDir dir;
    hp::write_keras_h5(dir / "two.h5", m);
    hp::Model back = hp::read_keras_h5(dir / "two.h5");
    EXPECT_EQ(hp::test::st_shape(back), s);
    EXPECT_EQ(back.outputs(), 1);
    EXPECT_EQ(back.layers, m.layers);
    EXPECT_TRUE(std::signbit((*back.trainable_tensors()[5])[0]));
    EXPECT_TRUE(back.class_names.empty());
    EXPECT_EQ(hp::test::dropout_rate(back), 0.0f);
}

TEST(KerasH5, WriterRejectsInvalidModelAndLeavesNoFile)
{
    hp::Model m = hp::cnn2d_st_model(hp::ModelShape{}, {});
    m.trainable_tensors()[1]->pop_back();
    hp::test::ScratchDir dir;
    EXPECT_THROW(hp::write_keras_h5(dir / "bad.h5", m), hp::Error);
    EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(KerasH5, WriterConfigParsesBack)
{
    hp::ModelShape s;
    s.height = 9;
    s.width = 5;
    s.channels = 3;
    s.conv_filters = 11;
    s.dense_units = 7;
    s.classes = 5;
    const hp::Model m = hp::cnn2d_st_model(s, {}, 0.3f);
    hp::Model a = hp::parse_keras_model_config(hp::keras_model_config_json(m), "config");
    a.allocate_weights();
    EXPECT_EQ(a, m);
    EXPECT_EQ(hp::test::st_shape(a), s);
    EXPECT_FLOAT_EQ(hp::test::dropout_rate(a), 0.3f);
}

// ST's custom model and every layer option: the writer's config reads back as the same list.
TEST(KerasH5, WriterConfigOfGeneralLayersParsesBack)
{
    hp::Model m = hp::with_output_layer({8, 8, 2}, hp::st_custom_hidden_layers(0.25f), 5);
    m.layers[1].epsilon = 0.01f;
    m.layers[1].momentum = 0.9f;
    m.layers.insert(m.layers.begin(), hp::conv2d_layer(3, 5, true, true, hp::Activation::relu));
    m.layers.insert(m.layers.begin() + 1, hp::conv2d_layer(2, 1, false, true, hp::Activation::linear));
    m.layers[0].name = "c5";
    m.layers[1].name = "c1";
    m.allocate_weights();
    hp::test::randomize_weights(m, 3, 0.5f);
    hp::Model a = hp::parse_keras_model_config(hp::keras_model_config_json(m), "config");
    a.allocate_weights();
    hp::Model zero = m;
    zero.allocate_weights();
    EXPECT_EQ(a, zero);
    hp::test::ScratchDir dir;
    hp::write_keras_h5(dir / "general.h5", m);
    EXPECT_EQ(hp::read_keras_h5(dir / "general.h5"), m);
}

// Every accepted variant: shape from the file, scores equal to numpy's forward pass.
TEST(KerasH5, ReadsVariantsWrittenByH5py)
{
    ASSERT_GE(expected()["good"].size(), 7u);
    for (const json& g : expected()["good"]) {
        SCOPED_TRACE(g["file"].get<std::string>());
        hp::Model m = hp::read_keras_h5(h5_dir() / g["file"].get<std::string>());
        EXPECT_EQ(m.input, (hp::TensorShape{g["height"].get<int>(), g["width"].get<int>(), g["channels"].get<int>()}));
        EXPECT_EQ(m.classes(), g["classes"].get<int>());
        if (g.contains("filters")) {  // the CNN2D_ST_HandPosture family, recognized for its fast paths
            const hp::ModelShape s = hp::test::st_shape(m);
            EXPECT_EQ(s.conv_filters, g["filters"].get<int>());
            EXPECT_EQ(s.dense_units, g["units"].get<int>());
            EXPECT_FLOAT_EQ(hp::test::dropout_rate(m), g["dropout"].get<float>());
        } else {
            EXPECT_FALSE(hp::as_cnn2d_st(m).has_value());
            EXPECT_EQ(m.parameter_count(), g["parameters"].get<long>());
        }
        std::vector<float> input = g["input"].get<std::vector<float>>();
        std::vector<float> scores = hp::predict_scores(m, input.data(), 1, 1);
        std::vector<double> want = g["scores"].get<std::vector<double>>();
        ASSERT_EQ(scores.size(), want.size());
        for (size_t i = 0; i < want.size(); i++) EXPECT_NEAR(scores[i], want[i], 1e-5) << "score " << i;
    }
}

TEST(KerasH5, RejectsBrokenFilesWithClearMessages)
{
    ASSERT_GE(expected()["bad"].size(), 15u);
    for (const json& b : expected()["bad"]) {
        const fs::path path = h5_dir() / b["file"].get<std::string>();
        const std::string message = error_of(path);
        SCOPED_TRACE(message);
        EXPECT_EQ(message.rfind(path.string() + ": ", 0), 0u) << "message must start with the file name";
        EXPECT_NE(message.find(b["error"].get<std::string>()), std::string::npos) << "expected: " << b["error"];
    }
}

// The preprocessing a model was trained with travels with it; a value this build does not know
// is refused rather than run with the wrong preprocessing.
TEST(KerasH5, DistanceModeRoundTripsAndUnknownIsRefused)
{
    hp::Model m = hp::cnn2d_st_model(hp::ModelShape{}, {});
    hp::test::ScratchDir dir;
    hp::write_keras_h5(dir / "st.h5", m);
    EXPECT_EQ(hp::read_keras_h5(dir / "st.h5").distance_mode, HP_DISTANCE_ABSOLUTE);
    m.distance_mode = HP_DISTANCE_RELATIVE;
    hp::write_keras_h5(dir / "relative.h5", m);
    EXPECT_EQ(hp::read_keras_h5(dir / "relative.h5").distance_mode, HP_DISTANCE_RELATIVE);

    // Rewrite the attribute with a name no build knows.
    hid_t file = H5Fopen((dir / "relative.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    ASSERT_GE(H5Adelete(file, "handposture_distance_mode"), 0);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attribute = H5Acreate2(file, "handposture_distance_mode", type, space, H5P_DEFAULT, H5P_DEFAULT);
    const char* value = "logarithmic";
    ASSERT_GE(H5Awrite(attribute, type, &value), 0);
    H5Aclose(attribute);
    H5Sclose(space);
    H5Tclose(type);
    H5Fclose(file);
    const std::string message = error_of(dir / "relative.h5");
    EXPECT_EQ(message.rfind((dir / "relative.h5").string() + ": ", 0), 0u) << message;
    EXPECT_NE(message.find("unknown distance mode 'logarithmic'"), std::string::npos) << message;
}

TEST(KerasH5, MissingFile)
{
    EXPECT_NE(error_of("/nonexistent/model.h5").find("no such file"), std::string::npos);
}

TEST(KerasConfig, RejectsOutsideTheFamily)
{
    auto error = [](const std::string& text) {
        try {
            hp::parse_keras_model_config(text, "cfg");
        } catch (const hp::Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    std::string good = hp::keras_model_config_json(hp::cnn2d_st_model(hp::ModelShape{}, {}));
    EXPECT_EQ(error(good), "no error");
    auto replaced = [&](const std::string& from, const std::string& to) {
        std::string t = good;
        size_t at = t.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        return t.replace(at, from.size(), to);
    };
    EXPECT_NE(error(replaced("\"units\":8,\"activation\":\"softmax\"", "\"units\":2,\"activation\":\"softmax\"")).find("layer 'dense_1'"),
              std::string::npos);
    EXPECT_NE(error(replaced("\"units\":8,\"activation\":\"softmax\"", "\"units\":3,\"activation\":\"sigmoid\"")).find("sigmoid"),
              std::string::npos);
    EXPECT_NE(error(replaced("\"pool_size\":[2,2]", "\"pool_size\":[3,3]")).find("pool_size (3, 3) unsupported, only 2x2"),
              std::string::npos);
    EXPECT_NE(error(replaced("\"use_bias\":true", "\"use_bias\":\"no\"")).find("use_bias \"no\" is not true or false"),
              std::string::npos);
    EXPECT_NE(error(replaced("[null,8,8,2]", "[null,2,8,2]")).find("leaves nothing"), std::string::npos);
    EXPECT_NE(error(replaced("[null,8,8,2]", "[null,8,8,\"x\"]")).find("input shape"), std::string::npos);
    EXPECT_NE(error(replaced("\"filters\":8", "\"filters\":1e9")).find("filters"), std::string::npos);
    EXPECT_NE(error(replaced("[[[\"dense\",0,0,{}]]]", "[[[\"dense_1\",0,0,{}]]]")).find("cycle"), std::string::npos);
    EXPECT_NE(error(replaced("\"output_layers\":[[\"dense_1\",0,0]]", "\"output_layers\":[[\"nope\",0,0]]")).find("nope"),
              std::string::npos);
    EXPECT_NE(error("").find("not valid JSON"), std::string::npos);
    EXPECT_NE(error("{\"class_name\":\"Sequential\",\"config\":{\"layers\":[]}}").find("no layers"), std::string::npos);
}

TEST(KerasH5Cli, SummaryOfStModel)
{
    HP_REQUIRE_SHARED();
    auto r = hp::test::run_cli("model summary --model " + hp::test::st_pretrained_h5().string() + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    json j = json::parse(r.output);
    EXPECT_EQ(j["parameters"], 2752);
    EXPECT_EQ(j["macs"], 7744);
    EXPECT_EQ(j["weight_bytes"], 2752 * 4);
    long params = 0, macs = 0;
    for (const json& layer : j["layers"]) {
        params += layer["parameters"].get<long>();
        macs += layer["macs"].get<long>();
    }
    EXPECT_EQ(params, 2752);
    EXPECT_EQ(macs, 7744);
    EXPECT_EQ(j["layers"][0]["output_shape"], json({6, 6, 8}));
    auto text = hp::test::run_cli("model summary --model " + hp::test::st_pretrained_h5().string());
    EXPECT_EQ(text.exit_code, 0);
    EXPECT_NE(text.output.find("2,752"), std::string::npos) << text.output;
}

TEST(KerasH5Cli, ExportKeepsTheModel)
{
    hp::test::ScratchDir dir;
    auto r = hp::test::run_cli("export --format h5 --model " + (h5_dir() / "renamed_sigmoid.h5").string() + " --out " +
                               (dir / "out.h5").string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    hp::Model a = hp::read_keras_h5(h5_dir() / "renamed_sigmoid.h5");
    hp::Model b = hp::read_keras_h5(dir / "out.h5");
    EXPECT_EQ(a, b);
}

TEST(KerasH5Cli, BadFilesExitOneWithMessage)
{
    for (const json& b : expected()["bad"]) {
        const fs::path path = h5_dir() / b["file"].get<std::string>();
        auto r = hp::test::run_cli("model summary --model " + path.string());
        EXPECT_EQ(r.exit_code, 1) << path << ": " << r.output;
        EXPECT_NE(r.output.find(b["error"].get<std::string>()), std::string::npos) << r.output;
    }
    hp::test::ScratchDir dir;
    auto r = hp::test::run_cli("export --format h5 --model " + (h5_dir() / "nan_weights.h5").string() + " --out " +
                               (dir / "x.h5").string());
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_FALSE(fs::exists(dir / "x.h5"));
}

}  // namespace
