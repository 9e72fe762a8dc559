#include "hp_postprocess.h"

#include <stddef.h>

void hp_label_filter_init(hp_label_filter *filter)
{
    filter->candidate = 0;
    filter->run_length = 0;
    filter->shown = 0;
}

/* ST's selection: scan from class 0, a later class takes over only if it beats the best so far
 * AND the threshold; class 0 needs no threshold. For softmax scores this is "argmax if its
 * score > threshold, else 0". */
static int select_class(const float *scores, int count, float threshold)
{
    float best = scores[0];
    int best_index = 0, i;
    for (i = 1; i < count; i++) {
        if (scores[i] > best && scores[i] > threshold) {
            best = scores[i];
            best_index = i;
        }
    }
    return best_index;
}

int hp_raw_class(const hp_postprocess_config *config, const float *scores, int outputs, int frame_valid)
{
    if (!frame_valid || scores == NULL || outputs < 1) return 0;
    if (outputs == 1) {
        /* One sigmoid score s = P(class 1): select over the two probabilities [1 - s, s]. */
        float pair[2];
        pair[0] = 1.0f - scores[0];
        pair[1] = scores[0];
        return select_class(pair, 2, config->score_threshold);
    }
    return select_class(scores, outputs, config->score_threshold);
}

int hp_label_filter_update(const hp_postprocess_config *config, hp_label_filter *filter, int raw_class)
{
    if (raw_class == filter->candidate) {
        /* The counter saturates at label_filter_n; from the frame after it does, the class is
         * shown. (A count above n, possible only with n < 0, restarts it, as in ST's code.) */
        if (filter->run_length < config->label_filter_n)
            filter->run_length++;
        else if (filter->run_length == config->label_filter_n)
            filter->shown = raw_class;
        else
            filter->run_length = 0;
    } else {
        filter->run_length = 0;
        if (!config->keep_last_valid) filter->shown = 0;
    }
    filter->candidate = raw_class;
    return filter->shown;
}
