// Training speed: one epoch (forward, backward and Adam over 9,154 frames of 8x8x2, batch 32,
// dropout 0.2) of the training engine, without validation. `bench/train_vs_pytorch.sh` compares
// whole trainings with PyTorch.
#include <benchmark/benchmark.h>

#include <vector>

#include "train/adam.hpp"
#include "train/init.hpp"
#include "model/architectures.hpp"
#include "model/cnn2d_st.hpp"
#include "train/layers.hpp"
#include "train/network.hpp"

using namespace hp::train;

// One epoch of the public set's size on random frames: Adam steps of 32 frames.
static void train_epochs(benchmark::State& state, hp::Model model)
{
    const int frames = 9154, B = 32;
    model.class_names.assign(8, "x");
    model = initial_model(std::move(model), 42);
    Rng rng(1);
    std::vector<float> x(size_t(frames) * 128);
    for (float& v : x) v = 2 * rng.uniform01() - 1;
    std::vector<int> labels(static_cast<size_t>(frames));
    for (int& l : labels) l = int(rng.below(8));
    Network net(model, B);
    Adam adam;
    adam.reset(model);
    Tensors grads = zeros_like_trainable(model);
    for (auto _ : state) {
        for (int first = 0; first < frames; first += B) {
            int count = std::min(B, frames - first), correct = 0;
            net.forward_backward(model, x.data() + size_t(first) * 128, labels.data() + first, count, rng, grads,
                                 correct);
            adam.step(model, grads);
        }
        benchmark::DoNotOptimize(model.layers[0].weights[0].data());
    }
    state.SetItemsProcessed(state.iterations() * frames);
}

// CNN2D_ST_HandPosture (its fast 3x3 valid convolution) and ST's custom model (general layers).
static void BM_TrainEpoch(benchmark::State& state) { train_epochs(state, hp::cnn2d_st_model(hp::ModelShape{}, {})); }
static void BM_TrainEpochCustom(benchmark::State& state)
{
    train_epochs(state, hp::with_output_layer({8, 8, 2}, hp::st_custom_hidden_layers(0.2f), 8));
}
BENCHMARK(BM_TrainEpochCustom)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TrainEpoch)->Unit(benchmark::kMillisecond);

// One layer on a batch of 32 frames: the general convolution (a 3x3 same convolution of 16 to 32
// channels on 4x4, the custom model's second one) forward and backward (dkernel, dbias, din), and
// the fast 3x3 valid convolution of CNN2D_ST_HandPosture beside the general one on its shape.
// FLOP/s counts 2 per multiply-add actually needed (padding taps excluded).
struct ConvBench {
    int H, W, C, F, k;
    Padding padding;
    std::vector<float> in, kernel, bias, out, dout, din, dkernel, dbias;
    int Bp = padded_batch(32);
    double macs = 0;  // per batch, forward

    ConvBench(int H_, int W_, int C_, int F_, int k_, Padding p) : H(H_), W(W_), C(C_), F(F_), k(k_), padding(p)
    {
        Rng rng(3);
        const int OH = conv_output_size(H, k, p), OW = conv_output_size(W, k, p), pad = p == Padding::same ? k / 2 : 0;
        auto fill = [&](std::vector<float>& v, size_t n) {
            v.resize(n);
            for (float& x : v) x = 2 * rng.uniform01() - 1;
        };
        fill(in, size_t(H) * W * C * Bp);
        fill(kernel, size_t(k) * k * C * F);
        fill(bias, size_t(F));
        fill(dout, size_t(OH) * OW * F * Bp);
        out.resize(dout.size());
        din.resize(in.size());
        dkernel.resize(kernel.size());
        dbias.resize(bias.size());
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++)
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++) {
                        const int iy = oy + ky - pad, ix = ox + kx - pad;
                        if (iy >= 0 && iy < H && ix >= 0 && ix < W) macs += double(C) * F * Bp;
                    }
    }
};

static void report(benchmark::State& state, double flops_per_iteration)
{
    state.SetItemsProcessed(state.iterations() * 32);
    state.counters["FLOP/s"] = benchmark::Counter(flops_per_iteration, benchmark::Counter::kIsIterationInvariantRate);
}

static void BM_Conv2dGeneralForward_3x3Same_4x4x16to32(benchmark::State& state)
{
    ConvBench b(4, 4, 16, 32, 3, Padding::same);
    for (auto _ : state) {
        conv2d_forward_general(b.out.data(), b.in.data(), b.kernel.data(), nullptr, b.Bp, b.H, b.W, b.C, b.F, b.k,
                               b.padding);
        benchmark::DoNotOptimize(b.out.data());
    }
    report(state, 2 * b.macs);
}
BENCHMARK(BM_Conv2dGeneralForward_3x3Same_4x4x16to32);

