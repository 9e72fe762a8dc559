#!/usr/bin/python3
"""Reference outputs of the float32 layer-list runtime (runtime/hp_net.h, hp_conv2d_f32), computed
by PyTorch in float64 from random weights and inputs in Keras layouts. Run once; the output is
committed:

    /usr/bin/python3 scripts/make_net_fixture.py > tests/fixtures/runtime_net_f32.json

"convs": single convolutions (kernel 1, 3, 5; valid and same padding; with and without bias and
ReLU). "nets": layer lists as the runtime takes them, with the reference scores and every
layer's output: ST's "custom" model (Conv2D without bias + BatchNorm + ReLU, twice, each followed
by 2x2 max pooling, then Dense 64, 32 and the output layer), whose BatchNorm this script folds into
the convolution's weights and bias (the reference runs the unfolded model, BatchNorm in inference
mode), a dense layer directly after a convolution, and a pooling that drops a convolution's odd
last row and column.
"""
import json

import numpy as np
import torch

KERAS_BN_EPSILON = 1e-3


def floats(array, digits=12):
    """Values as JSON numbers; float32 inputs need 9 significant digits to round-trip."""
    return [float("%.*g" % (digits, v)) for v in np.asarray(array, dtype=np.float64).ravel()]


def floats32(array):
    return floats(np.asarray(array, dtype=np.float32), 9)


def f32(a):
    return np.asarray(a, dtype=np.float32)


