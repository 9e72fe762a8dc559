#include "train/layers.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

// Every hot loop works on vectors of frames (the lanes axis) with a weight broadcast to all lanes,
// in the host's own vector width: 16 floats with AVX-512, 8 with AVX/AVX2, 4 with SSE or Arm NEON.
// Wider types than the hardware has are not an option: GCC then splits them into scalar code.
// Register blocks (how many accumulators a loop keeps) follow the register file: 32 vector
// registers with AVX-512 and AArch64, 16 with AVX and SSE. Results are deterministic for a
// given build; builds for different vector widths sum lanes in different orders.
#define RESTRICT __restrict__

namespace hp::train {

#if defined(__AVX512F__)
constexpr int kVec = 16;
#elif defined(__AVX__)
constexpr int kVec = 8;
#else
constexpr int kVec = 4;
#endif
static_assert(kLanes % kVec == 0, "a lane block is whole vectors");
#if defined(__AVX512F__) || defined(__aarch64__)
constexpr bool kManyRegisters = true;  // 32 vector registers
#else
constexpr bool kManyRegisters = false;  // 16
#endif
// Output rows x lane vectors of the matmul and convolution blocks; taps x filters of the
// convolution's kernel-gradient blocks.
constexpr int kRowBlock = kManyRegisters ? 8 : 4;
constexpr int kFilterGradBlock = kManyRegisters ? 8 : 4;
constexpr int kTapGradBlock = kManyRegisters ? 2 : 3;

typedef float vf __attribute__((vector_size(kVec * sizeof(float))));

// v, kept in a register for the loads that follow: without this GCC folds a vector that feeds
// several FMAs into each of them as a memory operand, and the loops become load-bound (12 loads
// per 8 FMAs instead of 6 with AVX2).
static inline vf in_register(vf v)
{
#if defined(__x86_64__)
    __asm__("" : "+v"(v));
#elif defined(__aarch64__)
    __asm__("" : "+w"(v));
#endif
    return v;
}

// Half a vector: the dense kernel gradient's columns past the whole vectors (8 classes with AVX-512).
typedef float vf_half __attribute__((vector_size(kVec / 2 * sizeof(float))));

template <typename V = vf>
static inline V load(const float* p)
{
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

template <typename V>
static inline void store(float* p, V v)
{
    std::memcpy(p, &v, sizeof v);
}

// Sum of the lanes, always in the same order (halves added pairwise).
static inline float hsum(vf v)
{
    float a[kVec];
    std::memcpy(a, &v, sizeof a);
    for (int w = kVec / 2; w > 0; w /= 2)
        for (int i = 0; i < w; i++) a[i] += a[i + w];
    return a[0];
}

// One stage of the kVec x kVec transpose below for rows r and r + d: swaps bit log2(d) of the row
// index with the same bit of the column index (two-source shuffles; I runs over the lanes).
template <int d, int... I>
static inline void transpose_stage(vf v[kVec], std::integer_sequence<int, I...>)
{
    for (int r = 0; r < kVec; r++)
        if (!(r & d)) {
            vf a = v[r], b = v[r + d];
            v[r] = __builtin_shufflevector(a, b, ((I & d) ? I - d + kVec : I)...);
            v[r + d] = __builtin_shufflevector(a, b, ((I & d) ? I + kVec : I + d)...);
        }
}

// Transposes the kVec x kVec block v in place (v[r][c] -> v[c][r]).
template <int d = 1>
static inline void transpose(vf v[kVec])
{
    if constexpr (d < kVec) {
        transpose_stage<d>(v, std::make_integer_sequence<int, kVec>{});
        transpose<2 * d>(v);
    }
}

void interleave_lanes(float* RESTRICT lanes, const float* RESTRICT rows, int R, int Rp, int cols)
{
    int r = 0;
    if (cols % kVec == 0)  // whole kVec x kVec blocks
        for (; r + kVec <= R; r += kVec)
            for (int c = 0; c < cols; c += kVec) {
                vf v[kVec];
                for (int i = 0; i < kVec; i++) v[i] = load(rows + size_t(r + i) * cols + c);
                transpose(v);
                for (int i = 0; i < kVec; i++) store(lanes + size_t(c + i) * Rp + r, v[i]);
            }
    for (int c = 0; c < cols; c++) {
        for (int k = r; k < R; k++) lanes[size_t(c) * Rp + k] = rows[size_t(k) * cols + c];
        for (int k = R; k < Rp; k++) lanes[size_t(c) * Rp + k] = 0.0f;
    }
}

void deinterleave_lanes(float* RESTRICT rows, const float* RESTRICT lanes, int R, int Rp, int cols)
{
    for (int r = 0; r < R; r++)
        for (int c = 0; c < cols; c++) rows[size_t(r) * cols + c] = lanes[size_t(c) * Rp + r];
}

// out[m][lanes] = bias[m] (or 0) + sum_k A(k, m) in[k][lanes] for NM rows m0.. and NL lane vectors;
// A(k, m) = A[k*a_ks + m*a_ms]. Each weight is broadcast once for the NL vectors.
template <int NM, int NL>
static inline void lanes_block(float* RESTRICT out, const float* RESTRICT in, const float* RESTRICT A, size_t a_ks,
                               size_t a_ms, const float* RESTRICT bias, int m0, int K, int Bp, int lane)
{
    vf acc[NM][NL];
    for (int q = 0; q < NM; q++)
        for (int l = 0; l < NL; l++) acc[q][l] = vf{} + (bias ? bias[m0 + q] : 0.0f);
    for (int k = 0; k < K; k++) {
        vf x[NL];
        for (int l = 0; l < NL; l++) x[l] = in_register(load(in + size_t(k) * Bp + lane + l * kVec));
        const float* a = A + size_t(k) * a_ks + size_t(m0) * a_ms;
        for (int q = 0; q < NM; q++) {
            const float w = a[size_t(q) * a_ms];
            for (int l = 0; l < NL; l++) acc[q][l] += w * x[l];
        }
    }
    for (int q = 0; q < NM; q++)
        for (int l = 0; l < NL; l++) store(out + size_t(m0 + q) * Bp + lane + l * kVec, acc[q][l]);
}

template <int NL>
static void lanes_matmul_at(float* out, const float* in, const float* A, size_t a_ks, size_t a_ms, const float* bias,
                            int M, int K, int Bp, int lane)
{
    int m = 0;
    for (; m + kRowBlock <= M; m += kRowBlock) lanes_block<kRowBlock, NL>(out, in, A, a_ks, a_ms, bias, m, K, Bp, lane);
    for (; m < M; m++) lanes_block<1, NL>(out, in, A, a_ks, a_ms, bias, m, K, Bp, lane);
}

// out [M][Bp] = bias + A^T in, in [K][Bp]
static void lanes_matmul(float* out, const float* in, const float* A, size_t a_ks, size_t a_ms, const float* bias,
                         int M, int K, int Bp)
{
    int lane = 0;
    for (; lane + 2 * kVec <= Bp; lane += 2 * kVec) lanes_matmul_at<2>(out, in, A, a_ks, a_ms, bias, M, K, Bp, lane);
    for (; lane < Bp; lane += kVec) lanes_matmul_at<1>(out, in, A, a_ks, a_ms, bias, M, K, Bp, lane);
}

// NF filters f0.. of output pixel (oy, ox), NL lane vectors: the 3 rows of 3*C taps of the window.
template <int NF, int NL>
static inline void conv_block(float* RESTRICT out, const float* RESTRICT in, const float* RESTRICT kernel,
                              const float* RESTRICT bias, int Bp, int W, int C, int F, int OW, int oy, int ox, int f0,
                              int lane)
{
    vf acc[NF][NL];
    for (int q = 0; q < NF; q++)
        for (int l = 0; l < NL; l++) acc[q][l] = vf{} + bias[f0 + q];
    for (int ky = 0; ky < 3; ky++) {
        const float* x = in + (size_t(oy + ky) * W + ox) * C * Bp + lane;  // 3*C taps, Bp apart
        const float* k = kernel + size_t(ky) * 3 * C * F + f0;
        for (int t = 0; t < 3 * C; t++) {
            vf v[NL];
            for (int l = 0; l < NL; l++) v[l] = in_register(load(x + size_t(t) * Bp + l * kVec));
            for (int q = 0; q < NF; q++) {
                const float w = k[size_t(t) * F + q];
                for (int l = 0; l < NL; l++) acc[q][l] += w * v[l];
            }
        }
    }
    for (int q = 0; q < NF; q++)
        for (int l = 0; l < NL; l++)
            store(out + ((size_t(oy) * OW + ox) * F + f0 + q) * Bp + lane + l * kVec, acc[q][l]);
}

template <int NL>
static void conv_pixel(float* out, const float* in, const float* kernel, const float* bias, int Bp, int W, int C, int F,
                       int OW, int oy, int ox, int lane)
{
    int f = 0;
    for (; f + kRowBlock <= F; f += kRowBlock)
        conv_block<kRowBlock, NL>(out, in, kernel, bias, Bp, W, C, F, OW, oy, ox, f, lane);
    for (; f < F; f++) conv_block<1, NL>(out, in, kernel, bias, Bp, W, C, F, OW, oy, ox, f, lane);
}

void conv2d_forward(float* out, const float* in, const float* kernel, const float* bias, int Bp, int H, int W, int C,
                    int F)
{
    const int OH = H - 2, OW = W - 2;
    for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++) {
            int lane = 0;
            for (; lane + 2 * kVec <= Bp; lane += 2 * kVec)
                conv_pixel<2>(out, in, kernel, bias, Bp, W, C, F, OW, oy, ox, lane);
            for (; lane < Bp; lane += kVec) conv_pixel<1>(out, in, kernel, bias, Bp, W, C, F, OW, oy, ox, lane);
        }
}

// dkernel for NT consecutive taps t0.. of kernel row ky (tap t = kx*C + c; its inputs are Bp apart)
// and NF filters f0..: sum over output pixels and frames of the shifted input times dout. Each
// dout vector is loaded once for the NT taps.
template <int NT, int NF>
static inline void conv_dkernel_block(float* RESTRICT dkernel, const float* RESTRICT dout, const float* RESTRICT in,
                                      int Bp, int W, int C, int F, int OH, int OW, int ky, int t0, int f0)
{
    vf acc[NT][NF] = {};
    for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++) {
            const float* x = in + ((size_t(oy + ky) * W + ox) * C + t0) * Bp;
            const float* d = dout + ((size_t(oy) * OW + ox) * F + f0) * Bp;
            for (int lane = 0; lane < Bp; lane += kVec) {
                vf g[NF];
                for (int q = 0; q < NF; q++) g[q] = load(d + size_t(q) * Bp + lane);
                for (int t = 0; t < NT; t++) {
                    vf v = load(x + size_t(t) * Bp + lane);
                    for (int q = 0; q < NF; q++) acc[t][q] += v * g[q];
                }
            }
        }
    for (int t = 0; t < NT; t++)
        for (int q = 0; q < NF; q++) dkernel[(size_t(ky) * 3 * C + t0 + t) * F + f0 + q] = hsum(acc[t][q]);
}

