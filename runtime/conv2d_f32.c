/* k x k convolution, stride 1, zero padding, optional bias and ReLU (see hp_kernels_f32.h).
 *
 * Each output is bias (or 0), then one multiply-add per tap in the order ky, kx, c, over the
 * taps that fall inside the input: padding is never read, the taps outside are skipped by
 * narrowing the window of each output pixel (no test in the inner loop). Within a kernel row the
 * window's taps (kx, c) are contiguous in the input and in the kernel. */
#include <stddef.h>

#include "hp_kernels_f32.h"
#include "hp_vfma8.h"

/* The window of an output coordinate o (row or column) in an input of size n: kernel offsets
 * [*first, *last) land inside the input. */
static void window(int o, int n, int kernel_size, int padding, int *first, int *last)
{
    const int lo = padding - o, hi = n + padding - o;
    *first = lo > 0 ? lo : 0;
    *last = hi < kernel_size ? hi : kernel_size;
}

#if defined(__ARM_ARCH_7EM__) && defined(__ARM_FP) && defined(__GNUC__)
/* Cortex-M4F/M7: two horizontally adjacent pixels with the same window (the interior of a row)
 * share each weight: 8 filters x 2 pixels in s0-s15, one vldm brings a tap's 8 weights into
 * s16-s23, 22 instructions per 16 multiply-adds. A pixel on the border goes alone (12 per 8).
 * Filters after the last block of 8 go one at a time. ReLU is applied on the float bits while
 * storing (a set sign bit makes 0), two values per core-register move. */

/* What conv_group reads (offsets in the asm). Steps in bytes. */
typedef struct {
    int taps;              /*  0: taps per kernel row inside the window: kx and c, contiguous */
    int rows;              /*  4: kernel rows inside the window */
    int x_skip;            /*  8: input, from the end of a row's taps to the next row's first */
    int w_skip;            /* 12: kernel, the same */
    int tap_bytes;         /* 16: kernel, from one tap's weights to the next's; also one pixel's outputs */
    int pair_bytes;        /* 20: the second pixel's inputs after the first's, 0 when alone */
    int filters;           /* 24 */
    int bias_step;         /* 28: 4, or 0 for the zero bias */
    int relu;              /* 32 */
    const float *x_start;  /* 36: the window's first input */
    const float *w_block;  /* 40: the window's first weight of the current block */
    int filters_left;      /* 44 */
} conv_group_state;
/* The asm's offsets: the build fails here if the layout were ever different. */
typedef char conv_group_offsets[offsetof(conv_group_state, filters_left) == 44 ? 1 : -1];

/* Two consecutive S registers to memory at x0 (stepped) through n and t, ReLU on the way. */
#define RELU_STORE2(s_a, s_b)                                                                     \
    "vmov %[n], %[t], " s_a ", " s_b "\n\t"                                                        \
    "bic %[n], %[n], %[n], asr #31\n\t"                                                            \
    "bic %[t], %[t], %[t], asr #31\n\t"                                                            \
    "strd %[n], %[t], [%[x0]], #8\n\t"

