/* ReLU in place (see hp_kernels_f32.h). */
#include "hp_kernels_f32.h"

void hp_relu_f32(float *x, int n)
{
    int i;
    for (i = 0; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}