template <int NF>
static void conv_dkernel_row(float* dkernel, const float* dout, const float* in, int Bp, int W, int C, int F, int OH,
                             int OW, int ky, int f0)
{
    int t = 0;
    for (; t + kTapGradBlock <= 3 * C; t += kTapGradBlock)
        conv_dkernel_block<kTapGradBlock, NF>(dkernel, dout, in, Bp, W, C, F, OH, OW, ky, t, f0);
    for (; t < 3 * C; t++) conv_dkernel_block<1, NF>(dkernel, dout, in, Bp, W, C, F, OH, OW, ky, t, f0);
}

void conv2d_backward(float* din, float* dkernel, float* dbias, const float* dout, const float* in, const float* kernel,
                     int Bp, int H, int W, int C, int F)
{
    const int OH = H - 2, OW = W - 2;
    for (int ky = 0; ky < 3; ky++) {
        int f = 0;
        for (; f + kFilterGradBlock <= F; f += kFilterGradBlock)
            conv_dkernel_row<kFilterGradBlock>(dkernel, dout, in, Bp, W, C, F, OH, OW, ky, f);
        for (; f < F; f++) conv_dkernel_row<1>(dkernel, dout, in, Bp, W, C, F, OH, OW, ky, f);
    }
    for (int f = 0; f < F; f++) {
        vf acc = {};
        for (int p = 0; p < OH * OW; p++)
            for (int lane = 0; lane < Bp; lane += kVec) acc += load(dout + (size_t(p) * F + f) * Bp + lane);
        dbias[f] = hsum(acc);
    }
    if (!din) return;  // the first layer's input needs no gradient
    std::memset(din, 0, sizeof(float) * size_t(H) * W * C * Bp);
    for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
            for (int ky = 0; ky < 3; ky++)
                for (int kx = 0; kx < 3; kx++)
                    for (int c = 0; c < C; c++) {
                        float* dx = din + ((size_t(oy + ky) * W + ox + kx) * C + c) * Bp;
                        const float* k = kernel + ((size_t(ky) * 3 + kx) * C + c) * F;
                        for (int f = 0; f < F; f++) {
                            const float* d = dout + ((size_t(oy) * OW + ox) * F + f) * Bp;
                            for (int lane = 0; lane < Bp; lane += kVec)
                                store(dx + lane, load(dx + lane) + k[f] * load(d + lane));
                        }
                    }
}

