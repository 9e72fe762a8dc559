/* Softmax in place, numerically stable (see hp_kernels_f32.h). */
#include <math.h>

#include "hp_kernels_f32.h"

void hp_softmax_f32(float *x, int n)
{
    float max = x[0], sum = 0.0f;
    int i;
    for (i = 1; i < n; i++)
        if (x[i] > max) max = x[i];
    for (i = 0; i < n; i++) {
        x[i] = expf(x[i] - max);
        sum += x[i];
    }
    sum = 1.0f / sum;
    for (i = 0; i < n; i++) x[i] *= sum;
}
