/* Softmax in place over HP_LANES frames (see hp_model_f32_batch.h): each frame's arithmetic is
 * that of hp_softmax_f32 (softmax_f32.c), its exponential included, a vector of lanes at a time. */
#include "hp_kernels_f32.h"
#include "hp_lane_vec.h"
#include "hp_model_f32_batch.h"

#define LANES HP_LANES

typedef uint32_t lane_bits __attribute__((vector_size(HP_LANE_VEC * sizeof(float))));

/* softmax_f32.c's exp_reduced lane by lane: the same operations in the same order; lanes whose t
 * is at or below 2^23 (x below about -87.3) give 0, as its early return does. */
static hp_lane_vec exp_reduced(hp_lane_vec x)
{
    const hp_lane_vec t = x * HP_EXP_LOG2E + HP_EXP_SHIFT, k = t - HP_EXP_SHIFT;
    const hp_lane_mask bits = (hp_lane_mask)t, underflow = bits <= HP_EXP_2P23_BITS;
    hp_lane_vec r, p;
    lane_bits scale;
    r = x - k * HP_EXP_LN2_HI;
    r = r - k * HP_EXP_LN2_LO;
    p = hp_lane_splat(HP_EXP_Q4);
    p = p * r + HP_EXP_Q3;
    p = p * r + HP_EXP_Q2;
    p = p * r + HP_EXP_Q1;
    p = p * r + HP_EXP_Q0;
    p = p * r * r + r + 1.0f;
    scale = (lane_bits)bits << 23; /* (k + 127) << 23: the shift's other bits move out */
    return (hp_lane_vec)((hp_lane_mask)(p * (hp_lane_vec)scale) & ~underflow);
}

void hp_softmax_f32_lanes(float *x, int n)
{
    int lane, i;
    for (lane = 0; lane < LANES; lane += HP_LANE_VEC) {
        float *v = x + lane;
        hp_lane_vec max = hp_lane_load(v), sum = hp_lane_splat(0.0f), inverse;
        for (i = 1; i < n; i++) max = hp_lane_max(hp_lane_load(v + i * LANES), max);
        for (i = 0; i < n; i++) {
            const hp_lane_vec e = exp_reduced(hp_lane_load(v + i * LANES) - max);
            hp_lane_store(v + i * LANES, e);
            sum = sum + e;
        }
        inverse = 1.0f / sum;
        for (i = 0; i < n; i++) hp_lane_store(v + i * LANES, hp_lane_load(v + i * LANES) * inverse);
    }
}