void relu_forward(float* out, const float* in, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = in[i] > 0 ? in[i] : 0.0f;
}

void relu_backward(float* din, const float* dout, const float* out, size_t n)
{
    for (size_t i = 0; i < n; i++) din[i] = out[i] > 0 ? dout[i] : 0.0f;
}

void maxpool_forward(float* RESTRICT out, const float* RESTRICT in, int Bp, int H, int W, int C)
{
    const int PH = H / 2, PW = W / 2;
    const size_t row = size_t(W) * C * Bp, px = size_t(C) * Bp;
    for (int py = 0; py < PH; py++)
        for (int qx = 0; qx < PW; qx++) {
            const float* i00 = in + size_t(2 * py) * row + size_t(2 * qx) * px;
            float* o = out + (size_t(py) * PW + qx) * px;
            for (size_t e = 0; e < px; e += kVec) {
                vf a = load(i00 + e), b = load(i00 + px + e), c = load(i00 + row + e), d = load(i00 + row + px + e);
                vf ab = a > b ? a : b, cd = c > d ? c : d;
                store(o + e, ab > cd ? ab : cd);
            }
        }
}

void maxpool_backward(float* RESTRICT din, const float* RESTRICT dout, const float* RESTRICT in,
                      const float* RESTRICT out, int Bp, int H, int W, int C)
{
    const int PH = H / 2, PW = W / 2;
    const size_t row = size_t(W) * C * Bp, px = size_t(C) * Bp;
    std::memset(din, 0, sizeof(float) * size_t(H) * row);  // covers the unpooled last row/column
    const vf zero = {};
    for (int py = 0; py < PH; py++)
        for (int qx = 0; qx < PW; qx++) {
            const size_t i00 = size_t(2 * py) * row + size_t(2 * qx) * px, o = (size_t(py) * PW + qx) * px;
            const size_t at[4] = {i00, i00 + px, i00 + row, i00 + row + px};  // window order
            for (size_t e = 0; e < px; e += kVec) {
                vf m = load(out + o + e), g = load(dout + o + e);
                for (int w = 0; w < 4; w++) {
                    vf x = load(in + at[w] + e);
                    store(din + at[w] + e, x == m ? g : zero);
                    g = x == m ? zero : g;  // later equal values in the window get nothing
                }
            }
        }
}

