/* 2x2 max pooling, stride 2, valid (see hp_kernels_f32.h). */
#include "hp_kernels_f32.h"

static float max2(float a, float b) { return a > b ? a : b; }

static void maxpool(const float *input, int height, int width, int channels, float *output)
{
    const int out_height = height / 2, out_width = width / 2;
    const int row_stride = width * channels;
    int oy, ox, c;
    for (oy = 0; oy < out_height; oy++) {
        for (ox = 0; ox < out_width; ox++) {
            const float *top = input + 2 * oy * row_stride + 2 * ox * channels;
            const float *bottom = top + row_stride;
            float *out = output + (oy * out_width + ox) * channels;
            for (c = 0; c < channels; c++)
                out[c] = max2(max2(top[c], top[channels + c]), max2(bottom[c], bottom[channels + c]));
        }
    }
}

void hp_maxpool2x2_f32(const float *input, int height, int width, int channels, float *output)
{
    /* 8 channels (ST's model): a constant count makes the channel loop one vector operation. */
    if (channels == 8)
        maxpool(input, height, width, 8, output);
    else
        maxpool(input, height, width, channels, output);
}
