// Classification metrics from scores and labels.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hp {

struct ClassMetrics {
    double precision = 0, recall = 0, f1 = 0;
    long support = 0;  // frames whose label is this class
};

struct Metrics {
    std::vector<std::string> class_names;
    long frames = 0;
    double accuracy = 0;
    double loss = 0;  // mean categorical (or binary) cross-entropy
    std::vector<std::vector<long>> confusion;  // [label][predicted]
    std::vector<ClassMetrics> per_class;

    nlohmann::json to_json() const;
};

// scores: [labels.size()][outputs]; outputs = 1 means one sigmoid output for 2 classes.
Metrics compute_metrics(const std::vector<float>& scores, int outputs, const std::vector<int>& labels,
                        const std::vector<std::string>& class_names);

}  // namespace hp
