#include "hp_pipeline.h"

#include <stddef.h>

int hp_pipeline_frame(const hp_pipeline *pipeline, hp_label_filter *filter, const float *distance_mm,
                      const float *signal_per_spad, const float *target_status, const float *nb_targets,
                      float *scores, hp_pipeline_result *result)
{
    const hp_pipeline *p = pipeline;
    int status, valid, o;
    if (p == NULL || filter == NULL || scores == NULL || result == NULL || p->network == NULL)
        return -1;
    status = hp_preprocess_frame(&p->preprocess, p->zones, distance_mm, signal_per_spad,
                                 target_status, nb_targets, p->tensor);
    if (status < 0) return -1;
    valid = status == HP_FRAME_KEPT;
    if (valid) {
        if (p->network(p->network_context, p->tensor, scores) != 0) return -1;
    } else {
        for (o = 0; o < p->outputs; o++) scores[o] = 0.0f;
    }
    result->valid = valid;
    result->raw_class = hp_raw_class(&p->postprocess, scores, p->outputs, valid);
    result->filtered_class = hp_label_filter_update(&p->postprocess, filter, result->raw_class);
    return 0;
}
