#!/usr/bin/python3
"""Writes tests/fixtures/quant_fixture.json: the int8 arithmetic emulated with Python integers
(TFLite's QuantizeMultiplier; requantization x * multiplier * 2^(shift - 31) rounded once to
nearest, ties up, saturated to int32; int8 conv / max pool / dense with int32 accumulators,
float -> int8 input quantization, ties to even) on random cases, as an independent reference for the C99
int8 kernels. Run once; the output is committed.

    /usr/bin/python3 scripts/make_quant_fixture.py
"""
import json
import math
import os

import numpy as np

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
rng = np.random.default_rng(20261125)


def round_half_away(v):
    return math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5)


def quantize_multiplier(real):
    """TFLite QuantizeMultiplier: real = m * 2^(shift - 31), m in [2^30, 2^31)."""
    if not real > 0:
        return 0, 0
    fraction, shift = math.frexp(real)
    fixed = round_half_away(fraction * 2**31)  # exact: scaling a double by 2^31
    if fixed == 2**31:
        fixed //= 2
        shift += 1
    if shift < -31:
        fixed, shift = 0, 0
    if shift > 30:
        fixed, shift = 2**31 - 1, 30
    return fixed, shift


def requantize(x, multiplier, shift):
    """floor((x * multiplier + 2^(s - 1)) / 2^s) with s = 31 - shift, saturated to int32."""
    s = 31 - shift
    return min(max((x * multiplier + (1 << (s - 1))) >> s, INT32_MIN), INT32_MAX)


def output_s8(acc, p, c):
    v = requantize(acc, p["multiplier"][c], p["shift"][c]) + p["output_offset"]
    return min(max(v, p["activation_min"]), p["activation_max"])


def quantize_input(x, scale, zero_point):
    inverse = np.float32(1) / np.float32(scale)  # float32 reciprocal and product, as the C code
    out = []
    for v in x:
        r = float(np.float32(v) * inverse)
        q = round(r) + zero_point  # Python rounds half to even, as VCVTR and lrintf by default
        out.append(min(max(q, -128), 127))
    return out


def random_params(channels, relu):
    zero_point = int(rng.integers(-128, 0)) if relu else int(rng.integers(-20, 20))
    reals = rng.uniform(0.0005, 0.02, channels)
    ms = [quantize_multiplier(float(r)) for r in reals]
    return {"input_offset": int(rng.integers(-127, 129)), "output_offset": zero_point,
            "activation_min": zero_point if relu else -128, "activation_max": 127,
            "multiplier": [m for m, _ in ms], "shift": [s for _, s in ms]}


def conv_case(h, w, c, f, relu):
    x = rng.integers(-128, 128, (h, w, c))
    k = rng.integers(-32767, 32768, (f, 3, 3, c))  # the conv layer's weights are int16
    b = rng.integers(-5000 * 256, 5000 * 256, f)
    p = random_params(f, relu)
    out = np.zeros((h - 2, w - 2, f), dtype=np.int64)
    for oy in range(h - 2):
        for ox in range(w - 2):
            for o in range(f):
                acc = int(b[o]) + int(np.sum((x[oy:oy + 3, ox:ox + 3, :].astype(np.int64) + p["input_offset"]) * k[o]))
                out[oy, ox, o] = output_s8(acc, p, o)
    return dict(p, height=h, width=w, channels=c, filters=f, input=x.ravel().tolist(),
                kernel=k.ravel().tolist(), bias=b.tolist(), output=out.ravel().tolist())


def dense_case(n_in, n_out, relu):
    x = rng.integers(-128, 128, n_in)
    k = rng.integers(-127, 128, (n_out, n_in))
    b = rng.integers(-20000, 20000, n_out)
    p = random_params(n_out, relu)
    out = [output_s8(int(b[o]) + int(np.sum((x.astype(np.int64) + p["input_offset"]) * k[o])), p, o)
           for o in range(n_out)]
    return dict(p, inputs=n_in, outputs=n_out, input=x.tolist(), kernel=k.ravel().tolist(),
                bias=b.tolist(), output=out)


