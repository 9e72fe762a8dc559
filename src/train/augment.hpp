// Augmentations of the cross-user recipe: what changes between people and sessions, applied to a
// raw sensor frame before the preprocessing (hp_preprocess.h), so background removal, the range
// check and the relative distance all see the frame a sensor would have measured. On the
// preprocessed tensor they could not be exact: a zone the background removal dropped cannot come
// back when the hand moves nearer, and the signal of an invalid zone is gone.
#pragma once

#include "train/init.hpp"

namespace hp::train {

// How much each augmentation varies a frame; 0 switches it off (Augmentation{} changes nothing).
struct Augmentation {
    float distance_offset_mm = 0;  // d += U(-a, a), signal ~ 1/d^2
    float depth_scale = 0;         // d *= U(1 - a, 1 + a), signal ~ 1/d^2
    float reflectance_gain = 0;    // signal *= U(1 - a, 1 + a)
    int zone_shift = 0;            // whole frame moved by U{-a..a} zones per axis, padded with invalid zones
    float zone_dropout = 0;        // each zone invalid with this probability
    float distance_noise_mm = 0;   // d += N(0, a)
    float signal_noise = 0;        // signal *= 1 + N(0, a)
    bool any() const;
};

// The cross-user recipe's amounts: +-60 mm, +-15 %, +-30 %, 1 zone, 5 %, 5 mm, 10 %.
Augmentation cross_user_augmentation();

// One raw frame in the preprocessing's layout: [zones] each, row-major square grid; nb_targets may
// hold NaN (unknown), as datalogs do.
struct RawFrame {
    int zones = 0;
    float *distance_mm = nullptr, *signal_per_spad = nullptr, *target_status = nullptr, *nb_targets = nullptr;
};

// Every zone's distance becomes d' = new_distance(d); its signal follows the inverse square law,
// s' = s (d / d')^2 (a reflector moved from d to d' returns that much less light).
void offset_distance(RawFrame f, float offset_mm);
void scale_depth(RawFrame f, float factor);
void apply_reflectance_gain(RawFrame f, float gain);
// Moves the frame dx zones right and dy zones down; zones that come in from outside are invalid.
void shift_zones(RawFrame f, int dx, int dy);
// Makes zone z invalid (no target), as a dropout or a shift pads it.
void invalidate_zone(RawFrame f, int z);
void drop_zones(RawFrame f, float probability, Rng& rng);
void add_noise(RawFrame f, float distance_sd_mm, float signal_relative_sd, Rng& rng);

// Draws each enabled augmentation's amount from rng and applies them in the order above.
void augment_frame(RawFrame f, const Augmentation& a, Rng& rng);

}  // namespace hp::train
