/* Fully connected layer, bias, optional ReLU over HP_LANES frames (see hp_model_f32_batch.h).
 * Each frame's arithmetic is that of dense_f32.c. */
#include "hp_lane_vec.h"
#include "hp_model_f32_batch.h"

#define LANES HP_LANES
/* dense_f32.c's UNIT_BLOCK: the units of its whole blocks of 8 take two chains (even and odd
 * inputs), the others one. */
#define UNIT_BLOCK 8
/* A block's units are computed GROUP at a time over all the lanes (VECS vectors), one chain after
 * the other: GROUP x VECS accumulators fill the accumulator registers, each weight is broadcast
 * once for all the lanes and each input vector loaded once for the GROUP units. */
#define VECS (LANES / HP_LANE_VEC)
#define GROUP (HP_LANE_ACCUMULATORS / VECS < UNIT_BLOCK ? HP_LANE_ACCUMULATORS / VECS : UNIT_BLOCK)

#if defined(__GNUC__) && !defined(__clang__)
#define UNROLLED _Pragma("GCC unroll 8")
#else
#define UNROLLED
#endif

/* Units [first, first + GROUP): acc = start + the inputs first_input, first_input + 2, ... in
 * order (one chain of dense_f32.c). */
static void dense_chain(const float *restrict input, int inputs, int first_input,
                        const float *restrict kernel, int outputs, int first,
                        hp_lane_vec acc[GROUP][VECS])
{
    const float *w = kernel + first_input * outputs + first;
    int i, j, v;
    for (i = first_input; i < inputs; i += 2, w += 2 * outputs) {
        hp_lane_vec x[VECS];
        UNROLLED for (v = 0; v < VECS; v++) x[v] = hp_lane_load(input + i * LANES + v * HP_LANE_VEC);
        UNROLLED for (j = 0; j < GROUP; j++)
            UNROLLED for (v = 0; v < VECS; v++) acc[j][v] = hp_lane_madd(x[v], w[j], acc[j][v]);
    }
}

/* Units [first, first + GROUP) of a whole block: bias + even inputs in one chain, odd inputs in
 * another, the two added at the end. */
static void dense_group(const float *restrict input, int inputs, const float *restrict kernel,
                        const float *restrict bias, int outputs, int first, float *restrict output)
{
    hp_lane_vec acc[GROUP][VECS];
    int j, v;
    UNROLLED for (j = 0; j < GROUP; j++)
        UNROLLED for (v = 0; v < VECS; v++) acc[j][v] = hp_lane_splat(bias[first + j]);
    dense_chain(input, inputs, 0, kernel, outputs, first, acc);
    UNROLLED for (j = 0; j < GROUP; j++)
        UNROLLED for (v = 0; v < VECS; v++) hp_lane_store(output + (first + j) * LANES + v * HP_LANE_VEC, acc[j][v]);
    UNROLLED for (j = 0; j < GROUP; j++)
        UNROLLED for (v = 0; v < VECS; v++) acc[j][v] = hp_lane_splat(0.0f);
    dense_chain(input, inputs, 1, kernel, outputs, first, acc);
    UNROLLED for (j = 0; j < GROUP; j++)
        UNROLLED for (v = 0; v < VECS; v++) {
            float *out = output + (first + j) * LANES + v * HP_LANE_VEC;
            hp_lane_store(out, hp_lane_load(out) + acc[j][v]);
        }
}

/* Unit o after the last whole block, HP_LANE_VEC lanes: one chain from the bias over the inputs in
 * order. */
static void dense_unit(const float *restrict input, int inputs, const float *restrict kernel,
                       const float *restrict bias, int outputs, int o, float *restrict output)
{
    hp_lane_vec acc = hp_lane_splat(bias[o]);
    int i;
    for (i = 0; i < inputs; i++)
        acc = hp_lane_madd(hp_lane_load(input + i * LANES), kernel[i * outputs + o], acc);
    hp_lane_store(output + o * LANES, acc);
}

void hp_dense_f32_lanes(const float *input, int inputs, const float *kernel, const float *bias,
                        int outputs, int relu, float *output)
{
    const int full = outputs - outputs % UNIT_BLOCK;
    int o, lane;
    for (o = 0; o < full; o += GROUP) dense_group(input, inputs, kernel, bias, outputs, o, output);
    for (lane = 0; lane < LANES; lane += HP_LANE_VEC)
        for (o = full; o < outputs; o++)
            dense_unit(input + lane, inputs, kernel, bias, outputs, o, output + lane);
    /* Element by element, so the per-frame pass's ReLU applies to the lanes layout as it is. */
    if (relu) hp_relu_f32(output, outputs * LANES);
}