// SplitMix64 (Steele, Lea, Flood 2014): output i of the generator started at `state` (a
// counter-based form, so the elements vectorize).
static inline uint64_t splitmix64(uint64_t state, uint64_t i)
{
    uint64_t z = state + (i + 1) * 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void dropout_forward(float* RESTRICT out, float* RESTRICT mask, const float* RESTRICT in, size_t n, float rate,
                     Rng& rng)
{
    // Each 64-bit output decides 4 elements with 16 bits each: dropped iff u16 < rate * 2^16
    // (the rate is resolved to 1/65536).
    const uint64_t state = uint64_t(rng.next_u32()) << 32 | rng.next_u32();
    const float keep = 1.0f / (1.0f - rate);
    const uint32_t threshold = uint32_t(std::lround(double(rate) * 65536.0));
    // Element i takes bits 16*(i%4).. of output i/4: on a little-endian CPU, 16-bit word i of the
    // outputs in memory. Both loops vectorize.
    std::vector<uint64_t> z((n + 3) / 4);
    for (size_t j = 0; j < z.size(); j++) z[j] = splitmix64(state, j);
    std::vector<uint16_t> bits(z.size() * 4);
    if constexpr (std::endian::native == std::endian::little)
        std::memcpy(bits.data(), z.data(), bits.size() * sizeof(uint16_t));
    else
        for (size_t i = 0; i < bits.size(); i++) bits[i] = uint16_t(z[i / 4] >> (16 * (i % 4)));
    for (size_t i = 0; i < n; i++) mask[i] = bits[i] >= threshold ? keep : 0.0f;
    for (size_t i = 0; i < n; i++) out[i] = in[i] * mask[i];
}

void dropout_backward(float* din, const float* dout, const float* mask, size_t n)
{
    for (size_t i = 0; i < n; i++) din[i] = dout[i] * mask[i];
}

void dense_forward(float* out, const float* in, const float* kernel, const float* bias, int Bp, int I, int O)
{
    lanes_matmul(out, in, kernel, size_t(O), 1, bias, O, I, Bp);  // A(i, o) = kernel[i][o]
}

// dkernel rows i0..i0+NI, columns o0.. in NV vectors of type V: sum over frames of
// in[i][b] * dout_rows[b][o]; the NI x NV accumulators stay in registers.
template <typename V, int NI, int NV>
static inline void dense_dkernel_block(float* RESTRICT dkernel, const float* RESTRICT in,
                                       const float* RESTRICT dout_rows, int B, int Bp, int O, int i0, int o0)
{
    constexpr int n = int(sizeof(V) / sizeof(float));
    V acc[NI][NV] = {};
    for (int b = 0; b < B; b++) {
        V d[NV];
        for (int v = 0; v < NV; v++) d[v] = load<V>(dout_rows + size_t(b) * O + o0 + v * n);
        for (int q = 0; q < NI; q++) {
            const float s = in[size_t(i0 + q) * Bp + b];
            for (int v = 0; v < NV; v++) acc[q][v] += s * d[v];
        }
    }
    for (int q = 0; q < NI; q++)
        for (int v = 0; v < NV; v++) store(dkernel + size_t(i0 + q) * O + o0 + v * n, acc[q][v]);
}

template <typename V, int NV>
static void dense_dkernel_columns(float* dkernel, const float* in, const float* dout_rows, int B, int Bp, int I, int O,
                                  int o0)
{
    int i = 0;
    for (; i + 4 <= I; i += 4) dense_dkernel_block<V, 4, NV>(dkernel, in, dout_rows, B, Bp, O, i, o0);
    for (; i < I; i++) dense_dkernel_block<V, 1, NV>(dkernel, in, dout_rows, B, Bp, O, i, o0);
}

void dense_backward(float* RESTRICT din, float* RESTRICT dkernel, float* RESTRICT dbias, const float* RESTRICT dout,
                    const float* RESTRICT in, const float* RESTRICT kernel, float* RESTRICT dout_rows, int B, int Bp,
                    int I, int O)
{
    // dkernel [I][O] = in [I][B] dout_rows [B][O], vectors over outputs
    deinterleave_lanes(dout_rows, dout, B, Bp, O);
    int o = 0;
    for (; o + 2 * kVec <= O; o += 2 * kVec) dense_dkernel_columns<vf, 2>(dkernel, in, dout_rows, B, Bp, I, O, o);
    for (; o + kVec <= O; o += kVec) dense_dkernel_columns<vf, 1>(dkernel, in, dout_rows, B, Bp, I, O, o);
    for (; o + kVec / 2 <= O; o += kVec / 2) dense_dkernel_columns<vf_half, 1>(dkernel, in, dout_rows, B, Bp, I, O, o);
    for (; o < O; o++)
        for (int i = 0; i < I; i++) {
            float sum = 0;
            for (int b = 0; b < B; b++) sum += in[size_t(i) * Bp + b] * dout_rows[size_t(b) * O + o];
            dkernel[size_t(i) * O + o] = sum;
        }
    for (int j = 0; j < O; j++) dbias[j] = 0.0f;
    for (int b = 0; b < B; b++)
        for (int j = 0; j < O; j++) dbias[j] += dout_rows[size_t(b) * O + j];
    // din [I][Bp] = kernel [I][O] dout [O][Bp]: A(o, i) = kernel[i][o]
    if (din) lanes_matmul(din, dout, kernel, 1, size_t(O), nullptr, I, O, Bp);
}

double softmax_crossentropy_forward(float* probs, const float* logits, const int* labels, int B, int O)
{
    double loss = 0;
    for (int b = 0; b < B; b++) {
        const float* z = logits + size_t(b) * O;
        float* p = probs + size_t(b) * O;
        float zmax = z[0];
        for (int j = 1; j < O; j++) zmax = z[j] > zmax ? z[j] : zmax;
        float sum = 0;
        for (int j = 0; j < O; j++) {
            p[j] = std::exp(z[j] - zmax);
            sum += p[j];
        }
        for (int j = 0; j < O; j++) p[j] /= sum;
        // -log softmax from the logits, exact even when a probability underflows
        loss += double(std::log(sum)) - double(z[labels[b]] - zmax);
    }
    return loss;
}

void softmax_crossentropy_backward(float* dlogits, const float* probs, const int* labels, int B, int O, float scale)
{
    for (int b = 0; b < B; b++) {
        for (int j = 0; j < O; j++) dlogits[size_t(b) * O + j] = probs[size_t(b) * O + j] * scale;
        dlogits[size_t(b) * O + labels[b]] -= scale;
    }
}

double sigmoid_bce_forward(float* probs, const float* logits, const int* labels, int B)
{
    double loss = 0;
    for (int b = 0; b < B; b++) {
        float z = logits[b];
        probs[b] = 1.0f / (1.0f + std::exp(-z));
        // max(z, 0) - z*y + log(1 + exp(-|z|)): stable for large |z|
        loss += double(std::fmax(z, 0.0f)) - double(z) * labels[b] + std::log1p(std::exp(-double(std::fabs(z))));
    }
    return loss;
}

void sigmoid_bce_backward(float* dlogits, const float* probs, const int* labels, int B, float scale)
{
    for (int b = 0; b < B; b++) dlogits[b] = (probs[b] - float(labels[b])) * scale;
}

// ---- Convolutions of any odd kernel size, valid or same padding ----
// The same register blocks as the 3x3 valid convolution above, with the kernel taps that fall
// outside a padded input left out (no multiplications by padding zeros, no padded copy).

int conv_output_size(int n, int k, Padding padding) { return padding == Padding::same ? n : n - k + 1; }

static void check_conv_shape(int H, int W, int k, Padding padding)
{
    if (k < 1 || k % 2 == 0) throw std::invalid_argument("conv2d: kernel size must be odd, got " + std::to_string(k));
    if (conv_output_size(H, k, padding) < 1 || conv_output_size(W, k, padding) < 1)
        throw std::invalid_argument("conv2d: kernel " + std::to_string(k) + "x" + std::to_string(k) +
                                    " larger than its " + std::to_string(H) + "x" + std::to_string(W) + " input");
}

// Kernel rows [ky0, ky1) and columns [kx0, kx1) of output pixel (oy, ox) that fall inside the input
// (input row of kernel row ky: oy + ky - pad).
struct ConvWindow {
    int ky0, ky1, kx0, kx1;
};

static inline ConvWindow conv_window(int oy, int ox, int H, int W, int k, int pad)
{
    return {std::max(0, pad - oy), std::min(k, H + pad - oy), std::max(0, pad - ox), std::min(k, W + pad - ox)};
}

// NF filters f0.. of output pixel (oy, ox), NL lane vectors; each kernel row of the window is
// (kx1 - kx0) * C consecutive taps, Bp apart in the input.
template <int NF, int NL>
static inline void gconv_block(float* RESTRICT out, const float* RESTRICT in, const float* RESTRICT kernel,
                               const float* RESTRICT bias, int Bp, int W, int C, int F, int OW, int k, int pad,
                               const ConvWindow& win, int oy, int ox, int f0, int lane)
{
    vf acc[NF][NL];
    for (int q = 0; q < NF; q++)
        for (int l = 0; l < NL; l++) acc[q][l] = vf{} + (bias ? bias[f0 + q] : 0.0f);
    const int taps = (win.kx1 - win.kx0) * C;
    for (int ky = win.ky0; ky < win.ky1; ky++) {
        const float* x = in + (size_t(oy + ky - pad) * W + ox + win.kx0 - pad) * C * Bp + lane;
        const float* kr = kernel + (size_t(ky) * k + win.kx0) * C * F + f0;
        for (int t = 0; t < taps; t++) {
            vf v[NL];
            for (int l = 0; l < NL; l++) v[l] = in_register(load(x + size_t(t) * Bp + l * kVec));
            for (int q = 0; q < NF; q++) {
                const float w = kr[size_t(t) * F + q];
                for (int l = 0; l < NL; l++) acc[q][l] += w * v[l];
            }
        }
    }
    float* o = out + (size_t(oy) * OW + ox) * F * Bp;
    for (int q = 0; q < NF; q++)
        for (int l = 0; l < NL; l++) store(o + size_t(f0 + q) * Bp + lane + l * kVec, acc[q][l]);
}

template <int NL>
static void gconv_pixel(float* out, const float* in, const float* kernel, const float* bias, int Bp, int W, int C,
                        int F, int OW, int k, int pad, const ConvWindow& win, int oy, int ox, int lane)
{
    int f = 0;
    for (; f + kRowBlock <= F; f += kRowBlock)
        gconv_block<kRowBlock, NL>(out, in, kernel, bias, Bp, W, C, F, OW, k, pad, win, oy, ox, f, lane);
    for (; f < F; f++) gconv_block<1, NL>(out, in, kernel, bias, Bp, W, C, F, OW, k, pad, win, oy, ox, f, lane);
}

void conv2d_forward_general(float* out, const float* in, const float* kernel, const float* bias, int Bp, int H, int W,
                            int C, int F, int k, Padding padding)
{
    check_conv_shape(H, W, k, padding);
    const int OH = conv_output_size(H, k, padding), OW = conv_output_size(W, k, padding);
    const int pad = padding == Padding::same ? k / 2 : 0;
    for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++) {
            const ConvWindow win = conv_window(oy, ox, H, W, k, pad);
            int lane = 0;
            for (; lane + 2 * kVec <= Bp; lane += 2 * kVec)
                gconv_pixel<2>(out, in, kernel, bias, Bp, W, C, F, OW, k, pad, win, oy, ox, lane);
            for (; lane < Bp; lane += kVec)
                gconv_pixel<1>(out, in, kernel, bias, Bp, W, C, F, OW, k, pad, win, oy, ox, lane);
        }
}

