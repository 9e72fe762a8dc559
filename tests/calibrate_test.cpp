// `calibrate` end to end on a small public subset, its split of a person's recordings, and
// `evaluate` on a person's folder holding only some of the model's postures.
#include <gtest/gtest.h>

#include <cstdio>
#include <regex>
#include <set>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "data/dataset.hpp"
#include "model/model_file.hpp"
#include "test_support.hpp"
#include "train/calibrate.hpp"

namespace {

namespace fs = std::filesystem;

// The public datalogs of `users` and `classes`, copied into a dataset folder.
void copy_public(const fs::path& dir, const std::set<std::string>& users, const std::set<std::string>& classes)
{
    hp::DatasetFiles zip(hp::test::public_dataset_zip(), {});
    for (size_t i = 0; i < zip.files().size(); i++) {
        const hp::DatalogFile& f = zip.files()[i];
        if (users.count(f.user) && classes.count(f.class_name))
            hp::write_file_atomically(dir / f.path, zip.read_bytes(i));
    }
}

// The two percentages of "before B %, after A %".
std::pair<double, double> before_after(const std::string& output)
{
    std::smatch m;
    const std::regex line("before ([0-9.]+) %, after ([0-9.]+) %");
    if (!std::regex_search(output, m, line)) return {-1, -1};
    return {std::stod(m[1]), std::stod(m[2])};
}

TEST(Calibrate, SplitTakesTheFirstFramesOfEachPosturesFirstRecording)
{
    hp::Dataset person;
    person.class_names = {"Like", "Fist"};
    // Like: recordings 0 (6 frames) and 1 (3 frames); Fist: recording 2 only (5 frames)
    const std::vector<std::pair<int, int>> frames = {{0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 1},
                                                     {0, 1}, {0, 1}, {1, 2}, {1, 2}, {1, 2}, {1, 2}, {1, 2}};
    for (auto [label, file] : frames) {
        person.labels.push_back(label);
        person.file_index.push_back(file);
    }
    const hp::train::CalibrationSplit first = hp::train::split_for_calibration(person, 2, false);
    EXPECT_EQ(first.calibration, (std::vector<size_t>{0, 1, 9, 10}));
    EXPECT_EQ(first.held_back, (std::vector<size_t>{6, 7, 8, 11, 12, 13}));  // Like's 2nd recording, Fist's rest
    const hp::train::CalibrationSplit spread = hp::train::split_for_calibration(person, 2, true);
    ASSERT_EQ(spread.calibration.size(), 4u);
    EXPECT_GT(spread.calibration[1], 1u);  // not the first two frames of Like's recording
    EXPECT_THROW(hp::train::split_for_calibration(person, 0, false), hp::Error);
}

TEST(Calibrate, CliImprovesHeldBackFramesOfAPersonAndEvaluateTakesTheirPostures)
{
    HP_REQUIRE_SHARED();
    hp::test::ScratchDir dir;
    const std::set<std::string> classes = {"Like", "Dislike", "Fist"};
    copy_public(dir / "base", {"User2", "User4"}, classes);
    copy_public(dir / "person", {"User3"}, {"Like", "Dislike"});  // no Fist recorded
    auto train = hp::test::run_cli("train --data " + hp::test::shell_quoted(dir / "base") +
                                   " --classes Like,Dislike,Fist --epochs 3 --quiet --out " +
                                   hp::test::shell_quoted(dir / "run"));
    ASSERT_EQ(train.exit_code, 0) << train.output;
    const fs::path base = dir / "run/saved_models/best_model.h5";
    EXPECT_EQ(hp::read_keras_h5(base).distance_mode, HP_DISTANCE_RELATIVE);  // the default recipe's

    auto calibrated = hp::test::run_cli("calibrate --model " + hp::test::shell_quoted(base) + " --data " +
                                        hp::test::shell_quoted(dir / "person") + " --base-data " +
                                        hp::test::shell_quoted(dir / "base") + " --frames 50 --out " +
                                        hp::test::shell_quoted(dir / "mine.h5"));
    ASSERT_EQ(calibrated.exit_code, 0) << calibrated.output;
    const auto [before, after] = before_after(calibrated.output);
    ASSERT_GE(before, 0) << calibrated.output;
    EXPECT_GE(after, before) << calibrated.output;
    const hp::Model mine = hp::read_keras_h5(dir / "mine.h5");
    EXPECT_EQ(mine.class_names, hp::read_keras_h5(base).class_names);
    EXPECT_EQ(mine.distance_mode, HP_DISTANCE_RELATIVE);
    const auto summary = hp::test::run_cli("model summary --model " + hp::test::shell_quoted(dir / "mine.h5"));
    EXPECT_NE(summary.output.find("preprocessing: relative distances"), std::string::npos) << summary.output;

    // evaluate: the person's two postures, labelled in the model's three-class order
    auto evaluated = hp::test::run_cli("evaluate --model " + hp::test::shell_quoted(dir / "mine.h5") + " --data " +
                                       hp::test::shell_quoted(dir / "person") + " --json");
    ASSERT_EQ(evaluated.exit_code, 0) << evaluated.output;
    EXPECT_NE(evaluated.output.find("\"Fist\""), std::string::npos) << evaluated.output;

    // Bad input: one error naming what is wrong, exit 1.
    auto no_data = hp::test::run_cli("calibrate --model " + hp::test::shell_quoted(base) + " --data " +
                                     hp::test::shell_quoted(dir / "nobody") + " --base-data " +
                                     hp::test::shell_quoted(dir / "base") + " --out " + hp::test::shell_quoted(dir / "x.h5"));
    EXPECT_EQ(no_data.exit_code, 1);
    EXPECT_NE(no_data.output.find((dir / "nobody").string() + ": dataset not found"), std::string::npos) << no_data.output;
    auto no_model = hp::test::run_cli("calibrate --model " + hp::test::shell_quoted(dir / "none.h5") + " --data " +
                                      hp::test::shell_quoted(dir / "person") + " --out " + hp::test::shell_quoted(dir / "x.h5"));
    EXPECT_EQ(no_model.exit_code, 1);
    EXPECT_NE(no_model.output.find("none.h5: model file not found"), std::string::npos) << no_model.output;
    auto zero = hp::test::run_cli("calibrate --model " + hp::test::shell_quoted(base) + " --data " +
                                  hp::test::shell_quoted(dir / "person") + " --frames 0 --out " +
                                  hp::test::shell_quoted(dir / "x.h5"));
    EXPECT_NE(zero.exit_code, 0);
    EXPECT_NE(zero.output.find("--frames"), std::string::npos) << zero.output;
    EXPECT_FALSE(fs::exists(dir / "x.h5"));
}

}  // namespace
