#include "eval/metrics.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "model/predict.hpp"

namespace hp {

// Keras clips probabilities to [eps, 1 - eps] before taking logs (backend.epsilon() = 1e-7).
static constexpr double kEpsilon = 1e-7;

static double clip(double p) { return std::clamp(p, kEpsilon, 1.0 - kEpsilon); }

// Keras categorical_crossentropy: rescale the row to sum 1, clip, -log of the label's score.
static double categorical_loss(const float* row, int outputs, int label)
{
    double sum = 0;
    for (int j = 0; j < outputs; j++) sum += row[j];
    double p = sum > 0 ? row[label] / sum : 0.0;
    return -std::log(clip(p));
}

// Keras binary_crossentropy: clip, then -(y log(p + eps) + (1 - y) log(1 - p + eps)).
static double binary_loss(float score, int label)
{
    double p = clip(score);
    return label == 1 ? -std::log(p + kEpsilon) : -std::log(1.0 - p + kEpsilon);
}

Metrics compute_metrics(const std::vector<float>& scores, int outputs, const std::vector<int>& labels,
                        const std::vector<std::string>& class_names)
{
    if (outputs < 1) throw Error("metrics", "outputs must be >= 1, got " + std::to_string(outputs));
    const int classes = outputs == 1 ? 2 : outputs;
    if (int(class_names.size()) != classes)
        throw Error("metrics", std::to_string(class_names.size()) + " class names for " + std::to_string(classes) +
                                   " classes");
    if (scores.size() != labels.size() * size_t(outputs))
        throw Error("metrics", std::to_string(scores.size()) + " scores for " + std::to_string(labels.size()) +
                                   " labels of " + std::to_string(outputs) + " outputs");

    Metrics m;
    m.class_names = class_names;
    m.frames = long(labels.size());
    m.confusion.assign(size_t(classes), std::vector<long>(size_t(classes), 0));
    long correct = 0;
    double loss_sum = 0;
    for (size_t i = 0; i < labels.size(); i++) {
        const int label = labels[i];
        if (label < 0 || label >= classes)
            throw Error("metrics", "label " + std::to_string(label) + " of frame " + std::to_string(i) +
                                       " is outside [0, " + std::to_string(classes) + ")");
        const float* row = scores.data() + i * size_t(outputs);
        const int predicted = predicted_class(row, outputs);
        m.confusion[size_t(label)][size_t(predicted)]++;
        correct += predicted == label;
        loss_sum += outputs == 1 ? binary_loss(row[0], label) : categorical_loss(row, outputs, label);
    }
    if (m.frames > 0) {
        m.accuracy = double(correct) / double(m.frames);
        m.loss = loss_sum / double(m.frames);
    }

    // Per class, one-vs-rest; a ratio with a zero denominator is 0 (as sklearn's zero_division=0).
    m.per_class.resize(size_t(classes));
    for (int c = 0; c < classes; c++) {
        long true_positives = m.confusion[size_t(c)][size_t(c)], predicted = 0, support = 0;
        for (int k = 0; k < classes; k++) {
            predicted += m.confusion[size_t(k)][size_t(c)];
            support += m.confusion[size_t(c)][size_t(k)];
        }
        ClassMetrics& cm = m.per_class[size_t(c)];
        cm.support = support;
        cm.precision = predicted > 0 ? double(true_positives) / double(predicted) : 0.0;
        cm.recall = support > 0 ? double(true_positives) / double(support) : 0.0;
        cm.f1 = cm.precision + cm.recall > 0 ? 2 * cm.precision * cm.recall / (cm.precision + cm.recall) : 0.0;
    }
    return m;
}

nlohmann::json Metrics::to_json() const
{
    // per_class is an array in output order (a JSON object would sort the class names).
    nlohmann::json per_class_json = nlohmann::json::array();
    for (size_t c = 0; c < per_class.size(); c++) {
        const ClassMetrics& cm = per_class[c];
        per_class_json.push_back({{"class", c < class_names.size() ? class_names[c] : std::to_string(c)},
                                  {"precision", cm.precision},
                                  {"recall", cm.recall},
                                  {"f1", cm.f1},
                                  {"support", cm.support}});
    }
    return {{"frames", frames},           {"accuracy", accuracy},   {"loss", loss},
            {"class_names", class_names}, {"confusion", confusion}, {"per_class", per_class_json}};
}

}  // namespace hp
