/* The per-frame pipeline: one raw sensor frame in, the network's scores, the raw posture and the
 * posture to show out. The one implementation: deploy packages (float32 and int8), live mode and
 * the packages' test vectors all call it, so they cannot disagree on any frame.
 *
 *   1. hp_preprocess_frame (validity rule, background removal, normalization, hp_preprocess.h);
 *   2. a valid frame (nearest valid target within [min_distance, max_distance]) goes through the
 *      network; an invalid one does not, and its scores are all 0 (ST's firmware, app_network.c:
 *      Network_Inference runs on valid frames only and zeroes the output otherwise);
 *   3. hp_raw_class: ST's thresholded argmax, class 0 (None) for an invalid frame;
 *   4. hp_label_filter_update: ST's label filter (hp_postprocess.h).
 *
 * The network is a callback, so a float32 model (hp_model.h), an int8 one (hp_model_s8.h) or a
 * test double all fit. No allocation: every buffer is the caller's.
 */
#ifndef HP_PIPELINE_H
#define HP_PIPELINE_H

#include "hp_postprocess.h"
#include "hp_preprocess.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Runs the network: input [zones * 2] normalized tensor -> scores [outputs]. Returns 0, or
 * nonzero on failure. `context` is hp_pipeline.network_context (weights, scratch). */
typedef int (*hp_network_run)(void *context, const float *input, float *scores);

/* What stays the same from frame to frame; may be const (in flash on a microcontroller). */
typedef struct {
    hp_preprocess_config preprocess;
    hp_postprocess_config postprocess;
    int zones;                 /* 16 or 64: the network's input is H x W x 2 with H * W = zones */
    int outputs;               /* the network's scores: classes, or 1 for a 2-class sigmoid model */
    hp_network_run network;
    void *network_context;
    float *tensor;             /* [zones * 2]: the preprocessed frame; a network may use it as scratch */
} hp_pipeline;

typedef struct {
    int valid;          /* nearest valid target within [min_distance, max_distance] */
    int raw_class;      /* thresholded argmax; 0 for an invalid frame */
    int filtered_class; /* after the label filter: the class to show */
} hp_pipeline_result;

/* One frame. distance_mm, signal_per_spad, target_status: [zones]; nb_targets: [zones] or NULL
 * if unknown (hp_preprocess_frame). scores: [outputs], written for every frame (all 0 when
 * invalid). filter: the caller's label filter state (hp_label_filter_init before the first
 * frame). Returns 0, or -1 for a bad argument or a failed network (result and filter unchanged). */
int hp_pipeline_frame(const hp_pipeline *pipeline, hp_label_filter *filter, const float *distance_mm,
                      const float *signal_per_spad, const float *target_status, const float *nb_targets,
                      float *scores, hp_pipeline_result *result);

#ifdef __cplusplus
}
#endif
#endif
