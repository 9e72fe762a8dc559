/* Multiply-add chain with a strided weight vector (see hp_kernels_f32.h). */
#include "hp_kernels_f32.h"

float hp_dot_f32(float acc, const float *x, const float *w, int w_stride, int n)
{
    int i;
    for (i = 0; i < n; i++, w += w_stride) acc = HP_MADD_F32(x[i], *w, acc);
    return acc;
}
