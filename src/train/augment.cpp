#include "train/augment.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "hp_preprocess.h"

namespace hp::train {

bool Augmentation::any() const
{
    return distance_offset_mm > 0 || depth_scale > 0 || reflectance_gain > 0 || zone_shift > 0 || zone_dropout > 0 ||
           distance_noise_mm > 0 || signal_noise > 0;
}

Augmentation cross_user_augmentation()
{
    Augmentation a;
    a.distance_offset_mm = 60;
    a.depth_scale = 0.15f;
    a.reflectance_gain = 0.30f;
    a.zone_shift = 1;
    a.zone_dropout = 0.05f;
    a.distance_noise_mm = 5;
    a.signal_noise = 0.10f;
    return a;
}

namespace {

// Moves zone z from distance d to d2 > 0, its signal by the inverse square law.
void move_zone(RawFrame f, int z, float d2)
{
    const float d = f.distance_mm[z];
    if (d > 0 && d2 > 0) f.signal_per_spad[z] *= (d / d2) * (d / d2);
    f.distance_mm[z] = d2 > 0 ? d2 : 0;
}

float uniform(Rng& rng, float lo, float hi) { return lo + (hi - lo) * rng.uniform01(); }

// Standard normal by Box-Muller from two uniforms (same numbers with every standard library).
float normal(Rng& rng)
{
    const float u1 = 1.0f - rng.uniform01(), u2 = rng.uniform01();  // u1 in (0, 1]
    return std::sqrt(-2.0f * std::log(u1)) * std::cos(6.28318530718f * u2);
}

}  // namespace

void offset_distance(RawFrame f, float offset_mm)
{
    for (int z = 0; z < f.zones; z++) move_zone(f, z, f.distance_mm[z] + offset_mm);
}

void scale_depth(RawFrame f, float factor)
{
    for (int z = 0; z < f.zones; z++) move_zone(f, z, f.distance_mm[z] * factor);
}

void apply_reflectance_gain(RawFrame f, float gain)
{
    for (int z = 0; z < f.zones; z++) f.signal_per_spad[z] *= gain;
}

void invalidate_zone(RawFrame f, int z)
{
    f.distance_mm[z] = HP_DEFAULT_DISTANCE;
    f.signal_per_spad[z] = HP_DEFAULT_SIGNAL;
    f.target_status[z] = 255;  // no target (neither 5 nor 9)
    f.nb_targets[z] = 0;
}

void shift_zones(RawFrame f, int dx, int dy)
{
    const int side = hp_grid_side(f.zones);
    float* planes[] = {f.distance_mm, f.signal_per_spad, f.target_status, f.nb_targets};
    std::vector<float> copy(size_t(f.zones));
    for (float* plane : planes) {
        copy.assign(plane, plane + f.zones);
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++) {
                const int sx = x - dx, sy = y - dy;
                if (sx >= 0 && sx < side && sy >= 0 && sy < side) plane[y * side + x] = copy[size_t(sy * side + sx)];
            }
    }
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
            if (x - dx < 0 || x - dx >= side || y - dy < 0 || y - dy >= side) invalidate_zone(f, y * side + x);
}

void drop_zones(RawFrame f, float probability, Rng& rng)
{
    for (int z = 0; z < f.zones; z++)
        if (rng.bernoulli(probability)) invalidate_zone(f, z);
}

void add_noise(RawFrame f, float distance_sd_mm, float signal_relative_sd, Rng& rng)
{
    for (int z = 0; z < f.zones; z++) {
        f.distance_mm[z] += distance_sd_mm * normal(rng);
        f.signal_per_spad[z] *= std::max(0.0f, 1.0f + signal_relative_sd * normal(rng));
    }
}

void augment_frame(RawFrame f, const Augmentation& a, Rng& rng)
{
    if (a.distance_offset_mm > 0) offset_distance(f, uniform(rng, -a.distance_offset_mm, a.distance_offset_mm));
    if (a.depth_scale > 0) scale_depth(f, uniform(rng, 1 - a.depth_scale, 1 + a.depth_scale));
    if (a.reflectance_gain > 0) apply_reflectance_gain(f, uniform(rng, 1 - a.reflectance_gain, 1 + a.reflectance_gain));
    if (a.zone_shift > 0) {
        const uint32_t choices = uint32_t(2 * a.zone_shift + 1);
        const int dx = int(rng.below(choices)) - a.zone_shift, dy = int(rng.below(choices)) - a.zone_shift;
        shift_zones(f, dx, dy);
    }
    if (a.zone_dropout > 0) drop_zones(f, a.zone_dropout, rng);
    if (a.distance_noise_mm > 0 || a.signal_noise > 0) add_noise(f, a.distance_noise_mm, a.signal_noise, rng);
}

}  // namespace hp::train
