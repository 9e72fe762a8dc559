// Test vectors for checking a generated package on the target (firmware/harness.c): raw frames of
// a dataset with what the host runtime makes of them, written as C source.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "codegen/package.hpp"
#include "model/model.hpp"

namespace hp::codegen {

struct TestFrame {
    std::vector<float> distance_mm, signal_per_spad;  // [zones]
    std::vector<unsigned char> target_status, nb_targets;  // [zones]
    std::vector<float> tensor;  // [H*W*2] host preprocessing
    std::vector<float> scores;  // [outputs] host network on tensor
    int valid = 0, raw_class = 0, filtered_class = 0;  // host postprocessing, frames in order
};

// Takes `count` frames from `dataset` (folder or ST zip): consecutive frames of each class's
// recordings, class after class, so the label filter sees real runs, plus two copies of a real
// frame made invalid (no valid zone; target too near). Runs the host runtime over them in order.
// Throws hp::Error if the dataset has too few usable frames or its zones do not fit the model.
std::vector<TestFrame> make_test_frames(const Model& model, const DeployOptions& options,
                                        const std::filesystem::path& dataset, int count);

// hp_test_vectors.h and hp_test_vectors.c for firmware/harness.c.
std::map<std::string, std::string> test_vector_files(const Model& model, const std::vector<TestFrame>& frames);

}  // namespace hp::codegen
