// The layer-list fixture (tests/fixtures/runtime_net_f32.json, scripts/make_net_fixture.py) as
// hp_net_f32 values: the JSON's layers with their weights held by the NetCase.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hp_net.h"
#include "test_support.hpp"

namespace hp::test {

inline const nlohmann::json& net_fixture()
{
    static const nlohmann::json data = [] {
        std::ifstream in(fixtures_dir() / "runtime_net_f32.json");
        return nlohmann::json::parse(in);
    }();
    return data;
}

inline std::vector<float> json_floats(const nlohmann::json& values)
{
    return values.is_null() ? std::vector<float>{} : values.get<std::vector<float>>();
}

inline hp_layer_kind layer_kind(const std::string& name)
{
    if (name == "conv2d") return HP_LAYER_CONV2D;
    if (name == "maxpool2x2") return HP_LAYER_MAXPOOL2X2;
    if (name == "dense") return HP_LAYER_DENSE;
    if (name == "softmax") return HP_LAYER_SOFTMAX;
    if (name == "sigmoid") return HP_LAYER_SIGMOID;
    throw std::runtime_error("runtime_net_f32.json: unknown layer kind " + name);
}

// One net of the fixture, ready to run; `layers` point into `weights` and `biases`.
struct NetCase {
    std::string name;
    std::vector<float> input, scores;
    std::vector<std::vector<float>> weights, biases;
    std::vector<hp_layer_f32> layers;
    hp_net_f32 net{};

    explicit NetCase(const nlohmann::json& j) : name(j["name"]), input(json_floats(j["input"])),
                                                scores(json_floats(j["scores"]))
    {
        for (const auto& l : j["layers"]) {
            weights.push_back(json_floats(l["weights"]));
            biases.push_back(json_floats(l["bias"]));
        }
        for (size_t i = 0; i < j["layers"].size(); i++) {
            const auto& l = j["layers"][i];
            hp_layer_f32 layer{layer_kind(l["kind"]), l["height"], l["width"], l["channels"], l["outputs"],
                               l["kernel_size"], l["padding"], l["relu"],
                               weights[i].empty() ? nullptr : weights[i].data(),
                               biases[i].empty() ? nullptr : biases[i].data()};
            layers.push_back(layer);
        }
        const auto& shape = j["input_shape"];
        net = hp_net_f32{shape[0], shape[1], shape[2], int(layers.size()), layers.data(), j["outputs"]};
    }
    NetCase(const NetCase&) = delete;
    NetCase& operator=(const NetCase&) = delete;
};

}  // namespace hp::test