/* Every filter of one pixel or pair: w = the window's first weight of filter 0. */
static void conv_group(conv_group_state *s, const float *w, const float *bias, float *out)
{
    const float *x0, *x1;
    int n, t, rows, wstep;
    __asm__ volatile(
        "ldr %[t], [%[s], #24]\n\t"
        "str %[t], [%[s], #44]\n\t"
        "str %[w], [%[s], #40]\n"
        "1:\n\t" /* block: 8 filters while 8 are left, else 1 */
        "ldr %[x0], [%[s], #36]\n\t"
        "ldr %[t], [%[s], #20]\n\t"
        "add %[x1], %[x0], %[t]\n\t"
        "ldr %[w], [%[s], #40]\n\t"
        "ldr %[rows], [%[s], #4]\n\t"
        "ldr %[wstep], [%[s], #16]\n\t"
        "ldr %[t], [%[s], #44]\n\t"
        "cmp %[t], #8\n\t"
        "blt 20f\n\t"
        "sub %[wstep], %[wstep], #32\n\t"
        "vldm %[bias], {s0-s7}\n\t"
        "vldm %[bias], {s8-s15}\n\t"
        "ldr %[t], [%[s], #20]\n\t"
        "cmp %[t], #0\n\t"
        "beq 10f\n"
        "2:\n\t" /* pair: kernel row */
        "ldr %[n], [%[s]]\n"
        "3:\n\t" /* tap */
        "vldmia %[x0]!, {s24}\n\t"
        "vldmia %[x1]!, {s25}\n\t"
        "vldmia %[w]!, {s16-s23}\n\t"
        HP_VFMA8_INTO_S0_S7("s24")
        HP_VFMA8_INTO_S8_S15("s25")
        "add %[w], %[w], %[wstep]\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 3b\n\t"
        "ldr %[t], [%[s], #8]\n\t"
        "add %[x0], %[x0], %[t]\n\t"
        "add %[x1], %[x1], %[t]\n\t"
        "ldr %[t], [%[s], #12]\n\t"
        "add %[w], %[w], %[t]\n\t"
        "subs %[rows], %[rows], #1\n\t"
        "bne 2b\n\t"
        "b 40f\n"
        "10:\n\t" /* one pixel: kernel row */
        "ldr %[n], [%[s]]\n"
        "11:\n\t" /* tap */
        "vldmia %[x0]!, {s24}\n\t"
        "vldmia %[w]!, {s16-s23}\n\t"
        HP_VFMA8_INTO_S0_S7("s24")
        "add %[w], %[w], %[wstep]\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 11b\n\t"
        "ldr %[t], [%[s], #8]\n\t"
        "add %[x0], %[x0], %[t]\n\t"
        "ldr %[t], [%[s], #12]\n\t"
        "add %[w], %[w], %[t]\n\t"
        "subs %[rows], %[rows], #1\n\t"
        "bne 10b\n"
        "40:\n\t" /* store 8 filters of the pixel (and of the second one) */
        "ldr %[t], [%[s], #32]\n\t"
        "cmp %[t], #0\n\t"
        "bne 41f\n\t"
        "vstm %[out], {s0-s7}\n\t"
        "ldr %[t], [%[s], #20]\n\t"
        "cmp %[t], #0\n\t"
        "beq 45f\n\t"
        "ldr %[t], [%[s], #16]\n\t"
        "add %[x0], %[out], %[t]\n\t"
        "vstm %[x0], {s8-s15}\n\t"
        "b 45f\n"
        "41:\n\t"
        "mov %[x0], %[out]\n\t"
        RELU_STORE2("s0", "s1") RELU_STORE2("s2", "s3") RELU_STORE2("s4", "s5") RELU_STORE2("s6", "s7")
        "ldr %[t], [%[s], #20]\n\t"
        "cmp %[t], #0\n\t"
        "beq 45f\n\t"
        "ldr %[t], [%[s], #16]\n\t"
        "add %[x0], %[out], %[t]\n\t"
        RELU_STORE2("s8", "s9") RELU_STORE2("s10", "s11") RELU_STORE2("s12", "s13") RELU_STORE2("s14", "s15")
        "45:\n\t"
        "add %[out], %[out], #32\n\t"
        "ldr %[t], [%[s], #28]\n\t"
        "add %[bias], %[bias], %[t], lsl #3\n\t"
        "ldr %[t], [%[s], #40]\n\t"
        "add %[t], %[t], #32\n\t"
        "str %[t], [%[s], #40]\n\t"
        "ldr %[t], [%[s], #44]\n\t"
        "subs %[t], %[t], #8\n\t"
        "str %[t], [%[s], #44]\n\t"
        "bne 1b\n\t"
        "b 99f\n"
        "20:\n\t" /* one filter, both pixels (alone: the second is the first again) */
        "sub %[wstep], %[wstep], #4\n\t"
        "vldr s0, [%[bias]]\n\t"
        "vmov.f32 s8, s0\n"
        "21:\n\t" /* kernel row */
        "ldr %[n], [%[s]]\n"
        "22:\n\t" /* tap */
        "vldmia %[x0]!, {s24}\n\t"
        "vldmia %[x1]!, {s25}\n\t"
        "vldmia %[w]!, {s16}\n\t"
        "vfma.f32 s0, s24, s16\n\t"
        "vfma.f32 s8, s25, s16\n\t"
        "add %[w], %[w], %[wstep]\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 22b\n\t"
        "ldr %[t], [%[s], #8]\n\t"
        "add %[x0], %[x0], %[t]\n\t"
        "add %[x1], %[x1], %[t]\n\t"
        "ldr %[t], [%[s], #12]\n\t"
        "add %[w], %[w], %[t]\n\t"
        "subs %[rows], %[rows], #1\n\t"
        "bne 21b\n\t"
        "ldr %[t], [%[s], #32]\n\t"
        "cmp %[t], #0\n\t"
        "beq 23f\n\t"
        "vmov %[n], %[t], s0, s1\n\t"
        "bic %[n], %[n], %[n], asr #31\n\t"
        "vmov s0, %[n]\n\t"
        "vmov %[n], %[t], s8, s9\n\t"
        "bic %[n], %[n], %[n], asr #31\n\t"
        "vmov s8, %[n]\n"
        "23:\n\t"
        "vstr s0, [%[out]]\n\t"
        "ldr %[t], [%[s], #20]\n\t"
        "cmp %[t], #0\n\t"
        "beq 24f\n\t"
        "ldr %[t], [%[s], #16]\n\t"
        "add %[x0], %[out], %[t]\n\t"
        "vstr s8, [%[x0]]\n"
        "24:\n\t"
        "add %[out], %[out], #4\n\t"
        "ldr %[t], [%[s], #28]\n\t"
        "add %[bias], %[bias], %[t]\n\t"
        "ldr %[t], [%[s], #40]\n\t"
        "add %[t], %[t], #4\n\t"
        "str %[t], [%[s], #40]\n\t"
        "ldr %[t], [%[s], #44]\n\t"
        "subs %[t], %[t], #1\n\t"
        "str %[t], [%[s], #44]\n\t"
        "bne 1b\n"
        "99:"
        : [w] "+&r"(w), [bias] "+&r"(bias), [out] "+&r"(out), [x0] "=&r"(x0), [x1] "=&r"(x1),
          [n] "=&l"(n), [t] "=&l"(t), [rows] "=&r"(rows), [wstep] "=&r"(wstep)
        : [s] "r"(s)
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13",
          "s14", "s15", "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24", "s25", "cc",
          "memory");
}

