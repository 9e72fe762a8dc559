/* Target side of the RuntimeS8Qemu tests (runtime_s8_qemu_test.cpp): every case through its int8
 * kernel on an emulated Cortex-M. Outputs must equal the host's bit for bit, and the words after
 * them must keep the value they had (nothing written past an output). Prints a line per mismatch
 * and a summary; exit code 0 iff everything matches. */
#include <stdio.h>
#include <string.h>

#include "hp_kernels_s8.h"
#include "runtime_s8_cases.h"

extern void initialise_monitor_handles(void);

#define GUARD 4
#define UNTOUCHED 0x5a5a5a5a

/* Word aligned, as the kernels need; quantize cases run in place in it too. */
static union {
    int32_t i32[HP_CASE_MAX_WORDS + GUARD];
    int16_t i16[2 * (HP_CASE_MAX_WORDS + GUARD)];
    float f32[HP_CASE_MAX_WORDS + GUARD];
} out;
static int mismatches, runs;

static void fill(void)
{
    int i;
    for (i = 0; i < HP_CASE_MAX_WORDS + GUARD; i++) out.i32[i] = UNTOUCHED;
}

static void report(const char *name, int i, long got, long expected)
{
    if (mismatches < 20) printf("%s [%d]: %ld, expected %ld\n", name, i, got, expected);
    mismatches++;
}

/* n int16 outputs, then GUARD untouched int16 */
static void check16(const char *name, const int16_t *expected, int n)
{
    int i;
    runs++;
    for (i = 0; i < n + GUARD; i++) {
        const long want = i < n ? expected[i] : (int16_t)UNTOUCHED;
        if (out.i16[i] != want) report(name, i, out.i16[i], want);
    }
}

static void check32(const char *name, const int32_t *expected, int n)
{
    int i;
    runs++;
    for (i = 0; i < n + GUARD; i++) {
        const long want = i < n ? expected[i] : (int32_t)UNTOUCHED;
        if (out.i32[i] != want) report(name, i, out.i32[i], want);
    }
}

int main(void)
{
    int c;
    initialise_monitor_handles();
    for (c = 0; c < HP_CONV_CASES; c++) {
        const hp_conv_case *t = &hp_conv_cases[c];
        fill();
        hp_conv2d_3x3_maxpool2x2_s8(t->input, t->height, t->width, t->weights, t->filters, out.i16);
        check16(t->name, t->expected, (t->height - 2) / 2 * ((t->width - 2) / 2) * t->filters);
    }
    for (c = 0; c < HP_DENSE_CASES; c++) {
        const hp_dense_case *t = &hp_dense_cases[c];
        fill();
        if (t->multiplier) {
            hp_dense_s8(t->input, t->inputs4, t->kernel, t->bias, t->outputs, t->multiplier, out.i16);
            check16(t->name, t->expected16, hp_round4(t->outputs));
        } else {
            hp_dense_s8_s32(t->input, t->inputs4, t->kernel, t->bias, t->outputs, out.i32);
            check32(t->name, t->expected32, hp_round4(t->outputs));
        }
    }
    for (c = 0; c < HP_QUANTIZE_CASES; c++) {
        const hp_quantize_case *t = &hp_quantize_cases[c];
        const int values = t->pixels * t->channels;
        fill();
        if (t->in_place) {
            memcpy(out.f32, t->x, sizeof(float) * (size_t)values);
            hp_quantize_f32_s16(out.f32, t->pixels, t->channels, t->scale, out.i16);
            /* only q's own words are defined afterwards: the guard starts after x's */
            runs++;
            for (int i = 0; i < 2 * t->pixels; i++)
                if (out.i16[i] != t->expected[i]) report(t->name, i, out.i16[i], t->expected[i]);
            for (int i = values; i < values + GUARD; i++)
                if (out.i32[i] != UNTOUCHED) report(t->name, 2 * i, out.i32[i], UNTOUCHED);
        } else {
            hp_quantize_f32_s16(t->x, t->pixels, t->channels, t->scale, out.i16);
            check16(t->name, t->expected, 2 * t->pixels);
        }
    }
    printf("%s: %d kernel runs, %d mismatches\n", mismatches ? "FAIL" : "PASS", runs, mismatches);
    return mismatches ? 1 : 0;
}
