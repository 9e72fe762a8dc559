/* A float32 layer list (see hp_net.h): checks the chain of shapes, then runs each layer's
 * kernel between the two ends of the caller's scratch buffer. */
#include "hp_net.h"

#include "hp_kernels_f32.h"

/* Sizes above these are refused, so no index of a kernel can overflow an int. */
#define MAX_FLOATS (1L << 24)
#define MAX_UNITS (1 << 16)

typedef struct {
    int height, width, channels;
} shape;

static long floats_of(shape s) { return (long)s.height * s.width * s.channels; }

static int size_ok(shape s)
{
    return s.height >= 1 && s.width >= 1 && s.channels >= 1 && s.height <= MAX_UNITS &&
           s.width <= MAX_UNITS && s.channels <= MAX_UNITS && floats_of(s) <= MAX_FLOATS;
}

static int produces(const hp_layer_f32 *l)
{
    return l->kind == HP_LAYER_CONV2D || l->kind == HP_LAYER_MAXPOOL2X2 || l->kind == HP_LAYER_DENSE;
}

/* Does the layer's own input shape describe `in`? A dense layer may name it flat. */
static int input_matches(const hp_layer_f32 *l, shape in)
{
    if (l->height == in.height && l->width == in.width && l->channels == in.channels) return 1;
    return l->kind == HP_LAYER_DENSE && l->height == 1 && l->width == 1 &&
           (long)l->channels == floats_of(in);
}

static int conv_output(const hp_layer_f32 *l, shape in, shape *out)
{
    const int k = l->kernel_size;
    if ((k != 1 && k != 3 && k != 5) || l->padding < 0 || l->padding > k / 2 || l->weights == NULL)
        return 0;
    out->height = in.height + 2 * l->padding - k + 1;
    out->width = in.width + 2 * l->padding - k + 1;
    out->channels = l->outputs;
    return 1;
}

/* The output shape of layer l on input `in`; 0 if the layer is malformed there. */
static int layer_output(const hp_layer_f32 *l, shape in, shape *out)
{
    *out = in;
    if (!input_matches(l, in)) return 0;
    switch (l->kind) {
    case HP_LAYER_CONV2D:
        if (!conv_output(l, in, out)) return 0;
        break;
    case HP_LAYER_MAXPOOL2X2:
        out->height = in.height / 2;
        out->width = in.width / 2;
        out->channels = in.channels;
        break;
    case HP_LAYER_DENSE:
        if (l->weights == NULL || l->bias == NULL) return 0;
        out->height = out->width = 1;
        out->channels = l->outputs;
        break;
    case HP_LAYER_SOFTMAX:
    case HP_LAYER_SIGMOID:
        break;
    default:
        return 0;
    }
    return size_ok(*out);
}

/* The index of the last layer that produces values (its output goes to scores); -1 if none. */
static int last_producer(const hp_net_f32 *net)
{
    int i;
    for (i = net->layer_count - 1; i >= 0; i--)
        if (produces(&net->layers[i])) return i;
    return -1;
}

/* A convolution followed by a pooling is one step: two conv rows at a time into a band, each
 * band pooled at once, so the convolution's whole output never exists. */
static int fused(const hp_net_f32 *net, int i)
{
    return net->layers[i].kind == HP_LAYER_CONV2D && i + 1 < net->layer_count &&
           net->layers[i + 1].kind == HP_LAYER_MAXPOOL2X2;
}

/* The shapes of the step at layer i on input `in`: its output, the conv's output (for a fused
 * step) and the layers it takes (1 or 2); 0 if malformed. */
static int step_output(const hp_net_f32 *net, int i, shape in, shape *conv, shape *out, int *layers)
{
    *layers = 1;
    if (!layer_output(&net->layers[i], in, out)) return 0;
    *conv = *out;
    if (!fused(net, i)) return 1;
    *layers = 2;
    return layer_output(&net->layers[i + 1], *conv, out);
}

static long band_floats(shape conv) { return 2L * conv.width * conv.channels; }

