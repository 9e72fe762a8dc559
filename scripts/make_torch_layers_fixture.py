#!/usr/bin/python3
"""Writes tests/fixtures/train_layers_torch.json: PyTorch's outputs and gradients, in float64, for
the general training layers (src/train/layers.hpp): Conv2D with k x k kernels, valid or same
padding, with or without bias, and Keras BatchNormalization (training forward, backward, the
moving-average update, inference). Batches of 5 and 19 frames leave padding lanes in the last
lane block. Run once with Debian's python3-torch: /usr/bin/python3 scripts/make_torch_layers_fixture.py
Layouts are Keras': inputs NHWC, conv kernel [k][k][C][F].

BatchNormalization's moving variance: Keras normalizes with the biased batch variance (sum / m,
m = frames x H x W) but tf.keras 2.x, whose fused kernel runs 4-D inputs, moves moving_variance
towards the unbiased one (sum / (m - 1), as PyTorch's running_var); its non-fused path (2-D
inputs) and Keras 3 use the biased one. Each case gives both updates; the unbiased one is
PyTorch's own running_var (momentum_torch = 1 - momentum_keras), the biased one is computed here."""
import json
import os

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
F_ = torch.nn.functional


def flat(a):
    """9 significant digits: float32 inputs round-trip exactly, references keep 1e-9."""
    return [float("%.9g" % x) for x in np.asarray(a, dtype=np.float64).ravel()]


def f32(rng, *shape, low=-1.0, high=1.0):
    """Uniform values that a float32 holds exactly, so both sides start from the same numbers."""
    return rng.uniform(low, high, size=shape).astype(np.float32).astype(np.float64)


def conv_case(rng, k, padding, bias, batch, height, width, channels, filters):
    x = torch.tensor(f32(rng, batch, height, width, channels), requires_grad=True)
    kernel = torch.tensor(f32(rng, k, k, channels, filters, low=-0.5, high=0.5), requires_grad=True)
    b = torch.tensor(f32(rng, filters), requires_grad=True) if bias else None
    pad = k // 2 if padding == "same" else 0
    out = F_.conv2d(x.permute(0, 3, 1, 2), kernel.permute(3, 2, 0, 1), b, padding=pad).permute(0, 2, 3, 1)
    dout = torch.tensor(f32(rng, *out.shape))
    (out * dout).sum().backward()
    case = {"k": k, "padding": padding, "bias": bias, "batch": batch, "height": height, "width": width,
            "channels": channels, "filters": filters, "out_height": out.shape[1], "out_width": out.shape[2],
            "input": flat(x.detach()), "kernel": flat(kernel.detach()), "dout": flat(dout),
            "output": flat(out.detach()), "dinput": flat(x.grad), "dkernel": flat(kernel.grad)}
    if bias:
        case["bias_values"] = flat(b.detach())
        case["dbias"] = flat(b.grad)
    return case


def batchnorm_case(rng, batch, height, width, channels, momentum=0.99, epsilon=1e-3):
    shape = (batch, height, width, channels)
    x_np = (rng.normal(1.5, 2.0, size=shape)).astype(np.float32).astype(np.float64)
    x = torch.tensor(x_np, requires_grad=True)
    gamma = torch.tensor(f32(rng, channels, low=0.5, high=1.5), requires_grad=True)
    beta = torch.tensor(f32(rng, channels, low=-0.5, high=0.5), requires_grad=True)
    moving_mean = f32(rng, channels, low=-0.5, high=0.5)
    moving_var = f32(rng, channels, low=0.5, high=2.0)
    running_mean, running_var = torch.tensor(moving_mean), torch.tensor(moving_var)
    xc = x.permute(0, 3, 1, 2)  # NCHW
    out = F_.batch_norm(xc, running_mean, running_var, gamma, beta, training=True, momentum=1 - momentum,
                        eps=epsilon).permute(0, 2, 3, 1)
    dout = torch.tensor(f32(rng, *shape))
    (out * dout).sum().backward()
    m = batch * height * width
    rows = x_np.reshape(m, channels)
    mean, var = rows.mean(axis=0), rows.var(axis=0)  # biased
    assert np.allclose(running_var.numpy(), momentum * moving_var + (1 - momentum) * var * m / (m - 1), rtol=1e-12)
    inference = F_.batch_norm(xc.detach(), torch.tensor(moving_mean), torch.tensor(moving_var), gamma.detach(),
                              beta.detach(), training=False, eps=epsilon).permute(0, 2, 3, 1)
    return {"batch": batch, "height": height, "width": width, "channels": channels, "momentum": momentum,
            "epsilon": epsilon, "input": flat(x_np), "gamma": flat(gamma.detach()), "beta": flat(beta.detach()),
            "moving_mean": flat(moving_mean), "moving_var": flat(moving_var), "dout": flat(dout),
            "output": flat(out.detach()), "batch_mean": flat(mean), "batch_var": flat(var),
            "moving_mean_after": flat(running_mean), "moving_var_after_unbiased": flat(running_var),
            "moving_var_after_biased": flat(momentum * moving_var + (1 - momentum) * var),
            "dinput": flat(x.grad), "dgamma": flat(gamma.grad), "dbeta": flat(beta.grad),
            "inference_output": flat(inference)}


def main():
    rng = np.random.default_rng(20241207)
    conv = [
        conv_case(rng, 1, "valid", True, 5, 4, 5, 3, 4),
        conv_case(rng, 1, "same", False, 19, 3, 4, 5, 9),
        conv_case(rng, 3, "same", False, 5, 6, 5, 3, 10),
        conv_case(rng, 3, "same", False, 5, 8, 8, 2, 16),  # the custom model's first convolution
        conv_case(rng, 3, "same", True, 19, 4, 4, 16, 32),  # and its second, with a bias
        conv_case(rng, 3, "valid", True, 19, 5, 6, 2, 9),
        conv_case(rng, 3, "valid", False, 5, 3, 3, 4, 3),
        conv_case(rng, 5, "valid", True, 5, 7, 6, 2, 5),
        conv_case(rng, 5, "same", False, 19, 5, 6, 3, 6),
        conv_case(rng, 5, "same", True, 5, 3, 4, 2, 3),  # kernel wider than the input
    ]
    bn = [
        batchnorm_case(rng, 5, 3, 3, 4),
        batchnorm_case(rng, 19, 4, 4, 16),
        batchnorm_case(rng, 19, 1, 1, 7, momentum=0.9, epsilon=1e-5),  # after a dense layer
    ]
    fixture = {"generator": "scripts/make_torch_layers_fixture.py, torch " + torch.__version__,
               "conv2d": conv, "batchnorm": bn}
    out = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "train_layers_torch.json")
    with open(out, "w") as f:
        json.dump(fixture, f)
    print("wrote", os.path.normpath(out))


if __name__ == "__main__":
    main()
