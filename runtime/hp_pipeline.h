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
 * test double all fit; a package, which has one network, names it in its hp_config.h
 * (HP_CONFIG_PIPELINE_NETWORK) and the pipeline calls it directly. No allocation: every buffer
 * is the caller's.
 *
 * hp_pipeline_frame is defined here, static inline: in a package the compiler builds it into
 * hp_process_frame with the package's constant settings, so the argument checks on them fold
 * away and no call level is added (flash and stack of a hand-written hp_process_frame). */
#ifndef HP_PIPELINE_H
#define HP_PIPELINE_H

#include <stddef.h>

#include "hp_config.h"
#include "hp_postprocess.h"
#include "hp_preprocess.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Runs the network: input [zones * 2] normalized tensor -> scores [outputs]. Returns 0, or
 * nonzero on failure. `context` is hp_pipeline.network_context (weights, scratch). */
typedef int (*hp_network_run)(void *context, const float *input, float *scores);

#ifdef HP_CONFIG_PIPELINE_NETWORK
/* The package's network (hp_run): same contract, without a context. */
int HP_CONFIG_PIPELINE_NETWORK(const float *input, float *scores);
#endif

/* What stays the same from frame to frame; may be const (in flash on a microcontroller). The
 * two configurations are pointed to, not copied, so a package keeps them once. */
typedef struct {
    const hp_preprocess_config *preprocess;
    const hp_postprocess_config *postprocess;
    int zones;                 /* 16 or 64: the network's input is H x W x 2 with H * W = zones */
    int outputs;               /* the network's scores: classes, or 1 for a 2-class sigmoid model */
#ifndef HP_CONFIG_PIPELINE_NETWORK
    hp_network_run network;
    void *network_context;
#endif
    float *tensor;             /* [zones * 2]: the preprocessed frame; a network may use it as scratch */
} hp_pipeline;

/* Whether the pipeline has a network to call (a package's is always there). */
static inline int hp_pipeline_has_network(const hp_pipeline *pipeline)
{
#ifdef HP_CONFIG_PIPELINE_NETWORK
    (void)pipeline;
    return 1;
#else
    return pipeline->network != NULL;
#endif
}

/* The network on the preprocessed tensor: 0, or nonzero on failure. */
static inline int hp_pipeline_run_network(const hp_pipeline *pipeline, float *scores)
{
#ifdef HP_CONFIG_PIPELINE_NETWORK
    return HP_CONFIG_PIPELINE_NETWORK(pipeline->tensor, scores);
#else
    return pipeline->network(pipeline->network_context, pipeline->tensor, scores);
#endif
}

/* One frame. distance_mm, signal_per_spad, target_status: [zones]; nb_targets: [zones] or NULL
 * if unknown (hp_preprocess_frame). filter: the caller's label filter state
 * (hp_label_filter_init before the first frame). The outcome goes straight into the caller's
 * memory (a package's hp_result), so nothing is copied:
 *   scores          [outputs], written for every frame (all 0 when invalid);
 *   valid           nearest valid target within [min_distance, max_distance];
 *   raw_class       thresholded argmax; 0 for an invalid frame;
 *   filtered_class  after the label filter: the class to show.
 * Returns 0, or -1 for a bad argument or a failed network (the filter unchanged; the outcome
 * is then not to be used). */
static inline int hp_pipeline_frame(const hp_pipeline *pipeline, hp_label_filter *filter,
                                    const float *distance_mm, const float *signal_per_spad,
                                    const float *target_status, const float *nb_targets, float *scores,
                                    int *valid, int *raw_class, int *filtered_class)
{
    const hp_pipeline *p = pipeline;
    int status, o;
    if (p == NULL || p->postprocess == NULL || filter == NULL || scores == NULL || valid == NULL ||
        raw_class == NULL || filtered_class == NULL || !hp_pipeline_has_network(p))
        return -1;
    status = hp_preprocess_frame(p->preprocess, p->zones, distance_mm, signal_per_spad, target_status,
                                 nb_targets, p->tensor);
    if (status < 0) return -1;
    /* Each output is stored as soon as it is known: nothing is kept across the calls (stack). */
    *valid = status == HP_FRAME_KEPT;
    if (*valid) {
        if (hp_pipeline_run_network(p, scores) != 0) return -1;
    } else {
        for (o = 0; o < p->outputs; o++) scores[o] = 0.0f;
    }
    *raw_class = hp_raw_class(p->postprocess, scores, p->outputs, *valid);
    *filtered_class = hp_label_filter_update(p->postprocess, filter, *raw_class);
    return 0;
}

#ifdef __cplusplus
}
#endif
#endif
