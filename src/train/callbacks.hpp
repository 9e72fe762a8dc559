// Keras 2.x training callbacks, as plain state machines fed one monitored value per epoch.
#pragma once

#include <limits>
#include <string>

namespace hp::train {

// "val_loss"/"loss" are minimized, "val_accuracy"/"accuracy" maximized (Keras mode "auto").
bool monitor_is_maximized(const std::string& monitor);

struct ReduceLrSettings {
    std::string monitor = "val_loss";
    double factor = 0.1;
    int patience = 20;
    double min_lr = 1e-4;
    double min_delta = 1e-4;  // Keras default: an improvement must beat the best by this much
    int cooldown = 0;
};

// ReduceLROnPlateau: after `patience` epochs without improvement, lr = max(lr * factor, min_lr).
class ReduceLrOnPlateau {
public:
    explicit ReduceLrOnPlateau(const ReduceLrSettings& settings) : s_(settings), maximize_(monitor_is_maximized(settings.monitor)) {}
    // The learning rate to use from the next epoch on, given this epoch's monitored value.
    float on_epoch_end(double value, float lr);

private:
    ReduceLrSettings s_;
    bool maximize_;
    double best_ = std::numeric_limits<double>::quiet_NaN();
    int wait_ = 0, cooldown_left_ = 0;
};

struct EarlyStoppingSettings {
    std::string monitor = "val_accuracy";
    int patience = 40;
    double min_delta = 0;
    bool restore_best_weights = true;
};

// EarlyStopping: stop once `patience` epochs have passed since the last improvement.
class EarlyStopping {
public:
    explicit EarlyStopping(const EarlyStoppingSettings& settings) : s_(settings), maximize_(monitor_is_maximized(settings.monitor)) {}
    // Feeds epoch `epoch` (0-based). `improved` tells whether this epoch is the new best (the
    // weights to restore). Returns true when training must stop after this epoch.
    bool on_epoch_end(int epoch, double value, bool& improved);
    int best_epoch() const { return best_epoch_; }

private:
    EarlyStoppingSettings s_;
    bool maximize_;
    double best_ = std::numeric_limits<double>::quiet_NaN();
    int wait_ = 0, best_epoch_ = -1;
};

}  // namespace hp::train
