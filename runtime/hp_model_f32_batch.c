/* The float32 forward pass over many frames (see hp_model_f32_batch.h): blocks of HP_LANES frames
 * in the lanes layout through the *_lanes kernels, the remaining frames through hp_model_f32_run. */
#include "hp_model_f32_batch.h"

#include <stdint.h>

#include "hp_kernels_f32.h"
#include "hp_lane_vec.h"

#define LANES HP_LANES
/* The lanes buffers start on a 64-byte boundary: every vector of a block then sits in one cache
 * line. */
#define ALIGN_FLOATS 16

struct sizes {
    size_t input, pool, units, outputs; /* floats per frame of each tensor */
};

static struct sizes sizes_of(const hp_model_f32 *m)
{
    struct sizes s;
    s.input = (size_t)m->height * (size_t)m->width * (size_t)m->channels;
    s.pool = (size_t)((m->height - 2) / 2) * (size_t)((m->width - 2) / 2) * (size_t)m->conv_filters;
    s.units = (size_t)m->dense_units;
    s.outputs = (size_t)m->outputs;
    return s;
}

size_t hp_model_f32_batch_scratch_floats(const hp_model_f32 *model)
{
    struct sizes s;
    /* hp_model_f32_scratch_floats checks the dimensions; its buffer (pool and hidden units of one
     * frame) is smaller than the lanes buffers it shares the scratch with. */
    if (hp_model_f32_scratch_floats(model) == 0) return 0;
    s = sizes_of(model);
    return (s.input + s.pool + s.units + s.outputs) * LANES + ALIGN_FLOATS - 1;
}

/* Copies a rows x cols matrix (row stride in_stride) transposed to out (row stride out_stride):
 * whole HP_LANE_VEC x HP_LANE_VEC blocks through vector registers, the rest value by value. */
static void transpose(const float *restrict in, size_t rows, size_t cols, size_t in_stride,
                      float *restrict out, size_t out_stride)
{
    const size_t block_rows = rows - rows % HP_LANE_VEC, block_cols = cols - cols % HP_LANE_VEC;
    size_t r, c;
    int k;
    for (r = 0; r < block_rows; r += HP_LANE_VEC)
        for (c = 0; c < block_cols; c += HP_LANE_VEC) {
            hp_lane_vec v[HP_LANE_VEC];
            for (k = 0; k < HP_LANE_VEC; k++) v[k] = hp_lane_load(in + (r + (size_t)k) * in_stride + c);
            hp_lane_transpose(v);
            for (k = 0; k < HP_LANE_VEC; k++) hp_lane_store(out + (c + (size_t)k) * out_stride + r, v[k]);
        }
    for (r = 0; r < rows; r++)
        for (c = r < block_rows ? block_cols : 0; c < cols; c++)
            out[c * out_stride + r] = in[r * in_stride + c];
}

/* Asks for the next block's frames while this one computes: its rows come from LANES places of
 * the input, more streams than the hardware prefetcher follows ahead. */
static void prefetch_frames(const float *frames, size_t floats)
{
#if defined(__GNUC__)
    size_t i;
    for (i = 0; i < floats; i += 64 / sizeof(float)) __builtin_prefetch(frames + i);
#else
    (void)frames;
    (void)floats;
#endif
}

/* [LANES][n] frames -> [n][LANES]: frame l's value i goes to lanes[i * LANES + l]. */
static void to_lanes(const float *restrict frames, size_t n, float *restrict lanes)
{
    transpose(frames, LANES, n, n, lanes, LANES);
}

/* [n][LANES] -> [LANES][n]. */
static void from_lanes(const float *restrict lanes, size_t n, float *restrict frames)
{
    transpose(lanes, n, LANES, LANES, frames, n);
}

/* A build for less than AVX2 hands batches to the AVX2 copy when the CPU has AVX2 (same bits:
 * neither fuses multiply-adds). */
#if defined(HP_LANES_AVX2_LINKED) && !defined(HP_LANES_AVX2_COPY) && !defined(__AVX2__) && \
    defined(__x86_64__) && defined(__GNUC__)
#define DISPATCH_TO_AVX2 1
int hp_model_f32_run_batch_avx2(const hp_model_f32 *model, const float *inputs, size_t frames,
                                float *scores, float *scratch);
#endif

int hp_model_f32_run_batch(const hp_model_f32 *model, const float *inputs, size_t frames,
                           float *scores, float *scratch)
{
    const hp_model_f32 *m = model;
    struct sizes s;
    float *x, *pool, *hidden, *out;
    size_t b;
    if (m == NULL || scratch == NULL || hp_model_f32_scratch_floats(m) == 0 ||
        (frames > 0 && (inputs == NULL || scores == NULL)))
        return -1;
#ifdef DISPATCH_TO_AVX2
    if (__builtin_cpu_supports("avx2"))
        return hp_model_f32_run_batch_avx2(model, inputs, frames, scores, scratch);
#endif
    s = sizes_of(m);
    x = scratch + (ALIGN_FLOATS - (uintptr_t)scratch / sizeof(float) % ALIGN_FLOATS) % ALIGN_FLOATS;
    pool = x + s.input * LANES;
    hidden = pool + s.pool * LANES;
    out = hidden + s.units * LANES;

    for (b = 0; b + LANES <= frames; b += LANES) {
        float *row = scores + b * s.outputs;
        int l;
        to_lanes(inputs + b * s.input, s.input, x);
        if (b + 2 * LANES <= frames) prefetch_frames(inputs + (b + LANES) * s.input, LANES * s.input);
        hp_conv2d_3x3_relu_maxpool2x2_f32_lanes(x, m->height, m->width, m->channels,
                                                m->conv_kernel, m->conv_bias, m->conv_filters, pool);
        hp_dense_f32_lanes(pool, (int)s.pool, m->dense1_kernel, m->dense1_bias, m->dense_units, 1,
                           hidden);
        hp_dense_f32_lanes(hidden, m->dense_units, m->dense2_kernel, m->dense2_bias, m->outputs, 0,
                           out);
        /* The output functions of hp_model_f32_run: softmax on the lanes, sigmoid frame by frame. */
        if (m->outputs > 1) hp_softmax_f32_lanes(out, m->outputs);
        from_lanes(out, s.outputs, row);
        if (m->outputs == 1)
            for (l = 0; l < LANES; l++) hp_sigmoid_f32(row + l, 1);
    }
    for (; b < frames; b++)
        hp_model_f32_run(m, inputs + b * s.input, scores + b * s.outputs, scratch);
    return 0;
}