// The output pixels [oy0, oy1) x [ox0, ox1) whose kernel tap (ky, kx) falls inside the input.
struct ConvTapRange {
    int ky, oy0, oy1, ox0, ox1;
};

// dkernel for NT consecutive taps t0.. of kernel row ky (t = kx*C + c) that share the output pixels
// of `r`, and NF filters f0..: sum over those pixels and all lanes of the input times dout.
template <int NT, int NF>
static inline void gconv_dkernel_block(float* RESTRICT dkernel, const float* RESTRICT dout, const float* RESTRICT in,
                                       int Bp, int W, int C, int F, int OW, int k, int pad, const ConvTapRange& r,
                                       int t0, int f0)
{
    vf acc[NT][NF] = {};
    for (int oy = r.oy0; oy < r.oy1; oy++)
        for (int ox = r.ox0; ox < r.ox1; ox++) {
            const float* x = in + ((size_t(oy + r.ky - pad) * W + ox - pad) * C + t0) * Bp;
            const float* d = dout + ((size_t(oy) * OW + ox) * F + f0) * Bp;
            for (int lane = 0; lane < Bp; lane += kVec) {
                vf g[NF];
                for (int q = 0; q < NF; q++) g[q] = load(d + size_t(q) * Bp + lane);
                for (int t = 0; t < NT; t++) {
                    vf v = load(x + size_t(t) * Bp + lane);
                    for (int q = 0; q < NF; q++) acc[t][q] += v * g[q];
                }
            }
        }
    for (int t = 0; t < NT; t++)
        for (int q = 0; q < NF; q++) dkernel[(size_t(r.ky) * k * C + t0 + t) * F + f0 + q] = hsum(acc[t][q]);
}