def t64(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


def nchw(x):
    """NHWC (no batch) -> 1 x C x H x W."""
    return t64(x).permute(2, 0, 1).unsqueeze(0)


def nhwc(x):
    """1 x C x H x W -> NHWC (no batch)."""
    return x[0].permute(1, 2, 0)


def conv_ref(x, kernel, bias, padding):
    """PyTorch conv2d on a Keras kernel [k][k][C][F]; x is 1 x C x H x W."""
    w = t64(kernel).permute(3, 2, 0, 1)
    return torch.nn.functional.conv2d(x, w, None if bias is None else t64(bias), padding=padding)


def single_conv(rng, h, w, c, f, k, padding, with_bias, relu):
    x = f32(rng.normal(0.0, 1.5, (h, w, c)))
    kernel = f32(rng.uniform(-0.5, 0.5, (k, k, c, f)))
    bias = f32(rng.uniform(-0.3, 0.3, f)) if with_bias else None
    y = conv_ref(nchw(x), kernel, bias, padding)
    if relu:
        y = torch.relu(y)
    name = "%dx%dx%d_k%d_%s_f%d%s%s" % (h, w, c, k, "same" if padding else "valid", f,
                                        "_bias" if with_bias else "", "_relu" if relu else "")
    return {
        "name": name, "height": h, "width": w, "channels": c, "filters": f, "kernel_size": k,
        "padding": padding, "relu": int(relu), "input": floats32(x), "kernel": floats32(kernel),
        "bias": None if bias is None else floats32(bias), "output": floats(nhwc(y)),
    }


def layer(kind, shape, outputs=0, kernel_size=0, padding=0, relu=0, weights=None, bias=None):
    return {"kind": kind, "height": shape[0], "width": shape[1], "channels": shape[2],
            "outputs": outputs, "kernel_size": kernel_size, "padding": padding, "relu": int(relu),
            "weights": None if weights is None else floats32(weights),
            "bias": None if bias is None else floats32(bias)}


def custom_model(rng, name, classes):
    """ST's custom model on an 8x8x2 frame; classes = 1 means a sigmoid output."""
    x = f32(rng.normal(0.0, 1.0, (8, 8, 2)))
    layers, activations = [], []
    h = nchw(x)
    shape = (8, 8, 2)
    for filters, scale in ((16, 0.5), (32, 0.15)):
        raw = f32(rng.uniform(-scale, scale, (3, 3, shape[2], filters)))
        gamma = f32(rng.uniform(0.5, 1.5, filters))
        beta = f32(rng.uniform(-0.2, 0.2, filters))
        mean = f32(rng.uniform(-0.3, 0.3, filters))
        var = f32(rng.uniform(0.5, 2.0, filters))
        # The reference: Conv2D (no bias) -> BatchNorm (inference) -> ReLU.
        y = conv_ref(h, raw, None, 1)
        y = torch.nn.functional.batch_norm(y, t64(mean), t64(var), t64(gamma), t64(beta),
                                           training=False, eps=KERAS_BN_EPSILON)
        y = torch.relu(y)
        # The runtime: BatchNorm folded into the convolution, in float64, then rounded.
        s = gamma.astype(np.float64) / np.sqrt(var.astype(np.float64) + KERAS_BN_EPSILON)
        kernel = raw.astype(np.float64) * s
        bias = beta.astype(np.float64) - mean.astype(np.float64) * s
        conv = layer("conv2d", shape, filters, 3, 1, 1, kernel, bias)
        conv["batchnorm"] = {"raw_kernel": floats32(raw), "gamma": floats32(gamma),
                             "beta": floats32(beta), "moving_mean": floats32(mean),
                             "moving_variance": floats32(var), "epsilon": KERAS_BN_EPSILON}
        layers.append(conv)
        activations.append(floats(nhwc(y)))
        shape = (shape[0], shape[1], filters)
        h = torch.nn.functional.max_pool2d(y, 2)
        layers.append(layer("maxpool2x2", shape))
        activations.append(floats(nhwc(h)))
        shape = (shape[0] // 2, shape[1] // 2, filters)
    v = nhwc(h).reshape(1, -1)  # Keras Flatten: row, column, channel
    flat = v.shape[1]
    for units, scale, relu in ((64, 0.2, True), (32, 0.25, True), (classes, 0.35, False)):
        kernel = f32(rng.uniform(-scale, scale, (flat, units)))
        bias = f32(rng.uniform(-0.1, 0.1, units))
        v = v @ t64(kernel) + t64(bias)
        if relu:
            v = torch.relu(v)
        # The first dense layer names the pooled activation's shape, the others are flat.
        layers.append(layer("dense", shape, units, relu=relu, weights=kernel, bias=bias))
        activations.append(floats(v))
        flat, shape = units, (1, 1, units)
    v = torch.sigmoid(v) if classes == 1 else torch.softmax(v, dim=1)
    layers.append(layer("sigmoid" if classes == 1 else "softmax", (1, 1, classes)))
    activations.append(floats(v))
    return {"name": name, "input_shape": [8, 8, 2], "input": floats32(x), "layers": layers,
            "outputs": classes, "activations": activations, "scores": floats(v)}


def conv_dense(rng):
    """A dense layer reading a convolution's NHWC output directly (no pooling)."""
    x = f32(rng.normal(0.0, 1.0, (6, 5, 3)))
    kernel = f32(rng.uniform(-0.4, 0.4, (3, 3, 3, 10)))
    bias = f32(rng.uniform(-0.2, 0.2, 10))
    y = torch.relu(conv_ref(nchw(x), kernel, bias, 0))
    d1 = f32(rng.uniform(-0.2, 0.2, (4 * 3 * 10, 13)))
    b1 = f32(rng.uniform(-0.1, 0.1, 13))
    d2 = f32(rng.uniform(-0.4, 0.4, (13, 3)))
    b2 = f32(rng.uniform(-0.1, 0.1, 3))
    a1 = nhwc(y).reshape(1, -1) @ t64(d1) + t64(b1)
    a2 = a1 @ t64(d2) + t64(b2)
    scores = torch.softmax(a2, dim=1)
    layers = [layer("conv2d", (6, 5, 3), 10, 3, 0, 1, kernel, bias),
              layer("dense", (1, 1, 120), 13, relu=0, weights=d1, bias=b1),
              layer("dense", (1, 1, 13), 3, relu=0, weights=d2, bias=b2),
              layer("softmax", (1, 1, 3))]
    return {"name": "conv_dense_6x5x3_p3", "input_shape": [6, 5, 3], "input": floats32(x),
            "layers": layers, "outputs": 3,
            "activations": [floats(nhwc(y)), floats(a1), floats(a2), floats(scores)],
            "scores": floats(scores)}


def conv_pool_odd(rng):
    """A convolution without ReLU whose odd output the pooling floors (5 x 3 -> 2 x 1), and
    a sigmoid output."""
    x = f32(rng.normal(0.0, 1.0, (7, 5, 2)))
    kernel = f32(rng.uniform(-0.4, 0.4, (3, 3, 2, 6)))
    bias = f32(rng.uniform(-0.2, 0.2, 6))
    y = conv_ref(nchw(x), kernel, bias, 0)
    p = torch.nn.functional.max_pool2d(y, 2)
    d = f32(rng.uniform(-0.4, 0.4, (2 * 1 * 6, 1)))
    b = f32(rng.uniform(-0.1, 0.1, 1))
    a = nhwc(p).reshape(1, -1) @ t64(d) + t64(b)
    scores = torch.sigmoid(a)
    layers = [layer("conv2d", (7, 5, 2), 6, 3, 0, 0, kernel, bias),
              layer("maxpool2x2", (5, 3, 6)),
              layer("dense", (2, 1, 6), 1, relu=0, weights=d, bias=b),
              layer("sigmoid", (1, 1, 1))]
    return {"name": "conv_pool_odd_7x5x2_sigmoid", "input_shape": [7, 5, 2], "input": floats32(x),
            "layers": layers, "outputs": 1,
            "activations": [floats(nhwc(y)), floats(nhwc(p)), floats(a), floats(scores)],
            "scores": floats(scores)}


def main():
    rng = np.random.default_rng(20261207)
    convs = []
    filters = [16, 12, 3, 8, 9]
    n = 0
    for h, w in ((8, 8), (4, 4)):
        for k in (1, 3, 5):
            for padding in sorted({0, k // 2}):
                if h + 2 * padding - k + 1 < 1:
                    continue
                convs.append(single_conv(rng, h, w, 2, filters[n % len(filters)], k, padding,
                                         n % 2 == 0, n % 3 != 1))
                n += 1
    # Odd, non-square shapes: pairs of pixels and borders in every combination.
    convs.append(single_conv(rng, 5, 7, 3, 9, 3, 1, True, True))
    convs.append(single_conv(rng, 6, 5, 1, 10, 5, 2, False, False))
    convs.append(single_conv(rng, 7, 6, 4, 17, 5, 1, True, False))
    nets = [custom_model(rng, "st_custom_8x8x2_8classes", 8),
            custom_model(rng, "st_custom_8x8x2_sigmoid", 1),
            conv_dense(rng),
            conv_pool_odd(rng)]
    print(json.dumps({
        "generator": "scripts/make_net_fixture.py (PyTorch %s, float64)" % torch.__version__,
        "convs": convs, "nets": nets}))


if __name__ == "__main__":
    main()
