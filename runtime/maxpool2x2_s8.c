/* 2x2 max pooling, stride 2 (floor), of int16 activations (q - zero point): the max of
 * quantized values is the quantized max, so no requantization. */
#include "hp_kernels_s8.h"

void hp_maxpool2x2_s8(const int16_t *input, int height, int width, int channels, int16_t *output)
{
    const int out_h = height / 2, out_w = width / 2, row = width * channels;
    int y, x, c;
    for (y = 0; y < out_h; y++)
        for (x = 0; x < out_w; x++)
            for (c = 0; c < channels; c++) {
                const int16_t *p = input + 2 * y * row + 2 * x * channels + c;
                int16_t m = p[0];
                if (p[channels] > m) m = p[channels];
                if (p[row] > m) m = p[row];
                if (p[row + channels] > m) m = p[row + channels];
                *output++ = m;
            }
}
