/* Fully connected layer, bias, optional ReLU over HP_LANES frames (see hp_model_f32_batch.h).
 * Each frame's arithmetic is that of dense_f32.c. */
#include "hp_kernels_f32.h"
#include "hp_model_f32_batch.h"

#define LANES HP_LANES
/* dense_f32.c's UNIT_BLOCK: the units of its whole blocks of 8 take two chains (even and odd
 * inputs), the others one. Here too the 8 units of a block are computed together: 16 vector
 * accumulators, each input vector loaded once for all of them. */
#define UNIT_BLOCK 8

/* See conv2d_3x3_relu_maxpool2x2_f32_lanes.c: straight-line units, one vector op per lane loop. */
#if defined(__GNUC__) && !defined(__clang__)
#define UNROLLED _Pragma("GCC unroll 8")
#define LANE_LOOP _Pragma("GCC unroll 1")
#else
#define UNROLLED
#define LANE_LOOP
#endif

/* Units [first, first + UNIT_BLOCK): bias + even inputs in one chain, odd inputs in another,
 * the two added at the end. */
static void dense_block(const float *restrict input, int inputs, const float *restrict kernel,
                        const float *restrict bias, int outputs, int first, float *restrict output)
{
    float even[UNIT_BLOCK][LANES], odd[UNIT_BLOCK][LANES];
    const float *w0 = kernel + first, *w1 = w0 + outputs; /* rows of even and odd inputs */
    int i, j, l;
    UNROLLED for (j = 0; j < UNIT_BLOCK; j++)
        LANE_LOOP for (l = 0; l < LANES; l++) {
            even[j][l] = bias[first + j];
            odd[j][l] = 0.0f;
        }
    for (i = 0; i + 2 <= inputs; i += 2, w0 += 2 * outputs, w1 += 2 * outputs) {
        const float *x0 = input + i * LANES, *x1 = x0 + LANES;
        UNROLLED for (j = 0; j < UNIT_BLOCK; j++)
            LANE_LOOP for (l = 0; l < LANES; l++) even[j][l] = HP_MADD_F32(x0[l], w0[j], even[j][l]);
        UNROLLED for (j = 0; j < UNIT_BLOCK; j++)
            LANE_LOOP for (l = 0; l < LANES; l++) odd[j][l] = HP_MADD_F32(x1[l], w1[j], odd[j][l]);
    }
    if (i < inputs) {
        const float *x = input + i * LANES;
        UNROLLED for (j = 0; j < UNIT_BLOCK; j++)
            LANE_LOOP for (l = 0; l < LANES; l++) even[j][l] = HP_MADD_F32(x[l], w0[j], even[j][l]);
    }
    UNROLLED for (j = 0; j < UNIT_BLOCK; j++)
        LANE_LOOP for (l = 0; l < LANES; l++) output[(first + j) * LANES + l] = even[j][l] + odd[j][l];
}

/* Unit o after the last whole block: one chain from the bias over the inputs in order. */
static void dense_unit(const float *restrict input, int inputs, const float *restrict kernel,
                       const float *restrict bias, int outputs, int o, float *restrict output)
{
    float acc[LANES];
    int i, l;
    LANE_LOOP for (l = 0; l < LANES; l++) acc[l] = bias[o];
    for (i = 0; i < inputs; i++) {
        const float w = kernel[i * outputs + o];
        LANE_LOOP for (l = 0; l < LANES; l++) acc[l] = HP_MADD_F32(input[i * LANES + l], w, acc[l]);
    }
    LANE_LOOP for (l = 0; l < LANES; l++) output[o * LANES + l] = acc[l];
}

void hp_dense_f32_lanes(const float *input, int inputs, const float *kernel, const float *bias,
                        int outputs, int relu, float *output)
{
    const int full = outputs - outputs % UNIT_BLOCK;
    int o;
    for (o = 0; o < full; o += UNIT_BLOCK)
        dense_block(input, inputs, kernel, bias, outputs, o, output);
    for (; o < outputs; o++) dense_unit(input, inputs, kernel, bias, outputs, o, output);
    /* Element by element, so the per-frame pass's ReLU applies to the lanes layout as it is. */
    if (relu) hp_relu_f32(output, outputs * LANES);
}
