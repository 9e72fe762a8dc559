/* Logistic sigmoid in place (see hp_kernels_f32.h). */
#include "hp_kernels_f32.h"

void hp_sigmoid_f32(float *x, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        /* e^x of a non-positive number only: no overflow for large |x|. */
        const float e = hp_exp_f32(-fabsf(x[i]));
        x[i] = x[i] >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
    }
}