/* The bias of a convolution without one: read 8 at a time, never stepped over. */
static const float zero_bias[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};

void hp_conv2d_rows_f32(const float *input, int height, int width, int channels,
                        const float *kernel, const float *bias, int filters, int kernel_size,
                        int padding, int relu, int first_row, int rows, float *output)
{
    const int out_width = width + 2 * padding - kernel_size + 1;
    conv_group_state s;
    int oy, ox, ky0, ky1, kx0, kx1, next0, next1;
    s.tap_bytes = 4 * filters;
    s.filters = filters;
    s.bias_step = bias != NULL ? 4 : 0;
    s.relu = relu;
    if (bias == NULL) bias = zero_bias;
    for (oy = first_row; oy < first_row + rows; oy++) {
        window(oy, height, kernel_size, padding, &ky0, &ky1);
        s.rows = ky1 - ky0;
        for (ox = 0; ox < out_width; ox += s.pair_bytes != 0 ? 2 : 1) {
            window(ox, width, kernel_size, padding, &kx0, &kx1);
            s.pair_bytes = 0;
            if (ox + 1 < out_width) {
                window(ox + 1, width, kernel_size, padding, &next0, &next1);
                if (next0 == kx0 && next1 == kx1) s.pair_bytes = 4 * channels;
            }
            s.taps = (kx1 - kx0) * channels;
            s.x_skip = 4 * (width * channels - s.taps);
            s.w_skip = s.tap_bytes * (kernel_size * channels - s.taps);
            s.x_start = input + ((oy - padding + ky0) * width + ox - padding + kx0) * channels;
            conv_group(&s, kernel + (ky0 * kernel_size + kx0) * channels * filters, bias,
                       output + ((oy - first_row) * out_width + ox) * filters);
        }
    }
}
#else
/* Host (and cores without an FPU): 8 filters of one pixel together, one AVX register. */
#define FILTER_BLOCK 8

/* Loops over filters must become straight-line code, or the accumulators live in memory. */
#if defined(__GNUC__) && !defined(__clang__)
#define UNROLLED _Pragma("GCC unroll 8")
#else
#define UNROLLED
#endif
/* Each call with its own constant block count, for the compiler to unroll. */
#if defined(__GNUC__)
#define INLINE __inline__ __attribute__((always_inline))
#else
#define INLINE
#endif

