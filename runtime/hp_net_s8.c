/* An int8 layer list (see hp_net_s8.h): checks the chain of shapes, quantizes the input, then
 * runs each step's kernel between the two ends of the caller's scratch buffer. */
#include "hp_net_s8.h"

#include <string.h>

#include "hp_config.h"
#include "hp_kernels_f32.h"
#include "hp_kernels_s8.h"

/* Sizes above these are refused, so no index or byte count can overflow. */
#define MAX_VALUES (1L << 22)
#define MAX_UNITS (1 << 16)

typedef struct {
    int height, width, channels;
} shape;

static long values_of(shape s) { return (long)s.height * s.width * s.channels; }

/* Bytes of an int16 activation buffer (round4 values: dense inputs are read 4 at a time). */
static long act_bytes(shape s) { return 2L * hp_round4((int)values_of(s)); }

static int size_ok(shape s)
{
    return s.height >= 1 && s.width >= 1 && s.channels >= 1 && s.height <= MAX_UNITS && s.width <= MAX_UNITS &&
           s.channels <= MAX_UNITS && values_of(s) <= MAX_VALUES;
}

static int input_matches(const hp_layer_s8 *l, shape in)
{
    if (l->height == in.height && l->width == in.width && l->channels == in.channels) return 1;
    return l->kind == HP_S8_DENSE && l->height == 1 && l->width == 1 && (long)l->channels == values_of(in);
}

static int weights_ok(const hp_layer_s8 *l, int last)
{
    const int kernel = l->kind == HP_S8_CONV2D ? l->conv_kernel != NULL : l->kernel != NULL;
    return kernel && l->bias != NULL && (last || l->multiplier != NULL) && l->outputs >= 1 && l->out_min >= -255 &&
           l->out_max <= 255 && l->out_min <= l->out_max;
}

/* The output shape of layer i on input `in`; 0 if the layer is malformed there. */
static int layer_output(const hp_net_s8 *net, int i, shape in, shape *out)
{
    const hp_layer_s8 *l = &net->layers[i];
    const int last = i == net->layer_count - 1, k = l->kernel_size;
    *out = in;
    if (!input_matches(l, in)) return 0;
    switch (l->kind) {
    case HP_S8_CONV2D:
        if ((k != 1 && k != 3 && k != 5) || l->padding < 0 || l->padding > k / 2 || !weights_ok(l, 0) || last)
            return 0;
        out->height = in.height + 2 * l->padding - k + 1;
        out->width = in.width + 2 * l->padding - k + 1;
        out->channels = l->outputs;
        if ((long)k * k * in.channels > MAX_UNITS) return 0;
        break;
    case HP_S8_MAXPOOL2X2:
        if (last) return 0;
        out->height = in.height / 2;
        out->width = in.width / 2;
        break;
    case HP_S8_DENSE:
        if (!weights_ok(l, last)) return 0;
        out->height = out->width = 1;
        out->channels = l->outputs;
        break;
    default:
        return 0;
    }
    return size_ok(*out);
}

static int fused(const hp_net_s8 *net, int i)
{
    return net->layers[i].kind == HP_S8_CONV2D && i + 1 < net->layer_count &&
           net->layers[i + 1].kind == HP_S8_MAXPOOL2X2;
}

/* The output of the step at layer i on `in` and the layers it takes (1, or 2: conv + pool). */
static int step_output(const hp_net_s8 *net, int i, shape in, shape *out, int *layers)
{
    shape conv;
    *layers = 1;
    if (!layer_output(net, i, in, out)) return 0;
    if (!fused(net, i)) return 1;
    *layers = 2;
    conv = *out;
    return layer_output(net, i + 1, conv, out);
}

/* int16 values of a convolution's patch (hp_conv2d_s8). */
static long patch_values(const hp_layer_s8 *l, shape in, int pooled)
{
    const int k = l->kernel_size;
    const long pair = 2L * hp_round4(k * k * in.channels);
    if (!pooled) return pair;
    return hp_conv2d_s8_tall(in.channels) ? pair + 2L * k * in.channels : 2 * pair;
}

/* Work memory of the step at layer i (a conv's patch, and accumulators unless it is pooled with
 * an even filter count; a dense layer's accumulators unless it requantizes as hp_dense_s8
 * does); a multiple of 4 bytes. */
static long work_bytes(const hp_layer_s8 *l, shape in, int pooled)
{
    const long acc = 4L * hp_round4(l->outputs);
    if (l->kind == HP_S8_CONV2D)
        return 2L * patch_values(l, in, pooled) + (pooled && l->outputs % 2 == 0 ? 0 : 2 * acc);
    if (l->kind == HP_S8_DENSE && (l->multiplier == NULL || l->out_min != 0 || l->out_max != 255)) return acc;
    return 0;
}

/* Bytes of the step's output: int16 activations, or the last layer's int32 logits. */
static long out_bytes(shape out, int last) { return last ? 4L * hp_round4(out.channels) : act_bytes(out); }