static void BM_Conv2dGeneralBackward_3x3Same_4x4x16to32(benchmark::State& state)
{
    ConvBench b(4, 4, 16, 32, 3, Padding::same);
    for (auto _ : state) {
        conv2d_backward_general(b.din.data(), b.dkernel.data(), b.dbias.data(), b.dout.data(), b.in.data(),
                                b.kernel.data(), b.Bp, b.H, b.W, b.C, b.F, b.k, b.padding);
        benchmark::DoNotOptimize(b.din.data());
    }
    report(state, 4 * b.macs);  // dkernel and din
}
BENCHMARK(BM_Conv2dGeneralBackward_3x3Same_4x4x16to32);

static void BM_Conv2dFastForward_3x3Valid_8x8x2to8(benchmark::State& state)
{
    ConvBench b(8, 8, 2, 8, 3, Padding::valid);
    for (auto _ : state) {
        conv2d_forward(b.out.data(), b.in.data(), b.kernel.data(), b.bias.data(), b.Bp, b.H, b.W, b.C, b.F);
        benchmark::DoNotOptimize(b.out.data());
    }
    report(state, 2 * b.macs);
}
BENCHMARK(BM_Conv2dFastForward_3x3Valid_8x8x2to8);

static void BM_Conv2dGeneralForward_3x3Valid_8x8x2to8(benchmark::State& state)
{
    ConvBench b(8, 8, 2, 8, 3, Padding::valid);
    for (auto _ : state) {
        conv2d_forward_general(b.out.data(), b.in.data(), b.kernel.data(), b.bias.data(), b.Bp, b.H, b.W, b.C, b.F,
                               b.k, b.padding);
        benchmark::DoNotOptimize(b.out.data());
    }
    report(state, 2 * b.macs);
}
BENCHMARK(BM_Conv2dGeneralForward_3x3Valid_8x8x2to8);

static void BM_Conv2dFastBackward_3x3Valid_8x8x2to8(benchmark::State& state)
{
    ConvBench b(8, 8, 2, 8, 3, Padding::valid);
    for (auto _ : state) {
        conv2d_backward(nullptr, b.dkernel.data(), b.dbias.data(), b.dout.data(), b.in.data(), b.kernel.data(), b.Bp,
                        b.H, b.W, b.C, b.F);
        benchmark::DoNotOptimize(b.dkernel.data());
    }
    report(state, 2 * b.macs);  // dkernel only
}
BENCHMARK(BM_Conv2dFastBackward_3x3Valid_8x8x2to8);

static void BM_Conv2dGeneralBackward_3x3Valid_8x8x2to8(benchmark::State& state)
{
    ConvBench b(8, 8, 2, 8, 3, Padding::valid);
    for (auto _ : state) {
        conv2d_backward_general(nullptr, b.dkernel.data(), b.dbias.data(), b.dout.data(), b.in.data(),
                                b.kernel.data(), b.Bp, b.H, b.W, b.C, b.F, b.k, b.padding);
        benchmark::DoNotOptimize(b.dkernel.data());
    }
    report(state, 2 * b.macs);  // dkernel only
}
BENCHMARK(BM_Conv2dGeneralBackward_3x3Valid_8x8x2to8);

static void BM_BatchNormTrainForwardBackward_4x4x32(benchmark::State& state)
{
    const int B = 32, Bp = padded_batch(B), n = 16, C = 32;
    Rng rng(4);
    std::vector<float> in(size_t(n) * C * Bp), dout(in.size()), out(in.size()), din(in.size());
    for (float& x : in) x = 2 * rng.uniform01() - 1;
    for (float& x : dout) x = 2 * rng.uniform01() - 1;
    std::vector<float> gamma(C, 1.0f), beta(C, 0.0f), mean(C), inv_std(C), mm(C, 0.0f), mv(C, 1.0f), dg(C), db(C);
    for (auto _ : state) {
        batchnorm_forward_train(out.data(), mean.data(), inv_std.data(), mm.data(), mv.data(), in.data(), gamma.data(),
                                beta.data(), B, Bp, n, C);
        batchnorm_backward(din.data(), dg.data(), db.data(), dout.data(), in.data(), gamma.data(), mean.data(),
                           inv_std.data(), B, Bp, n, C);
        benchmark::DoNotOptimize(din.data());
    }
    state.SetItemsProcessed(state.iterations() * B);
}
BENCHMARK(BM_BatchNormTrainForwardBackward_4x4x32);

BENCHMARK_MAIN();
