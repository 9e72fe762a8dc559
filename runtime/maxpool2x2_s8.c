/* 2x2 max pooling, stride 2, int8. */
#include "hp_kernels_s8.h"

void hp_maxpool2x2_s8(const int8_t *input, int height, int width, int channels, int8_t *output)
{
    const int out_h = height / 2, out_w = width / 2;
    for (int oy = 0; oy < out_h; oy++)
        for (int ox = 0; ox < out_w; ox++)
            for (int c = 0; c < channels; c++) {
                const int8_t *p = input + ((2 * oy) * width + 2 * ox) * channels + c;
                int8_t m = p[0];
                if (p[channels] > m) m = p[channels];
                if (p[width * channels] > m) m = p[width * channels];
                if (p[(width + 1) * channels] > m) m = p[(width + 1) * channels];
                output[(oy * out_w + ox) * channels + c] = m;
            }
}
