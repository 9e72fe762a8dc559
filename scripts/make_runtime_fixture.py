#!/usr/bin/python3
"""Reference outputs of the float32 runtime kernels, computed by PyTorch (float64) from random
weights and inputs in Keras layouts. Run once; the output is committed:

    /usr/bin/python3 scripts/make_runtime_fixture.py > tests/fixtures/runtime_f32.json
"""
import json
import sys

import numpy as np
import torch

# (name, H, W, C, F, U, outputs): outputs = 1 means a 2-class sigmoid model.
CASES = [
    ("st_8x8x2_8classes", 8, 8, 2, 8, 32, 8),
    ("4x4x2_8classes", 4, 4, 2, 8, 32, 8),
    ("8x8x2_sigmoid", 8, 8, 2, 8, 32, 1),
    ("7x9x3_f5_u13_p4", 7, 9, 3, 5, 13, 4),
    ("6x5x1_f12_u20_p3", 6, 5, 1, 12, 20, 3),
    ("10x10x2_f16_u40_p5", 10, 10, 2, 16, 40, 5),
]


def floats(array, digits=12):
    """Values as JSON numbers; float32 inputs need 9 significant digits to round-trip."""
    return [float("%.*g" % (digits, v)) for v in np.asarray(array, dtype=np.float64).ravel()]


def floats32(array):
    return floats(array, 9)


def case(rng, name, h, w, c, f, u, o):
    f32 = lambda a: a.astype(np.float32)
    x = f32(rng.normal(0.0, 1.5, (h, w, c)))
    conv_kernel = f32(rng.uniform(-0.6, 0.6, (3, 3, c, f)))
    conv_bias = f32(rng.uniform(-0.3, 0.3, f))
    ph, pw = (h - 2) // 2, (w - 2) // 2
    flat = ph * pw * f
    dense1_kernel = f32(rng.uniform(-0.4, 0.4, (flat, u)))
    dense1_bias = f32(rng.uniform(-0.2, 0.2, u))
    dense2_kernel = f32(rng.uniform(-0.5, 0.5, (u, o)))
    dense2_bias = f32(rng.uniform(-0.2, 0.2, o))

    t = lambda a: torch.tensor(a, dtype=torch.float64)
    # PyTorch is NCHW with conv weights [F][C][kh][kw]; Keras is NHWC with [kh][kw][C][F].
    xin = t(x).permute(2, 0, 1).unsqueeze(0)
    conv = torch.nn.functional.conv2d(xin, t(conv_kernel).permute(3, 2, 0, 1), t(conv_bias))
    conv_relu = torch.relu(conv)
    pool = torch.nn.functional.max_pool2d(conv_relu, 2)
    flat_in = pool.permute(0, 2, 3, 1).reshape(1, -1)  # Keras Flatten: row, column, channel
    hidden_linear = flat_in @ t(dense1_kernel) + t(dense1_bias)
    hidden = torch.relu(hidden_linear)
    logits = hidden @ t(dense2_kernel) + t(dense2_bias)
    scores = torch.sigmoid(logits) if o == 1 else torch.softmax(logits, dim=1)
    nhwc = lambda a: a[0].permute(1, 2, 0)
    return {
        "name": name, "height": h, "width": w, "channels": c, "filters": f, "units": u, "outputs": o,
        "input": floats32(x),
        "conv_kernel": floats32(conv_kernel), "conv_bias": floats32(conv_bias),
        "dense1_kernel": floats32(dense1_kernel), "dense1_bias": floats32(dense1_bias),
        "dense2_kernel": floats32(dense2_kernel), "dense2_bias": floats32(dense2_bias),
        "conv_linear": floats(nhwc(conv)), "conv_relu": floats(nhwc(conv_relu)),
        "pool": floats(nhwc(pool)), "hidden_linear": floats(hidden_linear), "hidden": floats(hidden),
        "logits": floats(logits), "scores": floats(scores),
    }


def main():
    rng = np.random.default_rng(20240611)
    cases = [case(rng, *c) for c in CASES]
    # Large logits: a softmax that does not subtract the maximum overflows on these.
    large = np.array([1000.0, 1001.5, 998.0, -1000.0, 250.0], dtype=np.float32)
    wide = np.array([-120.0, -30.0, -5.0, 0.0, 0.5, 5.0, 30.0, 120.0], dtype=np.float32)
    out = {
        "generator": "scripts/make_runtime_fixture.py (PyTorch %s, float64)" % torch.__version__,
        "cases": cases,
        "softmax": {"input": floats32(large),
                    "output": floats(torch.softmax(torch.tensor(large, dtype=torch.float64), 0))},
        "sigmoid": {"input": floats32(wide),
                    "output": floats(torch.sigmoid(torch.tensor(wide, dtype=torch.float64)))},
    }
    json.dump(out, sys.stdout, indent=None)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
