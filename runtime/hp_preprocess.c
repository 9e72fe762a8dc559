#include "hp_preprocess.h"

#include <stddef.h>

int hp_grid_side(int zones)
{
    return zones == 16 ? 4 : zones == 64 ? 8 : 0;
}

int hp_zone_status_valid(float target_status)
{
    return target_status == 5.0f || target_status == 9.0f;
}

static int zone_valid(const float *target_status, const float *nb_targets, int z)
{
    if (!hp_zone_status_valid(target_status[z])) return 0;
    return nb_targets == NULL || nb_targets[z] > 0.0f;
}

/* nb_targets, or NULL when a zone's count is NaN: the recording did not know it for this frame. */
static const float *known_nb_targets(const float *nb_targets, int zones)
{
    int z;
    if (nb_targets == NULL) return NULL;
    for (z = 0; z < zones; z++)
        if (nb_targets[z] != nb_targets[z]) return NULL;
    return nb_targets;
}

int hp_preprocess_frame(const hp_preprocess_config *config, int zones,
                        const float *distance_mm, const float *signal_per_spad,
                        const float *target_status, const float *nb_targets, float *out)
{
    float nearest = HP_DEFAULT_DISTANCE;
    int z;
    if (config == NULL || distance_mm == NULL || signal_per_spad == NULL ||
        target_status == NULL || out == NULL || hp_grid_side(zones) == 0 ||
        (config->distance_mode != HP_DISTANCE_ABSOLUTE && config->distance_mode != HP_DISTANCE_RELATIVE))
        return HP_FRAME_BAD_ARGUMENT;
    nb_targets = known_nb_targets(nb_targets, zones);

    for (z = 0; z < zones; z++)
        if (zone_valid(target_status, nb_targets, z) && distance_mm[z] < nearest)
            nearest = distance_mm[z];

    for (z = 0; z < zones; z++) {
        float distance = HP_DEFAULT_DISTANCE, signal = HP_DEFAULT_SIGNAL;
        if (zone_valid(target_status, nb_targets, z) &&
            distance_mm[z] <= nearest + config->background_distance) {
            distance = config->distance_mode == HP_DISTANCE_RELATIVE
                           ? distance_mm[z] - nearest + HP_RELATIVE_DISTANCE_BASE
                           : distance_mm[z];
            signal = signal_per_spad[z];
        }
        out[2 * z] = (distance - HP_DISTANCE_MEAN) / HP_DISTANCE_SCALE;
        out[2 * z + 1] = (signal - HP_SIGNAL_MEAN) / HP_SIGNAL_SCALE;
    }
    return (nearest >= config->min_distance && nearest <= config->max_distance)
               ? HP_FRAME_KEPT
               : HP_FRAME_OUT_OF_RANGE;
}