size_t hp_net_f32_scratch_floats(const hp_net_f32 *net)
{
    shape in, conv, out;
    long need = 1; /* never 0: that means malformed */
    int i, step, last;
    if (net == NULL || net->layers == NULL || net->layer_count < 1) return 0;
    in.height = net->input_height;
    in.width = net->input_width;
    in.channels = net->input_channels;
    if (!size_ok(in)) return 0;
    last = last_producer(net);
    for (i = 0; i < net->layer_count; i += step) {
        long here;
        if (!step_output(net, i, in, &conv, &out, &step)) return 0;
        /* What lives in scratch meanwhile: the input unless it is the caller's, the band of a
         * fused step, the output unless it goes to scores; an in-place layer on the caller's
         * input works on a copy. */
        if (produces(&net->layers[i]))
            here = (i == 0 ? 0 : floats_of(in)) + (step == 2 ? band_floats(conv) : 0) +
                   (i + step - 1 == last ? 0 : floats_of(out));
        else
            here = i > last ? 0 : floats_of(in);
        if (here > need) need = here;
        in = out;
    }
    if (floats_of(in) != (long)net->outputs) return 0;
    return (size_t)need;
}

static void copy(const float *from, long n, float *to)
{
    long i;
    for (i = 0; i < n; i++) to[i] = from[i];
}

static void run_layer(const hp_layer_f32 *l, shape in, const float *x, float *y)
{
    switch (l->kind) {
    case HP_LAYER_CONV2D:
        hp_conv2d_f32(x, in.height, in.width, in.channels, l->weights, l->bias, l->outputs,
                      l->kernel_size, l->padding, l->relu, y);
        break;
    case HP_LAYER_MAXPOOL2X2:
        hp_maxpool2x2_f32(x, in.height, in.width, in.channels, y);
        break;
    case HP_LAYER_DENSE:
        hp_dense_f32(x, (int)floats_of(in), l->weights, l->bias, l->outputs, l->relu, y);
        break;
    case HP_LAYER_SOFTMAX:
        hp_softmax_f32(y, (int)floats_of(in));
        break;
    default: /* HP_LAYER_SIGMOID, the one kind left after validation */
        hp_sigmoid_f32(y, (int)floats_of(in));
        break;
    }
}

/* Convolution l and 2x2 pooling, band by band (an odd last conv row is never made: the pooling
 * floors). */
static void run_conv_pool(const hp_layer_f32 *l, shape in, shape conv, const float *x, float *band,
                          float *y)
{
    const int row_floats = conv.width / 2 * conv.channels;
    int r;
    for (r = 0; r < conv.height / 2; r++) {
        hp_conv2d_rows_f32(x, in.height, in.width, in.channels, l->weights, l->bias, l->outputs,
                           l->kernel_size, l->padding, l->relu, 2 * r, 2, band);
        hp_maxpool2x2_f32(band, 2, conv.width, conv.channels, y + r * row_floats);
    }
}

int hp_net_f32_run(const hp_net_f32 *net, const float *input, float *scores, float *scratch)
{
    const size_t size = hp_net_f32_scratch_floats(net);
    const float *x = input;
    float *current = NULL; /* x once it is in scratch or scores */
    shape in, conv, out;
    int i, step, last;
    if (size == 0 || input == NULL || scores == NULL || scratch == NULL) return -1;
    in.height = net->input_height;
    in.width = net->input_width;
    in.channels = net->input_channels;
    last = last_producer(net);
    for (i = 0; i < net->layer_count; i += step) {
        const hp_layer_f32 *l = &net->layers[i];
        float *y;
        if (!step_output(net, i, in, &conv, &out, &step)) return -1; /* checked above: never */
        if (produces(l)) {
            /* The end of scratch the input is not at, or scores. */
            y = i + step - 1 == last ? scores
                : current == scratch ? scratch + size - floats_of(out)
                                     : scratch;
        } else {
            y = current != NULL ? current : i > last ? scores : scratch;
            if (current == NULL) copy(input, floats_of(in), y);
        }
        if (step == 2) /* the band: after the input at the start, else after an output there */
            run_conv_pool(l, in, conv, x, current == scratch ? scratch + floats_of(in)
                                          : y == scratch   ? scratch + floats_of(out)
                                                           : scratch, y);
        else
            run_layer(l, in, x, y);
        x = current = y;
        in = out;
    }
    return 0;
}