// Taps [t0, t1) of kernel row r.ky, all sharing the output pixels of r, in register blocks.
template <int NF>
static void gconv_dkernel_taps(float* dkernel, const float* dout, const float* in, int Bp, int W, int C, int F, int OW,
                               int k, int pad, const ConvTapRange& r, int t0, int t1, int f0)
{
    int t = t0;
    for (; t + kTapGradBlock <= t1; t += kTapGradBlock)
        gconv_dkernel_block<kTapGradBlock, NF>(dkernel, dout, in, Bp, W, C, F, OW, k, pad, r, t, f0);
    for (; t + 2 <= t1; t += 2) gconv_dkernel_block<2, NF>(dkernel, dout, in, Bp, W, C, F, OW, k, pad, r, t, f0);
    for (; t < t1; t++) gconv_dkernel_block<1, NF>(dkernel, dout, in, Bp, W, C, F, OW, k, pad, r, t, f0);
}

// dkernel of filters f0.. for all taps. Without padding every tap of a kernel row sees the same
// output pixels, so a row is one run of k*C taps; with padding each kernel column has its own.
template <int NF>
static void gconv_dkernel_filters(float* dkernel, const float* dout, const float* in, int Bp, int H, int W, int C,
                                  int F, int OH, int OW, int k, int pad, int f0)
{
    for (int ky = 0; ky < k; ky++) {
        const int oy0 = std::max(0, pad - ky), oy1 = std::min(OH, H + pad - ky);
        if (pad == 0) {
            gconv_dkernel_taps<NF>(dkernel, dout, in, Bp, W, C, F, OW, k, pad, {ky, oy0, oy1, 0, OW}, 0, k * C, f0);
            continue;
        }
        for (int kx = 0; kx < k; kx++) {
            const ConvTapRange r{ky, oy0, oy1, std::max(0, pad - kx), std::min(OW, W + pad - kx)};
            gconv_dkernel_taps<NF>(dkernel, dout, in, Bp, W, C, F, OW, k, pad, r, kx * C, (kx + 1) * C, f0);
        }
    }
}