def dense_s32_case(n_in, n_out):
    """Last layer: int32 accumulators, no requantization."""
    x = rng.integers(-128, 128, n_in)
    k = rng.integers(-127, 128, (n_out, n_in))
    b = rng.integers(-20000, 20000, n_out)
    offset = int(rng.integers(-127, 129))
    out = [int(b[o]) + int(np.sum((x.astype(np.int64) + offset) * k[o])) for o in range(n_out)]
    return {"inputs": n_in, "outputs": n_out, "input_offset": offset, "input": x.tolist(),
            "kernel": k.ravel().tolist(), "bias": b.tolist(), "output": out}


def maxpool_case(h, w, c):
    x = rng.integers(-128, 128, (h, w, c))
    out = x[:h // 2 * 2, :w // 2 * 2].reshape(h // 2, 2, w // 2, 2, c).max(axis=(1, 3))
    return {"height": h, "width": w, "channels": c, "input": x.ravel().tolist(), "output": out.ravel().tolist()}


def main():
    reals = [0.0, 1.0, 0.5, 2.0**-31, 2.0**-32, 2.0**-33, 0.75, 1.5, 2.0**31, 0.9999999999999999,
             1.0 - 2.0**-33, 1.0 - 2.0**-32]
    reals += [float(v) for v in 10.0 ** rng.uniform(-9, 3, 200)]
    qm = [[r, *quantize_multiplier(r)] for r in reals]

    rq = []
    edge_x = [0, 1, -1, INT32_MAX, INT32_MIN, 2**20, -(2**20), 12345, -12345]
    for _ in range(2000):
        m, s = quantize_multiplier(float(10.0 ** rng.uniform(-8, 1)))
        x = int(rng.choice(edge_x)) if rng.random() < 0.1 else int(rng.integers(-(2**24), 2**24))
        rq.append([x, m, s, requantize(x, m, s)])
    # exact ties: x * 2^-k with a remainder of one half, both signs
    for k in range(1, 8):
        for x in (3 * 2**(k - 1), -3 * 2**(k - 1), 2**(k - 1), -(2**(k - 1))):
            rq.append([x, 2**30, 1 - k, requantize(x, 2**30, 1 - k)])
    rq.append([INT32_MIN, INT32_MIN, 0, requantize(INT32_MIN, INT32_MIN, 0)])
    rq.append([2**28, 2**30, 5, requantize(2**28, 2**30, 5)])  # saturating left shift

    scale, zero_point = 0.03125 * 1.37, -17
    x = rng.normal(0, 2.5, 300).astype(np.float32)
    x[:6] = [0.0, scale * 0.5, -scale * 0.5, scale * 2.5, 1e9, -1e9]
    x = x.astype(np.float32)
    # exact ties of x * (1 / scale), both signs, even and odd integer parts: ties go to even
    inverse = np.float32(1) / np.float32(scale)
    ties = [np.float32(t) / inverse for t in (0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 6.5, -7.5, 100.5, -99.5)]
    ties = [v for v in ties if float(np.float32(v) * inverse) % 1 == 0.5]
    assert len(ties) >= 6, ties
    x[6:6 + len(ties)] = ties
    fixture = {
        "quantize_multiplier": qm,
        "requantize": rq,
        "quantize_input": {"scale": float(np.float32(scale)), "zero_point": zero_point,
                           "x": [float(v) for v in x], "q": quantize_input(x, np.float32(scale), zero_point)},
        "conv": [conv_case(6, 5, 2, 4, True), conv_case(8, 8, 2, 8, True), conv_case(4, 7, 1, 3, False)],
        "maxpool": [maxpool_case(6, 6, 8), maxpool_case(5, 7, 3)],
        "dense": [dense_case(13, 5, True), dense_case(72, 32, True), dense_case(32, 8, False), dense_case(3, 2, False)],
        "dense_s32": [dense_s32_case(32, 8), dense_s32_case(7, 1), dense_s32_case(130, 3)],
    }
    path = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "quant_fixture.json")
    with open(path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
