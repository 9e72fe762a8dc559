/* Postprocessing of the network's scores into the posture shown to the user, exactly as ST's
 * demo firmware does it (SPEC §9, app_network.c: argmax + label_filter), with every constant
 * settable:
 *   raw class   = ST's thresholded argmax: scanning from class 0, class i > 0 takes over only if
 *                 its score beats the best so far AND score_threshold (class 0 needs none). For
 *                 softmax scores: the argmax if its score > threshold, else class 0 (None).
 *                 An invalid frame (nearest target out of range) gives class 0.
 *   2 classes   = one sigmoid score s = P(class 1) goes through the same rule as the pair
 *                 [1 - s, s]: class 1 iff s > 0.5 and s > score_threshold (0.9 by default).
 *   shown class = ST's label filter. A run starts (counter 0) when the raw class changes; each
 *                 further equal frame adds 1 up to label_filter_n; once the counter is at n, every
 *                 further frame of the run shows the class. So with n = 3 a class is shown on the
 *                 5th consecutive frame (n + 2), not the 3rd: that is what ST's firmware does.
 *                 When the raw class changes: keep_last_valid = 1 keeps the shown class until
 *                 another one passes the filter; keep_last_valid = 0 resets it to 0 at once.
 * The filter state is a struct the caller owns; it starts as after hp_label_filter_init (ST's
 * zero-initialized globals: candidate 0, counter 0, shown 0). */
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
    int run_length;    /* ST's label_count: equal frames after the first of the run, capped at n */
    int shown;         /* filtered class */
} hp_label_filter;

/* Resets the filter: shown class 0, no run. */
void hp_label_filter_init(hp_label_filter *filter);

/* Raw class of one frame. scores: [outputs]; outputs = 1 means one sigmoid score for 2 classes
 * (class 1 iff score > 0.5 and > score_threshold). frame_valid = 0 gives class 0. */
int hp_raw_class(const hp_postprocess_config *config, const float *scores, int outputs, int frame_valid);

/* Feeds one raw class through the label filter; returns the shown class. */
int hp_label_filter_update(const hp_postprocess_config *config, hp_label_filter *filter, int raw_class);

#ifdef __cplusplus
}
#endif
#endif
