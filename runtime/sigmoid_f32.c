/* Logistic sigmoid in place (see hp_kernels_f32.h). */
#include "hp_kernels_f32.h"

void hp_sigmoid_f32(float *x, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        /* sigmoid(x) = softmax([0, x])[1]: softmax subtracts the larger of 0 and x, so e^ only
         * sees non-positive numbers and nothing overflows, and the package needs no second copy
         * of the same arithmetic. */
        float pair[2];
        pair[0] = 0.0f;
        pair[1] = x[i];
        hp_softmax_f32(pair, 2);
        x[i] = pair[1];
    }
}
