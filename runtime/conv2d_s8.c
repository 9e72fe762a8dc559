/* k x k convolution of int16 activations with int8 weights (hp_kernels_s8.h), optionally
 * max-pooled 2x2 on its accumulators. Each output pixel is im2col then a matrix-vector product:
 * the window's k * k * C values are gathered into `patch` (0 outside the input: the zero point
 * of q - zero point), and hp_dense_s8_s32 multiplies it by the [filters][k k C] kernel four rows
 * at a time (on the Cortex-M4/M7 two multiply-adds per SMLAD). The gather costs k * k * C copies
 * for k * k * C * filters multiply-adds. */
#include <string.h>

#include "hp_kernels_s8.h"

/* Copies n int16 values (a word at a time when both are 4-byte aligned and n is even: the
 * channels of one pixel). */
static void copy_values(const int16_t *from, int n, int16_t *to)
{
    int i;
    if ((n & 1) == 0 && (((uintptr_t)from | (uintptr_t)to) & 3) == 0) {
        for (i = 0; i < n; i += 2) {
            uint32_t w;
            memcpy(&w, from + i, 4);
            memcpy(to + i, &w, 4);
        }
        return;
    }
    for (i = 0; i < n; i++) to[i] = from[i];
}

/* patch = the k x k x C window whose top-left input pixel is (y, x) (may be outside: padding). */
static void gather(const int16_t *input, int height, int width, int channels, int k, int y, int x, int16_t *patch)
{
    int ky, kx, i;
    for (ky = 0; ky < k; ky++) {
        const int yy = y + ky;
        for (kx = 0; kx < k; kx++, patch += channels) {
            const int xx = x + kx;
            if (yy < 0 || yy >= height || xx < 0 || xx >= width)
                for (i = 0; i < channels; i++) patch[i] = 0;
            else
                copy_values(input + ((long)yy * width + xx) * channels, channels, patch);
        }
    }
}

/* acc = bias + kernel . window at (y, x) */
static void window(const int16_t *input, int height, int width, int channels, int k, int y, int x,
                   const int8_t *kernel, const int32_t *bias, int filters, int16_t *patch, int32_t *acc)
{
    const int taps = k * k * channels, taps4 = hp_round4(taps);
    int i;
    gather(input, height, width, channels, k, y, x, patch);
    for (i = taps; i < taps4; i++) patch[i] = 0;
    hp_dense_s8_s32(patch, taps4, kernel, bias, filters, acc);
}

void hp_conv2d_s8(const int16_t *input, int height, int width, int channels, int kernel_size, int padding,
                  const int8_t *kernel, const int32_t *bias, const int32_t *multiplier, int filters, int out_min,
                  int out_max, int pool, int16_t *output, int16_t *patch, int32_t *acc)
{
    const int conv_h = height + 2 * padding - kernel_size + 1, conv_w = width + 2 * padding - kernel_size + 1;
    const int step = pool ? 2 : 1, out_h = conv_h / step, out_w = conv_w / step;
    int32_t *best = acc + hp_round4(filters);
    int oy, ox, d, f;
    for (oy = 0; oy < out_h; oy++)
        for (ox = 0; ox < out_w; ox++, output += filters) {
            const int y = oy * step - padding, x = ox * step - padding;
            window(input, height, width, channels, kernel_size, y, x, kernel, bias, filters, patch, best);
            for (d = 1; pool && d < 4; d++) { /* the other three windows of the pooling */
                window(input, height, width, channels, kernel_size, y + (d >> 1), x + (d & 1), kernel, bias, filters,
                       patch, acc);
                for (f = 0; f < filters; f++)
                    if (acc[f] > best[f]) best[f] = acc[f];
            }
            hp_requantize_s8(best, filters, multiplier, out_min, out_max, output);
        }
}
