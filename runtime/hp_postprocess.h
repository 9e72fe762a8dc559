/* Postprocessing of the network's scores into the posture shown to the user, as ST's demo
 * firmware does it (SPEC §9), with every constant settable:
 *   raw class  = argmax of the scores if its score > score_threshold, else class 0 (None);
 *                an invalid frame (out of range) gives class 0;
 *   shown class = the raw class once it has been the raw class label_filter_n frames running;
 *                with keep_last_valid, the shown class stays until another one passes the filter
 *                (without it, the shown class falls back to 0 when the filter is not passed).
 * The filter state is a struct the caller owns. */
#ifndef HP_POSTPROCESS_H
#define HP_POSTPROCESS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    float score_threshold; /* ST: 0.9 */
    int label_filter_n;    /* ST: LABEL_FILTER_N 3 */
    int keep_last_valid;   /* ST: KEEP_LAST_VALID 1 */
} hp_postprocess_config;

#define HP_POSTPROCESS_DEFAULTS {0.9f, 3, 1}

typedef struct {
    int candidate;     /* raw class of the current run */
    int run_length;    /* frames the candidate has been the raw class */
    int shown;         /* filtered class */
} hp_label_filter;

/* Resets the filter: shown class 0, no run. */
void hp_label_filter_init(hp_label_filter *filter);

/* Raw class of one frame. scores: [outputs]; outputs = 1 means one sigmoid score for 2 classes
 * (class 1 if the score > 0.5). frame_valid = 0 gives class 0. */
int hp_raw_class(const hp_postprocess_config *config, const float *scores, int outputs, int frame_valid);

/* Feeds one raw class through the label filter; returns the shown class. */
int hp_label_filter_update(const hp_postprocess_config *config, hp_label_filter *filter, int raw_class);

#ifdef __cplusplus
}
#endif
#endif
