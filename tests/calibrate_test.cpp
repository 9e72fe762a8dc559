// `calibrate` end to end on a small public subset, its split of a person's recordings, and
// `evaluate` on a person's folder holding only some of the model's postures.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "data/dataset.hpp"
#include "model/model_file.hpp"
#include "test_support.hpp"
#include "train/calibrate.hpp"
#include "train/trainer.hpp"

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

// A base model of the synthetic quadrant task, trained `epochs` epochs (no flip: a flip would
// swap the quadrant classes).
hp::Model quadrant_base(const hp::Dataset& base_data, const hp::Dataset& validation, int epochs, uint32_t seed)
{
    hp::train::TrainOptions t;
    t.epochs = epochs;
    t.seed = seed;
    t.flip = hp::train::Flip::none;
    return hp::train::train_model(base_data, validation, t).last_model;
}

// Calibration for the synthetic task: its frames have no raw form to augment; a small replay.
hp::train::CalibrationOptions synthetic_calibration()
{
    hp::train::CalibrationOptions c;
    c.augment = {};
    c.replay_frames = 200;
    c.retrain_epochs = 10;
    return c;
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
    EXPECT_TRUE(first.check.empty());  // no posture recorded three times

    // Fist recorded twice more (recordings rank by their first frame, as datasets list them in file order)
    for (auto [label, file] : std::vector<std::pair<int, int>>{{1, 4}, {0, 1}, {1, 3}, {1, 4}}) {
        person.labels.push_back(label);
        person.file_index.push_back(file);
    }
    const hp::train::CalibrationSplit checked = hp::train::split_for_calibration(person, 2, false);
    EXPECT_EQ(checked.calibration, (std::vector<size_t>{0, 1, 9, 10}));
    EXPECT_EQ(checked.check, (std::vector<size_t>{14, 17}));  // Fist's second recording: file 4
    EXPECT_EQ(checked.held_back, (std::vector<size_t>{6, 7, 8, 15, 16}));
}

// The exact one-sided binomial tail against sums of binomial coefficients in exact arithmetic
// (Python's fractions and math.comb), small and large counts.
TEST(Calibrate, McNemarPValueIsTheBinomialTail)
{
    EXPECT_DOUBLE_EQ(hp::train::mcnemar_p_value(10, 0), 0.0009765625);
    EXPECT_NEAR(hp::train::mcnemar_p_value(5, 5), 0.623046875, 1e-12);
    EXPECT_NEAR(hp::train::mcnemar_p_value(0, 7), 1.0, 1e-12);
    EXPECT_DOUBLE_EQ(hp::train::mcnemar_p_value(0, 0), 1.0);
    EXPECT_NEAR(hp::train::mcnemar_p_value(20, 13), 0.1481031842995435, 1e-12);
    EXPECT_NEAR(hp::train::mcnemar_p_value(600, 540), 0.040258719353969255, 1e-12);
    EXPECT_NEAR(hp::train::mcnemar_p_value(160, 11) / 2.3634675898208031e-35, 1.0, 1e-9);
}