// din of NC channels c0.. of input pixel (iy, ix), NL lane vectors: a sum over the output pixels
// whose window holds it and their F filters (written once, no scatter).
template <int NC, int NL>
static inline void gconv_din_block(float* RESTRICT din, const float* RESTRICT dout, const float* RESTRICT kernel,
                                   int Bp, int W, int C, int F, int OH, int OW, int k, int pad, int iy, int ix, int c0,
                                   int lane)
{
    vf acc[NC][NL] = {};
    const int ky0 = std::max(0, iy + pad - OH + 1), ky1 = std::min(k, iy + pad + 1);
    const int kx0 = std::max(0, ix + pad - OW + 1), kx1 = std::min(k, ix + pad + 1);
    for (int ky = ky0; ky < ky1; ky++)
        for (int kx = kx0; kx < kx1; kx++) {
            const float* d = dout + (size_t(iy + pad - ky) * OW + ix + pad - kx) * F * Bp + lane;
            const float* kr = kernel + ((size_t(ky) * k + kx) * C + c0) * F;
            for (int f = 0; f < F; f++) {
                vf v[NL];
                for (int l = 0; l < NL; l++) v[l] = in_register(load(d + size_t(f) * Bp + l * kVec));
                for (int q = 0; q < NC; q++) {
                    const float w = kr[size_t(q) * F + f];
                    for (int l = 0; l < NL; l++) acc[q][l] += w * v[l];
                }
            }
        }
    float* o = din + (size_t(iy) * W + ix) * C * Bp;
    for (int q = 0; q < NC; q++)
        for (int l = 0; l < NL; l++) store(o + size_t(c0 + q) * Bp + lane + l * kVec, acc[q][l]);
}

template <int NL>
static void gconv_din_pixel(float* din, const float* dout, const float* kernel, int Bp, int W, int C, int F, int OH,
                            int OW, int k, int pad, int iy, int ix, int lane)
{
    int c = 0;
    for (; c + kRowBlock <= C; c += kRowBlock)
        gconv_din_block<kRowBlock, NL>(din, dout, kernel, Bp, W, C, F, OH, OW, k, pad, iy, ix, c, lane);
    for (; c < C; c++) gconv_din_block<1, NL>(din, dout, kernel, Bp, W, C, F, OH, OW, k, pad, iy, ix, c, lane);
}

void conv2d_backward_general(float* din, float* dkernel, float* dbias, const float* dout, const float* in,
                             const float* kernel, int Bp, int H, int W, int C, int F, int k, Padding padding)
{
    check_conv_shape(H, W, k, padding);
    const int OH = conv_output_size(H, k, padding), OW = conv_output_size(W, k, padding);
    const int pad = padding == Padding::same ? k / 2 : 0;
    int f = 0;
    for (; f + kFilterGradBlock <= F; f += kFilterGradBlock)
        gconv_dkernel_filters<kFilterGradBlock>(dkernel, dout, in, Bp, H, W, C, F, OH, OW, k, pad, f);
    for (; f < F; f++) gconv_dkernel_filters<1>(dkernel, dout, in, Bp, H, W, C, F, OH, OW, k, pad, f);
    if (dbias)
        for (int q = 0; q < F; q++) {
            vf acc = {};
            for (int p = 0; p < OH * OW; p++)
                for (int lane = 0; lane < Bp; lane += kVec) acc += load(dout + (size_t(p) * F + q) * Bp + lane);
            dbias[q] = hsum(acc);
        }
    if (!din) return;
    for (int iy = 0; iy < H; iy++)
        for (int ix = 0; ix < W; ix++) {
            int lane = 0;
            for (; lane + 2 * kVec <= Bp; lane += 2 * kVec)
                gconv_din_pixel<2>(din, dout, kernel, Bp, W, C, F, OH, OW, k, pad, iy, ix, lane);
            for (; lane < Bp; lane += kVec) gconv_din_pixel<1>(din, dout, kernel, Bp, W, C, F, OH, OW, k, pad, iy, ix, lane);
        }
}

// ---- Batch normalization ----
// Every pass runs through [n][C][Bp] in memory order with per-channel vectors of partial sums
// (a few KB, they stay in L1): walking one channel at a time would stride C*Bp floats, often
// 4 KB, and every pixel of a channel would then fall in the same cache set.

typedef int vi __attribute__((vector_size(kVec * sizeof(int))));

// Lane masks of the lane vectors that hold frames of the batch: all lanes but in the last one,
// whose lanes past B are off.
static std::vector<vi> batch_masks(int B)
{
    std::vector<vi> masks(size_t((B + kVec - 1) / kVec));
    for (size_t v = 0; v < masks.size(); v++) {
        vf index;
        for (int i = 0; i < kVec; i++) index[i] = float(int(v) * kVec + i);
        masks[v] = index < vf{} + float(B);
    }
    return masks;
}

// sums[c] = sum over the n pixels and the first B lanes of channel c of f(x, at, c), x [n][C][Bp],
// `at` the index of x's first lane
template <typename Fn>
static void channel_sums(float* sums, const float* x, const std::vector<vi>& masks, int Bp, int n, int C, Fn f)
{
    const size_t nv = masks.size();
    std::vector<vf> acc(size_t(C) * nv, vf{});
    const vf zero = {};
    for (int p = 0; p < n; p++)
        for (int c = 0; c < C; c++) {
            const size_t at = (size_t(p) * C + c) * Bp;
            for (size_t v = 0; v < nv; v++) {
                const size_t av = at + v * kVec;
                acc[c * nv + v] += masks[v] ? f(load(x + av), av, c) : zero;
            }
        }
    for (int c = 0; c < C; c++) {
        vf total = {};
        for (size_t v = 0; v < nv; v++) total += acc[c * nv + v];
        sums[c] = hsum(total);
    }
}

