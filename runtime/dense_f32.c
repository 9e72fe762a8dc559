/* Fully connected layer, bias, optional ReLU (see hp_kernels_f32.h). */
#include "hp_kernels_f32.h"

/* Output units computed together (one AVX register on the host; on a Cortex-M4F two sets of 8
 * accumulators, 8 weights and the input fit its 32 S registers). */
#define UNIT_BLOCK 8

/* Loops over units must become straight-line code, or the accumulators live in memory; -O2 and
 * -Os do not unroll them by themselves. */
#if defined(__GNUC__) && !defined(__clang__)
#define UNROLLED _Pragma("GCC unroll 8")
#else
#define UNROLLED
#endif

/* Units [first, first + UNIT_BLOCK): the weights of one input are contiguous. Even and odd inputs
 * go to two sets of accumulators: two independent multiply-add chains of half the length. */
static void dense_block(const float *restrict input, int inputs, const float *restrict kernel,
                        const float *restrict bias, int outputs, int first, float *restrict output)
{
    float even[UNIT_BLOCK], odd[UNIT_BLOCK];
    const float *w0 = kernel + first, *w1 = w0 + outputs; /* rows of even and odd inputs */
    int i, j;
    UNROLLED for (j = 0; j < UNIT_BLOCK; j++) {
        even[j] = bias[first + j];
        odd[j] = 0.0f;
    }
    for (i = 0; i + 2 <= inputs; i += 2, w0 += 2 * outputs, w1 += 2 * outputs) {
        const float x0 = input[i], x1 = input[i + 1];
        UNROLLED for (j = 0; j < UNIT_BLOCK; j++) even[j] = HP_MADD_F32(x0, w0[j], even[j]);
        UNROLLED for (j = 0; j < UNIT_BLOCK; j++) odd[j] = HP_MADD_F32(x1, w1[j], odd[j]);
    }
    if (i < inputs) {
        const float x = input[i];
        UNROLLED for (j = 0; j < UNIT_BLOCK; j++) even[j] = HP_MADD_F32(x, w0[j], even[j]);
    }
    UNROLLED for (j = 0; j < UNIT_BLOCK; j++) output[first + j] = even[j] + odd[j];
}

/* The last units when their count is not a multiple of UNIT_BLOCK. */
static void dense_tail(const float *restrict input, int inputs, const float *restrict kernel,
                       const float *restrict bias, int outputs, int first, float *restrict output)
{
    int i, o;
    for (o = first; o < outputs; o++) {
        float acc = bias[o];
        for (i = 0; i < inputs; i++) acc = HP_MADD_F32(input[i], kernel[i * outputs + o], acc);
        output[o] = acc;
    }
}

void hp_dense_f32(const float *input, int inputs, const float *kernel, const float *bias,
                  int outputs, int relu, float *output)
{
    const int full = outputs - outputs % UNIT_BLOCK;
    int first;
    for (first = 0; first < full; first += UNIT_BLOCK)
        dense_block(input, inputs, kernel, bias, outputs, first, output);
    if (full < outputs) dense_tail(input, inputs, kernel, bias, outputs, full, output);
    /* ReLU as a separate pass: a select in the block's epilogue keeps it from vectorizing. */
    if (relu) hp_relu_f32(output, outputs);
}