// auto: every candidate checked against the base on the check recordings; the most accurate of
// the significantly better ones kept, the base if none is; without check recordings, fine-tune.
TEST(Calibrate, AutoKeepsTheBestSignificantlyBetterOnTheCheckRecordings)
{
    using hp::train::Adaptation;
    const hp::Dataset base_data = hp::test::quadrant_dataset(400, 1, 8, 0.3f, 3);
    hp::Dataset person = hp::test::quadrant_dataset(300, 9, 8, 0.6f, 1);
    for (size_t i = 0; i < person.size(); i++) person.file_index[i] = int(i % 3);  // every posture recorded 3 times
    for (size_t i = 1; i < person.inputs.size(); i += 2) person.inputs[i] = -person.inputs[i];  // a hand seen otherwise
    const hp::Model base = quadrant_base(base_data, base_data, 3, 7);
    hp::train::CalibrationOptions c = synthetic_calibration();
    c.method = Adaptation::automatic;
    const hp::train::CalibrationOutcome r = hp::train::calibrate_person(base, person, base_data, 10, false, c);
    const hp::train::CalibrationSplit split = hp::train::split_for_calibration(person, 10, false);
    ASSERT_EQ(r.check_frames, split.check.size());
    ASSERT_GT(r.check_frames, 0u);
    const hp::Dataset check = person.subset(split.check);
    EXPECT_DOUBLE_EQ(r.check_before, hp::train::accuracy_of(base, check));
    const std::vector<Adaptation> tried = {Adaptation::fine_tune, Adaptation::last_layer, Adaptation::resume,
                                           Adaptation::retrain};
    ASSERT_EQ(r.checked.size(), tried.size());
    double best_significant = -1;
    for (size_t i = 0; i < tried.size(); i++) {
        const hp::train::CheckedCandidate& k = r.checked[i];
        ASSERT_EQ(k.method, tried[i]);
        c.method = tried[i];
        const hp::Model candidate = hp::train::calibrate_model(base, person.subset(split.calibration), base_data, c);
        const double accuracy = hp::train::accuracy_of(candidate, check);
        EXPECT_DOUBLE_EQ(k.accuracy, accuracy) << hp::train::adaptation_name(k.method);
        // wins - losses is the change in right answers
        EXPECT_NEAR(double(k.wins) - double(k.losses), (accuracy - r.check_before) * double(check.size()), 1e-6);
        EXPECT_DOUBLE_EQ(k.p_value, hp::train::mcnemar_p_value(k.wins, k.losses));
        EXPECT_EQ(k.significant, k.p_value < c.significance / double(tried.size()));
        if (k.significant) best_significant = std::max(best_significant, accuracy);
        if (k.method == r.method) {
            EXPECT_TRUE(k.significant);
            EXPECT_EQ(r.model, candidate);
        }
    }
    // a base of one epoch: some candidate is significantly better, and the kept one is the best of those
    ASSERT_NE(r.method, Adaptation::none);
    EXPECT_DOUBLE_EQ(hp::train::accuracy_of(r.model, check), best_significant);

    c.method = Adaptation::automatic;
    c.significance = 0;  // nothing can be significant: the base stays, bit for bit
    const hp::train::CalibrationOutcome kept = hp::train::calibrate_person(base, person, base_data, 10, false, c);
    EXPECT_EQ(kept.method, Adaptation::none);
    EXPECT_EQ(kept.model, base);
    EXPECT_DOUBLE_EQ(kept.after, kept.before);

    for (size_t i = 0; i < person.size(); i++) person.file_index[i] = int(i % 2);  // twice: nothing to check on
    c.significance = 0.05;
    EXPECT_EQ(hp::train::calibrate_person(base, person, base_data, 10, false, c).method, Adaptation::fine_tune);
    EXPECT_THROW(hp::train::calibrate_model(base, person, base_data, c), hp::Error);
}

// The guard: the best mean gain among the methods that made nobody worse, else none.
TEST(Calibrate, ChoiceTakesTheBestMethodThatMadeNobodyWorse)
{
    using hp::train::Adaptation;
    using hp::train::choose_adaptation;
    EXPECT_EQ(choose_adaptation({{Adaptation::none, {0, 0, 0}},
                                 {Adaptation::fine_tune, {0.05, 0.01, 0.02}},
                                 {Adaptation::last_layer, {0.01, 0.01, 0.01}},
                                 {Adaptation::retrain, {0.20, 0.10, -0.001}}}),
              Adaptation::fine_tune);  // retrain's mean is best, but one person lost
    EXPECT_EQ(choose_adaptation({{Adaptation::fine_tune, {0.05, -0.01}}, {Adaptation::retrain, {-0.02, 0.3}}}),
              Adaptation::none);
    EXPECT_EQ(choose_adaptation({{Adaptation::fine_tune, {0, 0}}}), Adaptation::none);  // no gain: change nothing
    EXPECT_EQ(choose_adaptation({{Adaptation::last_layer, {0.0, 0.01}}}), Adaptation::last_layer);
    EXPECT_EQ(choose_adaptation({}), Adaptation::none);
    EXPECT_EQ(hp::train::parse_adaptation("last-layer", "x"), Adaptation::last_layer);
    EXPECT_THROW(hp::train::parse_adaptation("fine_tune", "--method"), hp::Error);
}

