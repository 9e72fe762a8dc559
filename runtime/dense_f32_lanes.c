/* Fully connected layer, bias, optional ReLU over HP_LANES frames (see hp_model_f32_batch.h).
 * Each frame's arithmetic is that of dense_f32.c. */
#include "hp_lane_vec.h"
#include "hp_model_f32_batch.h"

#define LANES HP_LANES
/* dense_f32.c's UNIT_BLOCK: the units of its whole blocks of 8 take two chains (even and odd
 * inputs), the others one. */
#define UNIT_BLOCK 8
/* Units of a block computed together on one vector of lanes: GROUP units x 2 chains fill the
 * accumulator registers (8 units with AVX-512 and NEON, 4 with AVX and SSE), each input vector
 * loaded once for all of them. */
#define GROUP (HP_LANE_ACCUMULATORS / 2)

#if defined(__GNUC__) && !defined(__clang__)
#define UNROLLED _Pragma("GCC unroll 8")
#else
#define UNROLLED
#endif

/* Units [first, first + GROUP) of a whole block, for the HP_LANE_VEC lanes at `input`: bias + even
 * inputs in one chain, odd inputs in another, the two added at the end. */
static void dense_group(const float *restrict input, int inputs, const float *restrict kernel,
                        const float *restrict bias, int outputs, int first, float *restrict output)
{
    hp_lane_vec even[GROUP], odd[GROUP];
    const float *w0 = kernel + first, *w1 = w0 + outputs; /* rows of even and odd inputs */
    int i, j;
    UNROLLED for (j = 0; j < GROUP; j++) {
        even[j] = hp_lane_splat(bias[first + j]);
        odd[j] = hp_lane_splat(0.0f);
    }
    for (i = 0; i + 2 <= inputs; i += 2, w0 += 2 * outputs, w1 += 2 * outputs) {
        const hp_lane_vec x0 = hp_lane_load(input + i * LANES), x1 = hp_lane_load(input + (i + 1) * LANES);
        UNROLLED for (j = 0; j < GROUP; j++) even[j] = hp_lane_madd(x0, w0[j], even[j]);
        UNROLLED for (j = 0; j < GROUP; j++) odd[j] = hp_lane_madd(x1, w1[j], odd[j]);
    }
    if (i < inputs) {
        const hp_lane_vec x = hp_lane_load(input + i * LANES);
        UNROLLED for (j = 0; j < GROUP; j++) even[j] = hp_lane_madd(x, w0[j], even[j]);
    }
    UNROLLED for (j = 0; j < GROUP; j++) hp_lane_store(output + (first + j) * LANES, even[j] + odd[j]);
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
    for (lane = 0; lane < LANES; lane += HP_LANE_VEC) {
        for (o = 0; o < full; o += GROUP)
            dense_group(input + lane, inputs, kernel, bias, outputs, o, output + lane);
        for (; o < outputs; o++) dense_unit(input + lane, inputs, kernel, bias, outputs, o, output + lane);
    }
    /* Element by element, so the per-frame pass's ReLU applies to the lanes layout as it is. */
    if (relu) hp_relu_f32(output, outputs * LANES);
}
