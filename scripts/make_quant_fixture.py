#!/usr/bin/python3
"""Writes tests/fixtures/quant_fixture.json: the int8 arithmetic of runtime/hp_kernels_s8.h
emulated with Python integers on random cases, as an independent reference for the C99 int8
kernels: input quantization (float32 x * float32 (1 / scale), truncated, saturated to int16),
SMMULR (x * m + 2^31) >> 32, conv 3x3 with 2x2 max pooling and requantization >> 16, dense with
SMMULR requantization, both clamped to [0, 255], and the int32 last layer. Run once; the output
is committed.

    /usr/bin/python3 scripts/make_quant_fixture.py
"""
import json
import math
import os

import numpy as np

rng = np.random.default_rng(20261126)


def smmulr(x, m):
    return (x * m + (1 << 31)) >> 32  # Python's >> floors, as SMMULR's arithmetic shift


def clamp8(v):
    return min(max(v, 0), 255)


def quantize_input(x, scale):
    inverse = np.float32(1) / np.float32(scale)  # float32 reciprocal and product, as the C code
    out = []
    for v in x:
        r = float(np.float32(v) * inverse)
        if math.isnan(r):
            out.append(0)
        elif r >= 32767:
            out.append(32767)
        elif r <= -32768:
            out.append(-32768)
        else:
            out.append(math.trunc(r))
    return out


def conv_case(h, w, c, f, weight_max, extreme=False):
    """Input [h][w][c] int16, kernel [f][3][3][c] int16, bias as the kernel takes it
    (bias + 2^15) -> pooled [(h-2)//2][(w-2)//2][f] in [0, 255]."""
    x = rng.integers(-32768, 32768, (h, w, c))
    k = rng.integers(-weight_max, weight_max + 1, (f, 3, 3, c))
    if extreme:
        x = np.where(rng.random((h, w, c)) < 0.5, -32768, 32767)
        k = np.where(rng.random((f, 3, 3, c)) < 0.5, -weight_max, weight_max)
    b = rng.integers(-(2**26), 2**26, f) + 2**15
    conv = np.zeros((h - 2, w - 2, f), dtype=np.int64)
    for oy in range(h - 2):
        for ox in range(w - 2):
            for o in range(f):
                conv[oy, ox, o] = int(b[o]) + int(np.sum(x[oy:oy + 3, ox:ox + 3, :].astype(np.int64) * k[o]))
    assert np.abs(conv).max() < 2**31
    ph, pw = (h - 2) // 2, (w - 2) // 2
    pooled = conv[:2 * ph, :2 * pw].reshape(ph, 2, pw, 2, f).max(axis=(1, 3))
    out = [clamp8(int(v) >> 16) for v in pooled.ravel()]
    return {"height": h, "width": w, "channels": c, "filters": f, "input": x.ravel().tolist(),
            "kernel": k.ravel().tolist(), "bias": b.tolist(), "output": out}


def dense_case(n_in, n_out):
    x = rng.integers(0, 256, n_in)
    k = rng.integers(-127, 128, (n_out, n_in))
    b = rng.integers(-20000, 20000, n_out)
    m = [int(v) for v in rng.uniform(2e-4, 5e-3, n_out) * 2**32]
    m[0] = 2**31 - 1  # the largest multiplier: saturates high
    out = [clamp8(smmulr(int(b[o]) + int(np.sum(x.astype(np.int64) * k[o])), m[o])) for o in range(n_out)]
    return {"inputs": n_in, "outputs": n_out, "input": x.tolist(), "kernel": k.ravel().tolist(),
            "bias": b.tolist(), "multiplier": m, "output": out}


def dense_s32_case(n_in, n_out):
    """Last layer: int32 accumulators, no requantization."""
    x = rng.integers(0, 256, n_in)
    k = rng.integers(-127, 128, (n_out, n_in))
    b = rng.integers(-20000, 20000, n_out)
    out = [int(b[o]) + int(np.sum(x.astype(np.int64) * k[o])) for o in range(n_out)]
    return {"inputs": n_in, "outputs": n_out, "input": x.tolist(), "kernel": k.ravel().tolist(),
            "bias": b.tolist(), "output": out}


def main():
    edge = [0, 1, -1, 2**31 - 1, -(2**31), 2**20, -(2**20), 12345, -12345]
    sm = []
    for _ in range(2000):
        m = int(rng.integers(0, 2**31))
        x = int(rng.choice(edge)) if rng.random() < 0.1 else int(rng.integers(-(2**31), 2**31))
        sm.append([x, m, smmulr(x, m)])
    for k in range(2, 9):  # exact ties x * m / 2^32 = n + 1/2, both signs: ties go up
        for x in (3 * 2**(k - 1), -3 * 2**(k - 1), 2**(k - 1), -(2**(k - 1))):
            sm.append([x, 2**(32 - k), smmulr(x, 2**(32 - k))])

    scale = 0.0123
    x = rng.normal(0, 200.0, 400).astype(np.float32)
    inverse = np.float32(1) / np.float32(scale)
    special = [0.0, -0.0, float("nan"), float("inf"), -float("inf"), 1e30, -1e30, 32767.0, 32767.99, 32768.0, -32768.0,
               -32768.99, -32769.0, 2047.5, -2048.5, 0.999, -0.999, 5.0, -5.0, 5.0001, -4.9999]
    for i, r in enumerate(special):  # x with x * inverse at (or, for the limits, near) r
        x[i] = np.float32(r) / inverse if math.isfinite(r) else np.float32(r)
    exact = [np.float32(float(t)) / inverse for t in range(-6, 7)]
    x[len(special):len(special) + len(exact)] = exact
    x = x.astype(np.float32)
    fixture = {
        "smmulr": sm,
        "quantize_input": {"scale": float(np.float32(scale)),
                           "x": [float(v) if math.isfinite(v) else str(v) for v in x],
                           "q": quantize_input(x, np.float32(scale))},
        "conv": [conv_case(6, 5, 2, 4, 250), conv_case(8, 8, 2, 8, 250), conv_case(4, 7, 1, 3, 500),
                 conv_case(8, 8, 2, 8, 2047, extreme=True), conv_case(7, 9, 2, 5, 125)],
        "dense": [dense_case(13, 5), dense_case(72, 32), dense_case(32, 8), dense_case(3, 2)],
        "dense_s32": [dense_s32_case(32, 8), dense_s32_case(7, 1), dense_s32_case(130, 3)],
    }
    path = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "quant_fixture.json")
    with open(path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
