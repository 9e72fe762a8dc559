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

#if defined(__ARM_ARCH_7EM__) && defined(__ARM_FP) && defined(__GNUC__)
/* Cortex-M4F/M7: the 16 accumulators in s0-s15, one vldm per 8 weights into s16-s23 (GCC loads
 * each weight with its own vldr) and one per input pair into s24-s25: 23 instructions per 16
 * multiply-adds, the same chains and fused multiply-adds as the C below. */
static void dense_block(const float *restrict input, int inputs, const float *restrict kernel,
                        const float *restrict bias, int outputs, int first, float *restrict output)
{
    const float *w = kernel + first;
    const int stride = 4 * outputs, zero = 0; /* stride in bytes */
    int pairs = inputs / 2;
    __asm__ volatile(
        "vldm %[bias], {s0-s7}\n\t"
        "vmov s8, s9, %[zero], %[zero]\n\t"
        "vmov s10, s11, %[zero], %[zero]\n\t"
        "vmov s12, s13, %[zero], %[zero]\n\t"
        "vmov s14, s15, %[zero], %[zero]\n\t"
        "cmp %[pairs], #0\n\t"
        "beq 2f\n"
        "1:\n\t"
        "vldmia %[x]!, {s24-s25}\n\t"
        "vldm %[w], {s16-s23}\n\t"
        "add %[w], %[w], %[stride]\n\t"
        "vfma.f32 s0, s24, s16\n\t"
        "vfma.f32 s1, s24, s17\n\t"
        "vfma.f32 s2, s24, s18\n\t"
        "vfma.f32 s3, s24, s19\n\t"
        "vfma.f32 s4, s24, s20\n\t"
        "vfma.f32 s5, s24, s21\n\t"
        "vfma.f32 s6, s24, s22\n\t"
        "vfma.f32 s7, s24, s23\n\t"
        "vldm %[w], {s16-s23}\n\t"
        "add %[w], %[w], %[stride]\n\t"
        "vfma.f32 s8, s25, s16\n\t"
        "vfma.f32 s9, s25, s17\n\t"
        "vfma.f32 s10, s25, s18\n\t"
        "vfma.f32 s11, s25, s19\n\t"
        "vfma.f32 s12, s25, s20\n\t"
        "vfma.f32 s13, s25, s21\n\t"
        "vfma.f32 s14, s25, s22\n\t"
        "vfma.f32 s15, s25, s23\n\t"
        "subs %[pairs], %[pairs], #1\n\t"
        "bne 1b\n"
        "2:\n\t"
        "tst %[inputs], #1\n\t"
        "beq 3f\n\t"
        "vldr s24, [%[x]]\n\t"
        "vldm %[w], {s16-s23}\n\t"
        "vfma.f32 s0, s24, s16\n\t"
        "vfma.f32 s1, s24, s17\n\t"
        "vfma.f32 s2, s24, s18\n\t"
        "vfma.f32 s3, s24, s19\n\t"
        "vfma.f32 s4, s24, s20\n\t"
        "vfma.f32 s5, s24, s21\n\t"
        "vfma.f32 s6, s24, s22\n\t"
        "vfma.f32 s7, s24, s23\n"
        "3:\n\t"
        "vadd.f32 s0, s0, s8\n\t"
        "vadd.f32 s1, s1, s9\n\t"
        "vadd.f32 s2, s2, s10\n\t"
        "vadd.f32 s3, s3, s11\n\t"
        "vadd.f32 s4, s4, s12\n\t"
        "vadd.f32 s5, s5, s13\n\t"
        "vadd.f32 s6, s6, s14\n\t"
        "vadd.f32 s7, s7, s15\n\t"
        "vstm %[out], {s0-s7}"
        : [x] "+&r"(input), [w] "+&r"(w), [pairs] "+&r"(pairs)
        : [bias] "r"(bias + first), [zero] "r"(zero), [stride] "r"(stride), [inputs] "r"(inputs),
          [out] "r"(output + first)
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13",
          "s14", "s15", "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24", "s25", "cc",
          "memory");
}
#else
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

#endif

/* The last units when their count is not a multiple of UNIT_BLOCK: one chain each. */
static void dense_tail(const float *restrict input, int inputs, const float *restrict kernel,
                       const float *restrict bias, int outputs, int first, float *restrict output)
{
    int o;
    for (o = first; o < outputs; o++) output[o] = hp_dot_f32(bias[o], input, kernel + o, outputs, inputs);
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
