/* Preprocessing of one multi-zone Time-of-Flight frame into the network's input tensor.
 *
 * This is the only implementation: training, host inference, live mode and the generated
 * microcontroller code all call it, so they can never disagree (ST's firmware re-implements
 * it with strict inequalities; we do not).
 *
 * Steps (training semantics of ST's model zoo):
 *   1. a zone is valid iff target_status is 5 or 9 (and nb_targets > 0 when known: nb_targets
 *      is unknown for the whole frame when NULL or when any of its zones is NaN, as recordings
 *      without the field, or with gaps in it, give);
 *   2. m = min distance over valid zones (default_distance if none);
 *   3. the frame is kept iff min_distance <= m <= max_distance;
 *   4. a valid zone farther than m + background_distance becomes invalid;
 *   5. an invalid zone gets distance = default_distance, signal = default_signal;
 *   6. with HP_DISTANCE_RELATIVE, a kept zone's distance becomes d - m + HP_RELATIVE_DISTANCE_BASE
 *      (the hand's shape, not how far it is held: a model trained on it carries across people);
 *   7. out = normalized tensor, H x W x 2 (channel 0 distance, channel 1 signal), zone z = row*W+col.
 */
#ifndef HP_PREPROCESS_H
#define HP_PREPROCESS_H

#ifdef __cplusplus
extern "C" {
#endif

/* What the distance channel holds. A model is trained with one and must run with the same:
 * model files record it. */
typedef enum {
    HP_DISTANCE_ABSOLUTE = 0, /* ST's: the measured distance */
    HP_DISTANCE_RELATIVE = 1  /* kept zones: d - m + HP_RELATIVE_DISTANCE_BASE (m: nearest valid zone) */
} hp_distance_mode;

typedef struct {
    float max_distance;        /* mm, ST: Max_distance */
    float min_distance;        /* mm, ST: Min_distance */
    float background_distance; /* mm, ST: Background_distance */
    int distance_mode;         /* an hp_distance_mode */
} hp_preprocess_config;

/* ST's defaults. */
#define HP_PREPROCESS_DEFAULTS {400.0f, 100.0f, 120.0f, HP_DISTANCE_ABSOLUTE}

/* mm a relative distance adds to d - m: the nearest zone sits at a typical hand distance, so the
 * normalization constants below still centre the values. */
#define HP_RELATIVE_DISTANCE_BASE 250.0f

#define HP_DEFAULT_DISTANCE 4000.0f
#define HP_DEFAULT_SIGNAL 0.0f
#define HP_DISTANCE_MEAN 295.0f
#define HP_DISTANCE_SCALE 196.0f
#define HP_SIGNAL_MEAN 281.0f
#define HP_SIGNAL_SCALE 452.0f

typedef enum {
    HP_FRAME_KEPT = 0,         /* out holds the normalized tensor */
    HP_FRAME_OUT_OF_RANGE = 1, /* nearest valid target outside [min, max]; out holds the tensor anyway */
    HP_FRAME_BAD_ARGUMENT = -1 /* zones not 16 or 64, or a NULL pointer */
} hp_frame_status;

/* Side of the square grid of a frame of `zones` zones: 4 for 16 (4x4), 8 for 64 (8x8), 0 for
 * any other count (no sensor mode gives it). */
int hp_grid_side(int zones);

/* Returns 1 if target_status means a valid range (5 or 9). */
int hp_zone_status_valid(float target_status);

/* Preprocesses one frame of `zones` zones (16 or 64).
 * distance_mm, signal_per_spad, target_status: [zones]; nb_targets: [zones], or NULL if unknown
 * (a NaN in it also makes it unknown for this frame).
 * out: [zones * 2] = H x W x 2. Returns an hp_frame_status (HP_FRAME_BAD_ARGUMENT also for an
 * unknown distance_mode). */
int hp_preprocess_frame(const hp_preprocess_config *config, int zones,
                        const float *distance_mm, const float *signal_per_spad,
                        const float *target_status, const float *nb_targets, float *out);

#ifdef __cplusplus
}
#endif
#endif