// Each method on a synthetic task: none changes nothing, last-layer moves the output layer
// alone, the others move every layer, and each calibrated model still does the task.
TEST(Calibrate, EachMethodAdaptsTheLayersItSays)
{
    using hp::train::Adaptation;
    const hp::Dataset base_data = hp::test::quadrant_dataset(400, 1, 8, 0.3f, 3);
    const hp::Dataset person = hp::test::quadrant_dataset(80, 9, 8, 0.3f, 1);
    const hp::Model base = quadrant_base(base_data, person, 4, 7);
    hp::train::CalibrationOptions c = synthetic_calibration();
    for (Adaptation m :
         {Adaptation::none, Adaptation::last_layer, Adaptation::fine_tune, Adaptation::retrain, Adaptation::resume}) {
        c.method = m;
        const hp::Model mine = hp::train::calibrate_model(base, person, base_data, c);
        const std::string name = hp::train::adaptation_name(m);
        EXPECT_EQ(mine.layers[0] == base.layers[0], m == Adaptation::none || m == Adaptation::last_layer) << name;
        EXPECT_EQ(mine.layers.back() == base.layers.back(), m == Adaptation::none) << name;
        EXPECT_GT(hp::train::accuracy_of(mine, person), 0.9) << name;
    }
    // retrain starts afresh: the base's weights do not matter, only its layers; resume starts
    // from them
    const hp::Model other_base = quadrant_base(base_data, person, 4, 8);
    ASSERT_NE(other_base, base);
    c.method = Adaptation::retrain;
    EXPECT_EQ(hp::train::calibrate_model(other_base, person, base_data, c),
              hp::train::calibrate_model(base, person, base_data, c));
    c.method = Adaptation::resume;
    EXPECT_NE(hp::train::calibrate_model(other_base, person, base_data, c),
              hp::train::calibrate_model(base, person, base_data, c));
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
    // auto (the default): User3 recorded Like and Dislike 3 and 4 times, so each candidate is checked
    for (const char* method : {"fine-tune", "last-layer", "resume", "retrain"})
        EXPECT_TRUE(std::regex_search(calibrated.output,
                                      std::regex(std::string("  ") + method + " +[0-9.]+ %  +[0-9]+ better, +[0-9]+ worse")))
            << method << "\n" << calibrated.output;
    EXPECT_NE(calibrated.output.find("auto kept "), std::string::npos) << calibrated.output;
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

// The study of docs/cross-user.md, small: per user and setting one row per method, exactly one
// chosen, and the choice is the guard's on the gains the training users showed.
TEST(Calibrate, StudyChoosesEachUsersMethodOnTheOtherUsers)
{
    HP_REQUIRE_SHARED();
    hp::test::ScratchDir dir;
    auto study = hp::test::run_cli("crossval --data " + hp::test::shell_quoted(hp::test::public_dataset_zip()) +
                                   " --classes Like,Dislike,Fist --epochs 2 --quiet --calibration-study"
                                   " --calibration-k 5 --calibration-methods none,last-layer --json " +
                                   hp::test::shell_quoted(dir / "study.json"));
    ASSERT_EQ(study.exit_code, 0) << study.output;
    const nlohmann::json rows = nlohmann::json::parse(hp::test::read_text(dir / "study.json"))["calibration"];
    ASSERT_EQ(rows.size(), 4u * 2 * 2);  // users x (first, spread) x methods
    std::map<std::string, int> chosen;
    for (size_t i = 0; i < rows.size(); i += 2) {
        const nlohmann::json& none = rows[i];
        const nlohmann::json& last = rows[i + 1];
        ASSERT_EQ(none["method"], "none");
        ASSERT_EQ(last["method"], "last-layer");
        EXPECT_EQ(none["after"], none["before"]);
        EXPECT_EQ(last["before"], none["before"]);
        EXPECT_EQ(last["training_user_gains"].size(), 3u);  // the fold's three training users
        const std::vector<double> gains = last["training_user_gains"];
        const auto pick = hp::train::choose_adaptation(
            {{hp::train::Adaptation::none, none["training_user_gains"]}, {hp::train::Adaptation::last_layer, gains}});
        EXPECT_EQ(last["chosen"].get<bool>(), pick == hp::train::Adaptation::last_layer) << last.dump();
        EXPECT_NE(none["chosen"].get<bool>(), last["chosen"].get<bool>()) << last.dump();
        chosen[none["user"]]++;
    }
    EXPECT_EQ(chosen.size(), 4u);
    auto by_recording = hp::test::run_cli("crossval --data " + hp::test::shell_quoted(hp::test::public_dataset_zip()) +
                                          " --split-by recording --calibration-study");
    EXPECT_EQ(by_recording.exit_code, 1);
    EXPECT_NE(by_recording.output.find("--split-by user"), std::string::npos) << by_recording.output;
}

}  // namespace
