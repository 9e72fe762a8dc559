/* Target side of the RuntimeNetF32Qemu tests (runtime_net_f32_qemu_test.cpp): every single
 * convolution and network of the layer-list fixture through hp_conv2d_f32 and hp_net_f32_run on
 * an emulated Cortex-M. Each value must be within 1e-5 (relative above 1) of PyTorch's, as on the
 * host; with HP_NET_HOST_BITS, the host's float32 results are compared too, bit for bit (a host
 * with fused multiply-add runs the same operations in the same order); nothing may be written
 * past an output or the scratch size. Prints a line per mismatch and a summary; exit code 0 iff
 * everything matches. Built with HP_NET_BENCH, it runs the first network once and nothing else:
 * the region an instruction trace measures. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hp_kernels_f32.h"
#include "hp_net.h"
#include "runtime_net_f32_cases.h"

extern void initialise_monitor_handles(void);

#define GUARD 4
#define UNTOUCHED -99.0f

static float out[HP_NET_MAX_FLOATS + GUARD];
static float scratch[HP_NET_MAX_SCRATCH + GUARD];

#ifdef HP_NET_BENCH
int main(void)
{
    const int status = hp_net_f32_run(&hp_nets[0].net, hp_nets[0].input, out, scratch);
    initialise_monitor_handles();
    printf("bench: %d\n", status);
    return status == 0 ? 0 : 1;
}
#else
static int mismatches;

static void fill(float *x, int n)
{
    int i;
    for (i = 0; i < n + GUARD; i++) x[i] = UNTOUCHED;
}

static void report(const char *name, const char *what, int i, float got, float expected)
{
    if (mismatches < 20)
        printf("%s %s [%d]: %.9g, expected %.9g\n", name, what, i, (double)got, (double)expected);
    mismatches++;
}

static void check(const char *name, const float *got, const float *expected, const float *host, int n)
{
    int i;
    for (i = 0; i < n + GUARD; i++) {
        if (i >= n) {
            if (got[i] != UNTOUCHED) report(name, "guard", i, got[i], UNTOUCHED);
            continue;
        }
        if (!(fabsf(got[i] - expected[i]) <= 1e-5f * fmaxf(1.0f, fabsf(expected[i]))))
            report(name, "reference", i, got[i], expected[i]);
        if (HP_NET_HOST_BITS && memcmp(&got[i], &host[i], sizeof(float)) != 0)
            report(name, "host bits", i, got[i], host[i]);
    }
}

int main(void)
{
    int c;
    initialise_monitor_handles();
    for (c = 0; c < HP_CONV_COUNT; c++) {
        const hp_conv_case *t = &hp_convs[c];
        fill(out, t->floats);
        hp_conv2d_f32(t->input, t->height, t->width, t->channels, t->kernel, t->bias, t->filters,
                      t->kernel_size, t->padding, t->relu, out);
        check(t->name, out, t->expected, t->host, t->floats);
    }
    for (c = 0; c < HP_NET_COUNT; c++) {
        const hp_net_case *t = &hp_nets[c];
        const int n = (int)hp_net_f32_scratch_floats(&t->net);
        fill(out, t->net.outputs);
        fill(scratch, n);
        if (n != t->scratch_floats || hp_net_f32_run(&t->net, t->input, out, scratch) != 0) {
            printf("%s: scratch %d (host %d) or hp_net_f32_run failed\n", t->name, n, t->scratch_floats);
            mismatches++;
        }
        check(t->name, out, t->expected, t->host, t->net.outputs);
        check(t->name, scratch + n, scratch, scratch, 0); /* the guard after the scratch size */
    }
    printf("%s: %d convs, %d nets, %d mismatches\n", mismatches ? "FAIL" : "PASS", HP_CONV_COUNT,
           HP_NET_COUNT, mismatches);
    return mismatches ? 1 : 0;
}
#endif
