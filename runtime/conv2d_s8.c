/* k x k convolution of int16 activations with int8 weights (hp_kernels_s8.h), optionally
 * max-pooled 2x2 on its accumulators. Each output pixel is im2col then a matrix-vector product:
 * the window's k * k * C values are gathered into `patch` (0 outside the input: the zero point
 * of q - zero point), and hp_dense_s8_s32 multiplies it by the [filters][k k C] kernel four rows
 * at a time (on the Cortex-M4/M7 two multiply-adds per SMLAD). The gather costs k * k * C copies
 * for k * k * C * filters multiply-adds. */
#include <string.h>

#include "hp_kernels_s8.h"

/* Tells GCC/Clang a pointer is 4-byte aligned (checked by the caller): word copies without
 * the unaligned-access sequences. */
#if defined(__GNUC__)
#define ALIGNED4(p) __builtin_assume_aligned((p), 4)
#else
#define ALIGNED4(p) (p)
#endif

/* Copies n int16 values: two words a round when both are 4-byte aligned, else one by one. */
static void copy_values(const int16_t *from, int n, int16_t *to)
{
    int i = 0;
    if ((((uintptr_t)from | (uintptr_t)to) & 3) == 0) {
        const char *f = (const char *)ALIGNED4(from);
        char *t = (char *)ALIGNED4(to);
        for (; i + 4 <= n; i += 4) {
            uint32_t w[2];
            memcpy(w, f + 2 * i, 8);
            memcpy(t + 2 * i, w, 8);
        }
        for (; i + 2 <= n; i += 2) {
            uint32_t w;
            memcpy(&w, f + 2 * i, 4);
            memcpy(t + 2 * i, &w, 4);
        }
    }
    for (; i < n; i++) to[i] = from[i];
}

/* Sets n int16 values to zero (both halves of `zero2`), a word at a time when aligned. */
static void zero_values(int16_t *to, int n, uint32_t zero2)
{
    int i = 0;
    if (((uintptr_t)to & 3) == 0) {
        char *t = (char *)ALIGNED4(to);
        for (; i + 2 <= n; i += 2) memcpy(t + 2 * i, &zero2, 4);
    }
    for (; i < n; i++) to[i] = (int16_t)zero2;
}

/* Zero, read once per convolution: a stored value the compiler cannot know keeps it from
 * turning the few padding stores of a window into a memset call. */
static volatile uint32_t padding_value;

/* patch = the k x k x C window whose top-left input pixel is (y, x), row by row: a window row is
 * k C consecutive input values, less the columns outside the input (padding, `zero`). */
static void gather(const int16_t *input, int height, int width, int channels, int k, int y, int x, uint32_t zero,
                   int16_t *patch)
{
    const int left = x < 0 ? -x : 0, right = x + k > width ? x + k - width : 0, row = k * channels;
    int ky;
    for (ky = 0; ky < k; ky++, patch += row) {
        const int yy = y + ky;
        if (yy < 0 || yy >= height) {
            zero_values(patch, row, zero);
            continue;
        }
        if (left > 0) zero_values(patch, left * channels, zero);
        copy_values(input + ((long)yy * width + x + left) * channels, (k - left - right) * channels,
                    patch + left * channels);
        if (right > 0) zero_values(patch + (k - right) * channels, right * channels, zero);
    }
}

/* acc = bias + kernel . window at (y, x) */
static void window(const int16_t *input, int height, int width, int channels, int k, int y, int x, uint32_t zero,
                   const int8_t *kernel, const int32_t *bias, int filters, int16_t *patch, int32_t *acc)
{
    gather(input, height, width, channels, k, y, x, zero, patch);
    hp_dense_s8_s32(patch, hp_round4(k * k * channels), kernel, bias, filters, acc);
}

void hp_conv2d_s8(const int16_t *input, int height, int width, int channels, int kernel_size, int padding,
                  const int8_t *kernel, const int32_t *bias, const int32_t *multiplier, int filters, int out_min,
                  int out_max, int pool, int16_t *output, int16_t *patch, int32_t *acc)
{
    const int conv_h = height + 2 * padding - kernel_size + 1, conv_w = width + 2 * padding - kernel_size + 1;
    const int step = pool ? 2 : 1, out_h = conv_h / step, out_w = conv_w / step;
    const int taps = kernel_size * kernel_size * channels;
    const uint32_t zero = padding_value;
    int32_t *best = acc + hp_round4(filters);
    int oy, ox, d, f, i;
    for (i = taps; i < hp_round4(taps); i++) patch[i] = (int16_t)zero; /* the patch's padding to 4 values, once */
    for (oy = 0; oy < out_h; oy++)
        for (ox = 0; ox < out_w; ox++, output += filters) {
            const int y = oy * step - padding, x = ox * step - padding;
            window(input, height, width, channels, kernel_size, y, x, zero, kernel, bias, filters, patch, best);
            for (d = 1; pool && d < 4; d++) { /* the other three windows of the pooling */
                window(input, height, width, channels, kernel_size, y + (d >> 1), x + (d & 1), zero, kernel, bias,
                       filters, patch, acc);
                for (f = 0; f < filters; f++)
                    if (acc[f] > best[f]) best[f] = acc[f];
            }
            hp_requantize_s8(best, filters, multiplier, out_min, out_max, output);
        }
}
