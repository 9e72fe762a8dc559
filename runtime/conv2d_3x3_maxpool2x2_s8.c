/* 3x3 convolution (stride 1, valid) followed by 2x2 max pooling (stride 2, floor), int8.
 *
 * Requantization (multiplier > 0), the output offset and the clamp are all non-decreasing, so
 * max(requantize(acc_i)) == requantize(max(acc_i)): taking the max of the four int32
 * accumulators first gives exactly hp_conv2d_3x3_s8 then hp_maxpool2x2_s8, with a quarter of the
 * requantizations, no conv output buffer, and the conv outputs that pooling drops never computed. */
#include "hp_kernels_s8.h"
#include "hp_s8_dsp.h"

void hp_conv2d_3x3_maxpool2x2_s8(const int8_t *input, int height, int width, int channels,
                                 const int8_t *kernel, const int32_t *bias, int filters,
                                 const hp_quant_params_s8 *params, int16_t *buffer, int8_t *output)
{
    const int out_h = (height - 2) / 2, out_w = (width - 2) / 2, row = 3 * channels, taps = 9 * channels;
#if defined(__ARM_FEATURE_DSP)
    const int32_t offsets = (int32_t)(((uint32_t)(uint16_t)params->input_offset << 16) | (uint16_t)params->input_offset);
#endif
    for (int py = 0; py < out_h; py++) {
        for (int px = 0; px < out_w; px++) {
            /* top-left input of the 2x2 conv pixels (2py + dy, 2px + dx) */
            const int8_t *corner = input + (2 * py * width + 2 * px) * channels;
            int8_t *out = output + (py * out_w + px) * filters;
#if defined(__ARM_FEATURE_DSP)
            /* gather each 3x3 patch (int8, after the int16 patches) and widen it once, with the
             * input offset, for every filter to reuse. The four pixels' patches are interleaved:
             * per group of four taps, the pairs (x0, x2), (x1, x3) of pixel 0, then of pixel 1, 2, 3
             * (16 int16), so the filter loop reads all of them through one pointer. A tail pair
             * follows as (x0, x1) per pixel (8 int16), then a last single tap per pixel (4). */
            int8_t *gathered = (int8_t *)(buffer + 4 * taps);
            for (int p = 0; p < 4; p++) {
                const int8_t *patch = corner + ((p >> 1) * width + (p & 1)) * channels;
                for (int ky = 0; ky < 3; ky++)
                    for (int k = 0; k < row; k++) gathered[ky * row + k] = patch[ky * width * channels + k];
                int16_t *dst = buffer + 4 * p;
                int i = 0;
                for (; i + 4 <= taps; i += 4, dst += 16) {
                    uint32_t x4;
                    memcpy(&x4, gathered + i, 4);
                    const int32_t x02 = __sxtab16(offsets, (int32_t)x4);
                    const int32_t x13 = __sxtab16(offsets, (int32_t)((x4 >> 8) | (x4 << 24)));
                    memcpy(dst, &x02, 4);
                    memcpy(dst + 2, &x13, 4);
                }
                int16_t *rest = buffer + 16 * (taps / 4);
                if (i + 2 <= taps) {
                    rest[2 * p] = (int16_t)(gathered[i] + params->input_offset);
                    rest[2 * p + 1] = (int16_t)(gathered[i + 1] + params->input_offset);
                    rest += 8;
                    i += 2;
                }
                if (i < taps) rest[p] = (int16_t)(gathered[i] + params->input_offset);
            }
            /* the four dot products of a filter together: each weight word is loaded and widened
             * once for four SMLAD pairs */
            for (int f = 0; f < filters; f++) {
                const int8_t *w = kernel + f * taps;
                const int16_t *x = buffer;
                int32_t acc0 = bias[f], acc1 = acc0, acc2 = acc0, acc3 = acc0;
                int i = 0;
                for (; i + 4 <= taps; i += 4, x += 16) {
                    uint32_t w4;
                    int32_t x02, x13;
                    memcpy(&w4, w + i, 4);
                    const int32_t w02 = __sxtb16((int32_t)w4), w13 = __sxtb16((int32_t)((w4 >> 8) | (w4 << 24)));
                    memcpy(&x02, x, 4);
                    memcpy(&x13, x + 2, 4);
                    acc0 = __smlad(w13, x13, __smlad(w02, x02, acc0));
                    memcpy(&x02, x + 4, 4);
                    memcpy(&x13, x + 6, 4);
                    acc1 = __smlad(w13, x13, __smlad(w02, x02, acc1));
                    memcpy(&x02, x + 8, 4);
                    memcpy(&x13, x + 10, 4);
                    acc2 = __smlad(w13, x13, __smlad(w02, x02, acc2));
                    memcpy(&x02, x + 12, 4);
                    memcpy(&x13, x + 14, 4);
                    acc3 = __smlad(w13, x13, __smlad(w02, x02, acc3));
                }
                if (i + 2 <= taps) { /* the tail pair: bytes 0 and 2 of u | u << 8 are w[i], w[i + 1] */
                    uint16_t u;
                    int32_t x01;
                    memcpy(&u, w + i, 2);
                    const int32_t w01 = __sxtb16((int32_t)((uint32_t)u | ((uint32_t)u << 8)));
                    memcpy(&x01, x, 4);
                    acc0 = __smlad(w01, x01, acc0);
                    memcpy(&x01, x + 2, 4);
                    acc1 = __smlad(w01, x01, acc1);
                    memcpy(&x01, x + 4, 4);
                    acc2 = __smlad(w01, x01, acc2);
                    memcpy(&x01, x + 6, 4);
                    acc3 = __smlad(w01, x01, acc3);
                    x += 8;
                    i += 2;
                }
                if (i < taps) {
                    acc0 += w[i] * x[0];
                    acc1 += w[i] * x[1];
                    acc2 += w[i] * x[2];
                    acc3 += w[i] * x[3];
                }
                int32_t best = acc0 > acc1 ? acc0 : acc1;
                if (acc2 > best) best = acc2;
                if (acc3 > best) best = acc3;
                out[f] = hp_output_s8(best, params, f);
            }
#else
            (void)buffer;
            for (int f = 0; f < filters; f++) {
                const int8_t *w = kernel + f * taps;
                int32_t best = INT32_MIN;
                for (int p = 0; p < 4; p++) {
                    const int8_t *patch = corner + ((p >> 1) * width + (p & 1)) * channels;
                    int32_t acc = bias[f];
                    for (int ky = 0; ky < 3; ky++)
                        for (int k = 0; k < row; k++)
                            acc += (patch[ky * width * channels + k] + params->input_offset) * w[ky * row + k];
                    if (acc > best) best = acc;
                }
                out[f] = hp_output_s8(best, params, f);
            }
#endif
        }
    }
}
