/* Vectors of frames for the host-only lanes kernels (hp_model_f32_batch.h): one register of the
 * host's vector unit holding HP_LANE_VEC consecutive lanes (frames) of a value.
 *
 * The lanes kernels are written with GCC/Clang vector types rather than loops the compiler may or
 * may not vectorize: register blocks then stay in registers on every instruction set, which the
 * loop vectorizer does not guarantee (with AVX2 it left some accumulators in memory, 4x slower).
 * Each lane's arithmetic is still that of the per-frame kernels, operation for operation: the
 * blocks below only decide which independent sums share the register file.
 */
#ifndef HP_LANE_VEC_H
#define HP_LANE_VEC_H

#include <stdint.h>
#include <string.h>

#include "hp_kernels_f32.h"

#if defined(__AVX512F__)
#define HP_LANE_VEC 16 /* floats per vector register */
#elif defined(__AVX__)
#define HP_LANE_VEC 8
#else /* SSE2, Arm NEON */
#define HP_LANE_VEC 4
#endif
/* Vector registers a kernel may fill with accumulators: half the register file (32 registers with
 * AVX-512 and AArch64, 16 elsewhere), leaving the rest for inputs and broadcast weights. */
#if defined(__AVX512F__) || defined(__aarch64__)
#define HP_LANE_ACCUMULATORS 16
#else
#define HP_LANE_ACCUMULATORS 8
#endif

typedef float hp_lane_vec __attribute__((vector_size(HP_LANE_VEC * sizeof(float))));
typedef int32_t hp_lane_mask __attribute__((vector_size(HP_LANE_VEC * sizeof(float))));

static inline hp_lane_vec hp_lane_load(const float *p)
{
    hp_lane_vec v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void hp_lane_store(float *p, hp_lane_vec v) { memcpy(p, &v, sizeof v); }

/* w in every lane: one broadcast (w - 0 is w, -0 and NaN included). */
static inline hp_lane_vec hp_lane_splat(float w) { return w - (hp_lane_vec){0}; }

/* HP_MADD_F32 lane by lane: fused where it is fmaf (one vector FMA), two roundings where it is
 * x * w + acc. */
#if defined(__FMA__) && (defined(__AVX__) || defined(__AVX512F__))
#include <immintrin.h>
static inline hp_lane_vec hp_lane_madd(hp_lane_vec x, float w, hp_lane_vec acc)
{
#if HP_LANE_VEC == 16
    return (hp_lane_vec)_mm512_fmadd_ps((__m512)x, _mm512_set1_ps(w), (__m512)acc);
#else
    return (hp_lane_vec)_mm256_fmadd_ps((__m256)x, _mm256_set1_ps(w), (__m256)acc);
#endif
}
#elif defined(__aarch64__) && defined(__ARM_FEATURE_FMA)
#include <arm_neon.h>
static inline hp_lane_vec hp_lane_madd(hp_lane_vec x, float w, hp_lane_vec acc)
{
    return (hp_lane_vec)vfmaq_n_f32((float32x4_t)acc, (float32x4_t)x, w);
}
#elif !HP_MADD_FUSED
static inline hp_lane_vec hp_lane_madd(hp_lane_vec x, float w, hp_lane_vec acc)
{
    return x * hp_lane_splat(w) + acc; /* not fused: the build sets -ffp-contract=off */
}
#else /* other cores with fmaf: lane by lane */
static inline hp_lane_vec hp_lane_madd(hp_lane_vec x, float w, hp_lane_vec acc)
{
    int l;
    for (l = 0; l < HP_LANE_VEC; l++) acc[l] = HP_MADD_F32(x[l], w, acc[l]);
    return acc;
}
#endif

/* a > b ? a : b lane by lane (the per-frame kernels' max2, NaN and signed zeros alike). */
static inline hp_lane_vec hp_lane_max(hp_lane_vec a, hp_lane_vec b)
{
    hp_lane_mask gt = a > b;
    return (hp_lane_vec)((gt & (hp_lane_mask)a) | (~gt & (hp_lane_mask)b));
}

/* Transpose of a HP_LANE_VEC x HP_LANE_VEC block of vectors in place (v[r][c] -> v[c][r]): log2
 * stages of two-source shuffles, stage d swapping bit d of the row index with the same bit of
 * the column index. */
#define HP_LANE_LO(d, i) (((i) & (d)) ? (i) - (d) + HP_LANE_VEC : (i))
#define HP_LANE_HI(d, i) (((i) & (d)) ? (i) + HP_LANE_VEC : (i) + (d))
#define HP_LANE_I4(F, d) F(d, 0), F(d, 1), F(d, 2), F(d, 3)
#define HP_LANE_I8(F, d) HP_LANE_I4(F, d), F(d, 4), F(d, 5), F(d, 6), F(d, 7)
#define HP_LANE_I16(F, d) \
    HP_LANE_I8(F, d), F(d, 8), F(d, 9), F(d, 10), F(d, 11), F(d, 12), F(d, 13), F(d, 14), F(d, 15)
#if HP_LANE_VEC == 4
#define HP_LANE_INDICES HP_LANE_I4
#elif HP_LANE_VEC == 8
#define HP_LANE_INDICES HP_LANE_I8
#else
#define HP_LANE_INDICES HP_LANE_I16
#endif
#define HP_LANE_TRANSPOSE_STAGE(v, d)                                                      \
    do {                                                                                 \
        int r_;                                                                          \
        for (r_ = 0; r_ < HP_LANE_VEC; r_++)                                             \
            if (!(r_ & (d))) {                                                           \
                const hp_lane_vec a_ = (v)[r_], b_ = (v)[r_ + (d)];                      \
                (v)[r_] = __builtin_shufflevector(a_, b_, HP_LANE_INDICES(HP_LANE_LO, d)); \
                (v)[r_ + (d)] = __builtin_shufflevector(a_, b_, HP_LANE_INDICES(HP_LANE_HI, d)); \
            }                                                                            \
    } while (0)

static inline void hp_lane_transpose(hp_lane_vec v[HP_LANE_VEC])
{
    HP_LANE_TRANSPOSE_STAGE(v, 1);
    HP_LANE_TRANSPOSE_STAGE(v, 2);
#if HP_LANE_VEC >= 8
    HP_LANE_TRANSPOSE_STAGE(v, 4);
#endif
#if HP_LANE_VEC >= 16
    HP_LANE_TRANSPOSE_STAGE(v, 8);
#endif
}

#endif
