/* Fully connected layer, bias, optional ReLU (see hp_kernels_f32.h). */
#include "hp_kernels_f32.h"

/* Output units computed together (one AVX register on the host, FPU registers on a Cortex-M4F). */
#define UNIT_BLOCK 8

/* Units [first, first + UNIT_BLOCK): the weights of one input are contiguous. Four inputs are
 * summed before they reach the accumulators: one dependent add per four multiply-adds. */
static void dense_block(const float *restrict input, int inputs, const float *restrict kernel,
                        const float *restrict bias, int outputs, int first, float *restrict output)
{
    float acc[UNIT_BLOCK];
    const float *w = kernel + first;
    int i, j;
    for (j = 0; j < UNIT_BLOCK; j++) acc[j] = bias[first + j];
    for (i = 0; i + 4 <= inputs; i += 4, w += 4 * outputs) {
        const float x0 = input[i], x1 = input[i + 1], x2 = input[i + 2], x3 = input[i + 3];
        const float *w0 = w, *w1 = w + outputs, *w2 = w + 2 * outputs, *w3 = w + 3 * outputs;
        for (j = 0; j < UNIT_BLOCK; j++) acc[j] += (x0 * w0[j] + x1 * w1[j]) + (x2 * w2[j] + x3 * w3[j]);
    }
    for (; i < inputs; i++, w += outputs) {
        const float x = input[i];
        for (j = 0; j < UNIT_BLOCK; j++) acc[j] += x * w[j];
    }
    for (j = 0; j < UNIT_BLOCK; j++) output[first + j] = acc[j];
}

/* The last units when their count is not a multiple of UNIT_BLOCK. */
static void dense_tail(const float *restrict input, int inputs, const float *restrict kernel,
                       const float *restrict bias, int outputs, int first, float *restrict output)
{
    int i, o;
    for (o = first; o < outputs; o++) {
        float acc = bias[o];
        for (i = 0; i < inputs; i++) acc += input[i] * kernel[i * outputs + o];
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
    if (relu) hp_relu_f32(output, outputs);
}