size_t hp_net_s8_scratch_bytes(const hp_net_s8 *net)
{
    shape in, out;
    long need;
    int i, step;
    if (net == NULL || net->layers == NULL || net->layer_count < 1 || net->output_scales == NULL ||
        !(net->input_scale > 0.0f) || net->input_limit < 1 || net->input_limit > 32767)
        return 0;
    in.height = net->input_height;
    in.width = net->input_width;
    in.channels = net->input_channels;
    if (!size_ok(in)) return 0;
    need = act_bytes(in);
    for (i = 0; i < net->layer_count; i += step) {
        long here;
        if (!step_output(net, i, in, &out, &step)) return 0;
        here = act_bytes(in) + work_bytes(&net->layers[i], in, step == 2) + out_bytes(out, i + step == net->layer_count);
        if (here > need) need = here;
        in = out;
    }
    if (net->layers[net->layer_count - 1].kind != HP_S8_DENSE || values_of(in) != (long)net->outputs ||
        (net->sigmoid && net->outputs != 1))
        return 0;
    return (size_t)need;
}

/* Runs the step at layer l: x -> y, work memory at `work`. */
static void run_step(const hp_layer_s8 *l, int layers, shape in, const int16_t *x, void *y, void *work)
{
    const int n = (int)values_of(in);
    int32_t *acc = (int32_t *)work;
    switch (l->kind) {
    case HP_S8_CONV2D:
        hp_conv2d_s8(x, in.height, in.width, in.channels, l->kernel_size, l->padding, l->conv_kernel, l->bias,
                     l->multiplier, l->outputs, l->out_min, l->out_max, layers == 2, (int16_t *)y, (int16_t *)work,
                     (int32_t *)((int16_t *)work + patch_values(l, in, layers == 2)));
        break;
    case HP_S8_MAXPOOL2X2:
        hp_maxpool2x2_s8(x, in.height, in.width, in.channels, (int16_t *)y);
        break;
    default: /* HP_S8_DENSE */
        if (l->multiplier == NULL) {
            hp_dense_s8_s32(x, hp_round4(n), l->kernel, l->bias, l->outputs, (int32_t *)y);
        } else if (l->out_min == 0 && l->out_max == 255) { /* after a ReLU: the kernel's own USAT */
            hp_dense_s8(x, hp_round4(n), l->kernel, l->bias, l->outputs, l->multiplier, (int16_t *)y);
        } else {
            hp_dense_s8_s32(x, hp_round4(n), l->kernel, l->bias, l->outputs, acc);
            hp_requantize_s8(acc, l->outputs, l->multiplier, l->out_min, l->out_max, (int16_t *)y);
        }
        break;
    }
}

/* Zeroes an activation buffer's padding up to round4 values (read by a dense layer's blocks). */
static void pad(int16_t *y, shape out)
{
    long i;
    for (i = values_of(out); i < hp_round4((int)values_of(out)); i++) y[i] = 0;
}

int hp_net_s8_run_logits(const hp_net_s8 *net, const float *input, int32_t *logits, void *scratch)
{
    const size_t size = hp_net_s8_scratch_bytes(net);
    char *const start = (char *)scratch;
    char *x;
    shape in, out;
    int i, o, step;
    if (size == 0 || input == NULL || logits == NULL || scratch == NULL) return -1;
    in.height = net->input_height;
    in.width = net->input_width;
    in.channels = net->input_channels;
    hp_quantize_input_s16(input, (int)values_of(in), net->input_scale, net->input_limit, (int16_t *)(void *)start);
    pad((int16_t *)(void *)start, in);
    x = start;
    for (i = 0; i < net->layer_count; i += step) {
        char *y;
        step_output(net, i, in, &out, &step); /* checked above */
        y = x == start ? start + size - out_bytes(out, i + step == net->layer_count) : start;
        run_step(&net->layers[i], step, in, (const int16_t *)(void *)x, y,
                 x == start ? x + act_bytes(in) : y + out_bytes(out, i + step == net->layer_count));
        if (i + step < net->layer_count) pad((int16_t *)(void *)y, out);
        x = y;
        in = out;
    }
    for (o = 0; o < net->outputs; o++) logits[o] = ((const int32_t *)(void *)x)[o];
    return 0;
}

int hp_net_s8_run(const hp_net_s8 *net, const float *input, float *scores, void *scratch)
{
    int o;
    /* The logits in scores' memory (an int32 and a float are both 4 bytes), converted in place;
     * read back through memcpy, so no access changes type under the compiler. */
    if (hp_net_s8_run_logits(net, input, (int32_t *)(void *)scores, scratch) != 0) return -1;
    for (o = 0; o < net->outputs; o++) {
        int32_t logit;
        memcpy(&logit, scores + o, sizeof logit);
        scores[o] = (float)logit * net->output_scales[o];
    }
#if !defined(HP_CONFIG_NO_SIGMOID)
    if (net->sigmoid)
        hp_sigmoid_f32(scores, 1);
    else
#endif
        hp_softmax_f32(scores, net->outputs);
    return 0;
}