// out[p][c] = in[p][c] * scale[c] + shift[c] over the batch's lanes, 0 in the padding lanes
static void channel_affine(float* out, const float* in, const float* scale, const float* shift, int B, int Bp, int n,
                           int C)
{
    const auto masks = batch_masks(B);
    const vf zero = {};
    for (int p = 0; p < n; p++)
        for (int c = 0; c < C; c++) {
            const size_t at = (size_t(p) * C + c) * Bp;
            for (int lane = 0; lane < Bp; lane += kVec) {
                const size_t v = size_t(lane / kVec);
                store(out + at + lane, v < masks.size() ? (masks[v] ? load(in + at + lane) * scale[c] + shift[c] : zero)
                                                         : zero);
            }
        }
}

void batchnorm_forward_train(float* out, float* mean, float* inv_std, float* moving_mean, float* moving_var,
                             const float* in, const float* gamma, const float* beta, int B, int Bp, int n, int C,
                             const BatchNormConfig& config)
{
    const float m = float(B) * float(n), keep = config.momentum, take = 1.0f - config.momentum;
    const auto masks = batch_masks(B);
    channel_sums(mean, in, masks, Bp, n, C, [](vf x, size_t, int) { return x; });
    for (int c = 0; c < C; c++) mean[c] /= m;
    // two passes: the squares of the deviations, not E[x^2] - mean^2, which cancels
    std::vector<float> ss(static_cast<size_t>(C)), scale(ss.size()), shift(ss.size());
    channel_sums(ss.data(), in, masks, Bp, n, C, [mean](vf x, size_t, int c) { return (x - mean[c]) * (x - mean[c]); });
    for (int c = 0; c < C; c++) {
        const float var = ss[size_t(c)] / m;
        inv_std[c] = 1.0f / std::sqrt(var + config.epsilon);
        if (moving_mean) moving_mean[c] = keep * moving_mean[c] + take * mean[c];
        const float moved = config.unbiased_moving_variance && m > 1 ? ss[size_t(c)] / (m - 1) : var;
        if (moving_var) moving_var[c] = keep * moving_var[c] + take * moved;
        scale[size_t(c)] = (gamma ? gamma[c] : 1.0f) * inv_std[c];
        shift[size_t(c)] = (beta ? beta[c] : 0.0f) - mean[c] * scale[size_t(c)];
    }
    channel_affine(out, in, scale.data(), shift.data(), B, Bp, n, C);
}

void batchnorm_backward(float* din, float* dgamma, float* dbeta, const float* dout, const float* in,
                        const float* gamma, const float* mean, const float* inv_std, int B, int Bp, int n, int C)
{
    const float m = float(B) * float(n);
    const auto masks = batch_masks(B);
    std::vector<float> sum_d(static_cast<size_t>(C)), sum_dxhat(sum_d.size());
    channel_sums(sum_d.data(), dout, masks, Bp, n, C, [](vf d, size_t, int) { return d; });
    // sum of dout * xhat, xhat = (x - mean) * inv_std
    channel_sums(sum_dxhat.data(), in, masks, Bp, n, C,
                 [&](vf x, size_t at, int c) { return (x - mean[c]) * load(dout + at); });
    for (int c = 0; c < C; c++) {
        sum_dxhat[size_t(c)] *= inv_std[c];
        if (dbeta) dbeta[c] = sum_d[size_t(c)];
        if (dgamma) dgamma[c] = sum_dxhat[size_t(c)];
    }
    if (!din) return;
    // din = gamma * inv_std / m * (m * dout - sum(dout) - xhat * sum(dout * xhat))
    const vf zero = {};
    for (int p = 0; p < n; p++)
        for (int c = 0; c < C; c++) {
            const float a = (gamma ? gamma[c] : 1.0f) * inv_std[c] / m, mu = mean[c], is = inv_std[c];
            const float sd = sum_d[size_t(c)], sdx = sum_dxhat[size_t(c)];
            const size_t at = (size_t(p) * C + c) * Bp;
            for (int lane = 0; lane < Bp; lane += kVec) {
                const size_t v = size_t(lane / kVec);
                const vf xhat = (load(in + at + lane) - mu) * is;
                const vf g = a * (m * load(dout + at + lane) - sd - xhat * sdx);
                store(din + at + lane, v < masks.size() ? (masks[v] ? g : zero) : zero);
            }
        }
}

void batchnorm_forward_inference(float* out, const float* in, const float* gamma, const float* beta,
                                 const float* moving_mean, const float* moving_var, int B, int Bp, int n, int C,
                                 float epsilon)
{
    std::vector<float> scale(static_cast<size_t>(C)), shift(scale.size());
    for (int c = 0; c < C; c++) {
        scale[size_t(c)] = (gamma ? gamma[c] : 1.0f) / std::sqrt(moving_var[c] + epsilon);
        shift[size_t(c)] = (beta ? beta[c] : 0.0f) - moving_mean[c] * scale[size_t(c)];
    }
    channel_affine(out, in, scale.data(), shift.data(), B, Bp, n, C);
}

}  // namespace hp::train
