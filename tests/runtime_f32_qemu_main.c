/* Target side of the RuntimeF32Qemu tests (runtime_f32_qemu_test.cpp): every case of the runtime
 * fixture through the float32 kernels and hp_model_f32_run on an emulated Cortex-M, so the Arm
 * paths meet every shape the fixture has (filters and units that are not multiples of 8, odd
 * input counts, 1 to 3 channels, a sigmoid output). Each value must be within 1e-5 (relative
 * above 1) of PyTorch's, as on the host, and nothing may be written past an output. Prints a line
 * per mismatch and a summary; exit code 0 iff everything matches. */
#include <math.h>
#include <stdio.h>

#include "hp_kernels_f32.h"
#include "hp_model.h"
#include "runtime_f32_cases.h"

extern void initialise_monitor_handles(void);

#define GUARD 4
#define UNTOUCHED -99.0f

static float out[HP_CASE_MAX_FLOATS + GUARD];
static float scratch[HP_CASE_MAX_SCRATCH + GUARD];
static int mismatches;

static void fill(float *x, int n)
{
    int i;
    for (i = 0; i < n + GUARD; i++) x[i] = UNTOUCHED;
}

static void check(const char *name, const char *what, const float *got, const float *expected, int n)
{
    int i;
    for (i = 0; i < n + GUARD; i++) {
        const int bad = i < n ? !(fabsf(got[i] - expected[i]) <= 1e-5f * fmaxf(1.0f, fabsf(expected[i])))
                              : got[i] != UNTOUCHED;
        if (!bad) continue;
        if (mismatches < 20)
            printf("%s %s [%d]: %.9g, expected %.9g\n", name, what, i, (double)got[i],
                   i < n ? (double)expected[i] : (double)UNTOUCHED);
        mismatches++;
    }
}

int main(void)
{
    int c;
    initialise_monitor_handles();
    for (c = 0; c < HP_CASE_COUNT; c++) {
        const hp_case *t = &hp_cases[c];
        const hp_model_f32 *m = &t->model;
        const int pooled = (m->height - 2) / 2 * ((m->width - 2) / 2) * m->conv_filters;
        const int scratch_floats = (int)hp_model_f32_scratch_floats(m);

        fill(out, pooled);
        hp_conv2d_3x3_relu_maxpool2x2_f32(t->input, m->height, m->width, m->channels, m->conv_kernel,
                                          m->conv_bias, m->conv_filters, out);
        check(t->name, "conv relu pool", out, t->pool, pooled);

        fill(out, m->dense_units);
        hp_dense_f32(t->pool, pooled, m->dense1_kernel, m->dense1_bias, m->dense_units, 0, out);
        check(t->name, "dense linear", out, t->hidden_linear, m->dense_units);
        fill(out, m->dense_units);
        hp_dense_f32(t->pool, pooled, m->dense1_kernel, m->dense1_bias, m->dense_units, 1, out);
        check(t->name, "dense relu", out, t->hidden, m->dense_units);

        fill(out, m->outputs);
        hp_dense_f32(t->hidden, m->dense_units, m->dense2_kernel, m->dense2_bias, m->outputs, 0, out);
        check(t->name, "output dense", out, t->logits, m->outputs);

        fill(out, m->outputs);
        fill(scratch, scratch_floats);
        if (scratch_floats <= 0 || hp_model_f32_run(m, t->input, out, scratch) != 0) {
            printf("%s: hp_model_f32_run failed\n", t->name);
            mismatches++;
        }
        check(t->name, "scores", out, t->scores, m->outputs);
        check(t->name, "scratch guard", scratch + scratch_floats, scratch, 0);
    }
    printf("%s: %d cases, %d mismatches\n", mismatches ? "FAIL" : "PASS", HP_CASE_COUNT, mismatches);
    return mismatches ? 1 : 0;
}
