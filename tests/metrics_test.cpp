// Classification metrics against a hand-worked example and numpy (scripts/make_metrics_fixture.py).
#include <fstream>

#include "core/error.hpp"
#include "eval/metrics.hpp"
#include "test_support.hpp"

namespace {

// 3 classes, 4 frames; frame 2 (label 1) is predicted as class 0.
const std::vector<float> kScores = {0.7f, 0.2f, 0.1f,  //
                                    0.1f, 0.6f, 0.3f,  //
                                    0.5f, 0.4f, 0.1f,  //
                                    0.2f, 0.2f, 0.6f};
const std::vector<int> kLabels = {0, 1, 1, 2};
const std::vector<std::string> kNames = {"None", "FlatHand", "Like"};

}  // namespace

TEST(Metrics, HandWorkedThreeClassExample)
{
    const hp::Metrics m = hp::compute_metrics(kScores, 3, kLabels, kNames);
    EXPECT_EQ(m.frames, 4);
    EXPECT_DOUBLE_EQ(m.accuracy, 0.75);
    // -(ln 0.7 + ln 0.6 + ln 0.4 + ln 0.6) / 4 = (0.356675 + 0.510826 + 0.916291 + 0.510826) / 4
    EXPECT_NEAR(m.loss, 0.573654, 1e-6);
    EXPECT_EQ(m.confusion, (std::vector<std::vector<long>>{{1, 0, 0}, {1, 1, 0}, {0, 0, 1}}));
    ASSERT_EQ(m.per_class.size(), 3u);
    EXPECT_DOUBLE_EQ(m.per_class[0].precision, 0.5);
    EXPECT_DOUBLE_EQ(m.per_class[0].recall, 1.0);
    EXPECT_NEAR(m.per_class[0].f1, 2.0 / 3.0, 1e-12);
    EXPECT_DOUBLE_EQ(m.per_class[1].precision, 1.0);
    EXPECT_DOUBLE_EQ(m.per_class[1].recall, 0.5);
    EXPECT_NEAR(m.per_class[1].f1, 2.0 / 3.0, 1e-12);
    EXPECT_DOUBLE_EQ(m.per_class[2].f1, 1.0);
    EXPECT_EQ(m.per_class[0].support, 1);
    EXPECT_EQ(m.per_class[1].support, 2);
}

TEST(Metrics, MatchesNumpyOnCategoricalAndBinaryCases)
{
    std::ifstream in(hp::test::fixtures_dir() / "metrics_cases.json");
    ASSERT_TRUE(in) << "missing fixture metrics_cases.json";
    const nlohmann::json cases = nlohmann::json::parse(in);
    for (const auto& [name, c] : cases.items()) {
        SCOPED_TRACE(name);
        const auto scores = c["scores"].get<std::vector<float>>();
        const auto labels = c["labels"].get<std::vector<int>>();
        const auto names = c["class_names"].get<std::vector<std::string>>();
        const hp::Metrics m = hp::compute_metrics(scores, c["outputs"].get<int>(), labels, names);
        EXPECT_EQ(m.frames, long(labels.size()));
        EXPECT_NEAR(m.accuracy, c["accuracy"].get<double>(), 1e-12);
        EXPECT_NEAR(m.loss, c["loss"].get<double>(), 1e-9);
        EXPECT_EQ(m.confusion, c["confusion"].get<std::vector<std::vector<long>>>());
        ASSERT_EQ(m.per_class.size(), c["per_class"].size());
        for (size_t k = 0; k < m.per_class.size(); k++) {
            const auto& e = c["per_class"][k];
            EXPECT_NEAR(m.per_class[k].precision, e["precision"].get<double>(), 1e-12) << "class " << k;
            EXPECT_NEAR(m.per_class[k].recall, e["recall"].get<double>(), 1e-12) << "class " << k;
            EXPECT_NEAR(m.per_class[k].f1, e["f1"].get<double>(), 1e-12) << "class " << k;
            EXPECT_EQ(m.per_class[k].support, e["support"].get<long>()) << "class " << k;
        }
    }
}

TEST(Metrics, JsonKeepsClassOrder)
{
    const nlohmann::json j = hp::compute_metrics(kScores, 3, kLabels, kNames).to_json();
    EXPECT_EQ(j["frames"], 4);
    EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), 0.75);
    EXPECT_EQ(j["class_names"], nlohmann::json(kNames));
    EXPECT_EQ(j["confusion"][1], nlohmann::json({1, 1, 0}));
    ASSERT_EQ(j["per_class"].size(), 3u);
    EXPECT_EQ(j["per_class"][1]["class"], "FlatHand");
    EXPECT_DOUBLE_EQ(j["per_class"][1]["recall"].get<double>(), 0.5);
    EXPECT_EQ(j["per_class"][2]["support"], 1);
}

TEST(Metrics, RejectsInconsistentInput)
{
    EXPECT_THROW(hp::compute_metrics(kScores, 3, {0, 1, 1}, kNames), hp::Error);           // 4 rows, 3 labels
    EXPECT_THROW(hp::compute_metrics(kScores, 3, {0, 1, 3, 2}, kNames), hp::Error);        // label 3 of 3 classes
    EXPECT_THROW(hp::compute_metrics(kScores, 3, {0, -1, 1, 2}, kNames), hp::Error);       // label -1
    EXPECT_THROW(hp::compute_metrics(kScores, 3, kLabels, {"None", "Like"}), hp::Error);   // 2 names, 3 classes
    EXPECT_THROW(hp::compute_metrics({0.2f, 0.9f}, 1, {0, 1}, kNames), hp::Error);          // sigmoid: 2 names
    EXPECT_THROW(hp::compute_metrics(kScores, 0, kLabels, kNames), hp::Error);
}

TEST(Metrics, EmptyInputGivesZeros)
{
    const hp::Metrics m = hp::compute_metrics({}, 3, {}, kNames);
    EXPECT_EQ(m.frames, 0);
    EXPECT_EQ(m.accuracy, 0);
    EXPECT_EQ(m.per_class[0].support, 0);
}
