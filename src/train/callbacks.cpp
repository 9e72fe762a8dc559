#include "train/callbacks.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace hp::train {

bool monitor_is_maximized(const std::string& monitor)
{
    if (monitor == "val_accuracy" || monitor == "accuracy") return true;
    if (monitor == "val_loss" || monitor == "loss") return false;
    throw Error("monitor", "unknown quantity '" + monitor + "' (use val_loss, val_accuracy, loss or accuracy)");
}

// Keras: max mode improves if value - min_delta > best; min mode if value + min_delta < best.
static bool improves(double value, double best, double min_delta, bool maximize)
{
    if (std::isnan(best)) return !std::isnan(value);
    return maximize ? value - min_delta > best : value + min_delta < best;
}

float ReduceLrOnPlateau::on_epoch_end(double value, float lr)
{
    if (cooldown_left_ > 0) {
        cooldown_left_--;
        wait_ = 0;
    }
    if (improves(value, best_, s_.min_delta, maximize_)) {
        best_ = value;
        wait_ = 0;
    } else if (cooldown_left_ == 0) {
        wait_++;
        if (wait_ >= s_.patience) {
            if (lr > float(s_.min_lr)) {
                lr = float(std::max(double(lr) * s_.factor, s_.min_lr));
                cooldown_left_ = s_.cooldown;
                wait_ = 0;
            }
        }
    }
    return lr;
}

bool EarlyStopping::on_epoch_end(int epoch, double value, bool& improved)
{
    wait_++;
    improved = improves(value, best_, s_.min_delta, maximize_);
    if (improved) {
        best_ = value;
        best_epoch_ = epoch;
        wait_ = 0;
    }
    return wait_ >= s_.patience && epoch > 0;
}

}  // namespace hp::train