/* The window of one output pixel: rows kernel rows of taps taps each; the first input x, row
 * to row x_row floats apart; the first weight w (filter 0), row to row w_row floats apart. */
typedef struct {
    const float *x, *w;
    int rows, taps, x_row, w_row, filters;
} pixel_window;

static float relu1(float v) { return v > 0.0f ? v : 0.0f; }

/* Filters [first, first + blocks x FILTER_BLOCK), blocks 1 to MAX_BLOCKS: up to 4 independent
 * multiply-add chains per input, where one chain would wait on the latency of each. */
#define MAX_BLOCKS 4
static INLINE void pixel_blocks(const pixel_window *p, const float *restrict bias, int first,
                                int relu, float *restrict out, const int blocks)
{
    float acc[MAX_BLOCKS][FILTER_BLOCK];
    int r, t, b, j;
    for (b = 0; b < blocks; b++)
        UNROLLED for (j = 0; j < FILTER_BLOCK; j++)
            acc[b][j] = bias != NULL ? bias[first + b * FILTER_BLOCK + j] : 0.0f;
    for (r = 0; r < p->rows; r++) {
        const float *x = p->x + r * p->x_row;
        const float *w = p->w + r * p->w_row + first;
        for (t = 0; t < p->taps; t++, w += p->filters)
            for (b = 0; b < blocks; b++)
                UNROLLED for (j = 0; j < FILTER_BLOCK; j++)
                    acc[b][j] = HP_MADD_F32(x[t], w[b * FILTER_BLOCK + j], acc[b][j]);
    }
    for (b = 0; b < blocks; b++)
        UNROLLED for (j = 0; j < FILTER_BLOCK; j++)
            out[first + b * FILTER_BLOCK + j] = relu ? relu1(acc[b][j]) : acc[b][j];
}

static float pixel_filter(const pixel_window *p, const float *bias, int f, int relu)
{
    float acc = bias != NULL ? bias[f] : 0.0f;
    int r;
    for (r = 0; r < p->rows; r++)
        acc = hp_dot_f32(acc, p->x + r * p->x_row, p->w + r * p->w_row + f, p->filters, p->taps);
    return relu ? relu1(acc) : acc;
}

void hp_conv2d_rows_f32(const float *input, int height, int width, int channels,
                        const float *kernel, const float *bias, int filters, int kernel_size,
                        int padding, int relu, int first_row, int rows, float *output)
{
    const int out_width = width + 2 * padding - kernel_size + 1;
    const int full = filters - filters % FILTER_BLOCK;
    pixel_window p;
    int oy, ox, ky0, ky1, kx0, kx1, f;
    p.x_row = width * channels;
    p.w_row = kernel_size * channels * filters;
    p.filters = filters;
    for (oy = first_row; oy < first_row + rows; oy++) {
        window(oy, height, kernel_size, padding, &ky0, &ky1);
        p.rows = ky1 - ky0;
        for (ox = 0; ox < out_width; ox++) {
            float *out = output + ((oy - first_row) * out_width + ox) * filters;
            window(ox, width, kernel_size, padding, &kx0, &kx1);
            p.taps = (kx1 - kx0) * channels;
            p.x = input + ((oy - padding + ky0) * width + ox - padding + kx0) * channels;
            p.w = kernel + (ky0 * kernel_size + kx0) * channels * filters;
            for (f = 0; f + MAX_BLOCKS * FILTER_BLOCK <= full; f += MAX_BLOCKS * FILTER_BLOCK)
                pixel_blocks(&p, bias, f, relu, out, MAX_BLOCKS);
            if (f + 2 * FILTER_BLOCK <= full) {
                pixel_blocks(&p, bias, f, relu, out, 2);
                f += 2 * FILTER_BLOCK;
            }
            if (f < full) {
                pixel_blocks(&p, bias, f, relu, out, 1);
                f += FILTER_BLOCK;
            }
            for (; f < filters; f++) out[f] = pixel_filter(&p, bias, f, relu);
        }
    }
}
#endif

void hp_conv2d_f32(const float *input, int height, int width, int channels, const float *kernel,
                   const float *bias, int filters, int kernel_size, int padding, int relu,
                   float *output)
{
    hp_conv2d_rows_f32(input, height, width, channels, kernel, bias, filters, kernel_size, padding,
                       relu, 0, height + 2 * padding - kernel_size + 1, output);
}
