/* Fully connected layer, bias, optional ReLU (see hp_kernels_f32.h). */
#include <stddef.h>

#include "hp_kernels_f32.h"
#include "hp_vfma8.h"

/* Output units computed together: one AVX register on the host, 8 + 8 accumulators in the
 * Cortex-M4F's S registers. Units of a whole block take two multiply-add chains, bias + even
 * inputs and odd inputs, added at the end; the units after the last whole block one chain. */
#define UNIT_BLOCK 8

#if defined(__ARM_ARCH_7EM__) && defined(__ARM_FP) && defined(__GNUC__)
/* Cortex-M4F/M7: GCC loads each weight with its own vldr. Here the two chains of 8 units stay in
 * s0-s15, one vldm brings the 8 weights of an input into s16-s23 and one the input pair into
 * s24-s25: 24 instructions per 16 multiply-adds (vfma, fused as fmaf). The units after the last
 * whole block go one at a time through a one-chain loop of the same asm. */

/* What dense_layer reads besides its registers (offsets in the asm). */
typedef struct {
    const float *input; /* 0 */
    int inputs;         /* 4 */
    int relu;           /* 8 */
} dense_args;
/* The asm's offsets: the build fails here if the layout were ever different. */
typedef char dense_args_offsets[offsetof(dense_args, relu) == 8 ? 1 : -1];

/* output[u] = bias[u] + the chains over the inputs, u < units, ReLU if a->relu (on the float
 * bits: a set sign bit makes 0). stride: bytes from one input's weights to the next's. */
static void dense_layer(const dense_args *a, const float *kernel, const float *bias, int stride,
                        int units, float *output)
{
    const float *x, *w;
    int n, t;
    __asm__ volatile(
        "4:\n\t" /* block: 8 units while 8 are left, else 1 */
        "ldr %[x], [%[a]]\n\t"
        "mov %[w], %[kernel]\n\t"
        "cmp %[units], #8\n\t"
        "blt 20f\n\t"
        "vldmia %[bias]!, {s0-s7}\n\t"
        "movs %[t], #0\n\t"
        "vmov s8, s9, %[t], %[t]\n\t"
        "vmov s10, s11, %[t], %[t]\n\t"
        "vmov s12, s13, %[t], %[t]\n\t"
        "vmov s14, s15, %[t], %[t]\n\t"
        "ldr %[n], [%[a], #4]\n\t"
        "lsrs %[n], %[n], #1\n\t" /* input pairs */
        "beq 2f\n"
        "1:\n\t" /* input pair: bias + even inputs in s0-s7, odd inputs in s8-s15 */
        "vldmia %[x]!, {s24-s25}\n"
        "5:\n\t"
        "vldm %[w], {s16-s23}\n\t"
        "add %[w], %[w], %[stride]\n\t"
        HP_VFMA8_INTO_S0_S7("s24")
        "subs %[n], %[n], #1\n\t"
        "bmi 3f\n\t" /* that was the odd last input: even chain only */
        "vldm %[w], {s16-s23}\n\t"
        "add %[w], %[w], %[stride]\n\t"
        HP_VFMA8_INTO_S8_S15("s25")
        "bne 1b\n"
        "2:\n\t"
        "ldr %[t], [%[a], #4]\n\t"
        "lsls %[t], %[t], #31\n\t" /* odd count: the last input through the even half */
        "beq 3f\n\t"
        "vldr s24, [%[x]]\n\t"
        "movs %[n], #0\n\t"
        "b 5b\n"
        "3:\n\t"
        "vadd.f32 s0, s0, s8\n\t"
        "vadd.f32 s1, s1, s9\n\t"
        "vadd.f32 s2, s2, s10\n\t"
        "vadd.f32 s3, s3, s11\n\t"
        "vadd.f32 s4, s4, s12\n\t"
        "vadd.f32 s5, s5, s13\n\t"
        "vadd.f32 s6, s6, s14\n\t"
        "vadd.f32 s7, s7, s15\n\t"
        "vstmia %[out]!, {s0-s7}\n\t"
        "movs %[n], #8\n\t"
        "b 30f\n"
        "20:\n\t" /* one unit, one chain: bias + every input in order */
        "vldmia %[bias]!, {s0}\n\t"
        "ldr %[n], [%[a], #4]\n\t"
        "cmp %[n], #0\n\t"
        "beq 22f\n"
        "21:\n\t"
        "vldmia %[x]!, {s24}\n\t"
        "vldr s16, [%[w]]\n\t"
        "add %[w], %[w], %[stride]\n\t"
        "vfma.f32 s0, s24, s16\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 21b\n"
        "22:\n\t"
        "vstmia %[out]!, {s0}\n\t"
        "movs %[n], #1\n"
        "30:\n\t" /* n units done */
        "add %[kernel], %[kernel], %[n], lsl #2\n\t"
        "subs %[units], %[units], %[n]\n\t"
        "ldr %[t], [%[a], #8]\n\t"
        "cmp %[t], #0\n\t"
        "beq 6f\n\t"
        "sub %[x], %[out], %[n], lsl #2\n"
        "5:\n\t" /* ReLU */
        "ldr %[t], [%[x]]\n\t"
        "bic %[t], %[t], %[t], asr #31\n\t"
        "str %[t], [%[x]], #4\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 5b\n"
        "6:\n\t"
        "cmp %[units], #0\n\t"
        "bne 4b"
        : [kernel] "+&r"(kernel), [bias] "+&r"(bias), [out] "+&r"(output), [units] "+&r"(units),
          [x] "=&r"(x), [w] "=&r"(w), [n] "=&l"(n), [t] "=&r"(t)
        : [a] "l"(a), [stride] "r"(stride)
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13",
          "s14", "s15", "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24", "s25", "cc",
          "memory");
}

void hp_dense_f32(const float *input, int inputs, const float *kernel, const float *bias,
                  int outputs, int relu, float *output)
{
    const dense_args a = {input, inputs, relu};
    if (outputs > 0) dense_layer(&a, kernel, bias, 4 * outputs, outputs, output);
}
#else
/* Loops over units must become straight-line code, or the accumulators live in memory; -O2 and
 * -Os do not unroll them by themselves. */
#if defined(__GNUC__) && !defined(__clang__)
#define UNROLLED _Pragma("GCC unroll 8")
#else
#define UNROLLED
#endif

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

void hp_dense_f32(const float *input, int inputs, const float *kernel, const float *bias,
                  int outputs, int relu, float *output)
{
    const int full = outputs - outputs % UNIT_BLOCK;
    int o;
    for (o = 0; o < full; o += UNIT_BLOCK) dense_block(input, inputs, kernel, bias, outputs, o, output);
    for (; o < outputs; o++) output[o] = hp_dot_f32(bias[o], input, kernel + o, outputs, inputs);
    /* ReLU as a separate pass: a select in the block's epilogue keeps it from vectorizing. */
    if (relu) hp_relu_f32(output, outputs);
}
#endif
