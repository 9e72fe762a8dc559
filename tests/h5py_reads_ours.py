#!/usr/bin/python3
"""h5py reads the .h5 our writer produced (`handposture export --format h5` of ST's model) and finds
Keras 2.x's layout (root attributes, model_config graph, model_weights groups, weight_names,
float32 datasets), ST's weights bit for bit, and the same outputs as ST's file in a numpy
forward pass on random inputs. Env: HP_CLI, HP_SHARED_DIR (tests/CMakeLists.txt)."""
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

CLI = os.environ["HP_CLI"]
ST = os.path.join(os.environ["HP_SHARED_DIR"], "models/st_pretrained/CNN2D_ST_HandPosture_VL53L8CX_8classes.h5")
if not os.path.exists(ST):
    print("skipped: no ST model at", ST)
    sys.exit(0)


def keras_weights(f):
    """{layer: [arrays in weight_names order]} following the attributes as Keras' loader does."""
    g = f["model_weights"]
    out = {}
    for layer in g.attrs["layer_names"]:
        layer = layer.decode() if isinstance(layer, bytes) else layer
        names = g[layer].attrs["weight_names"]
        out[layer] = [g[layer][n.decode() if isinstance(n, bytes) else n][()] for n in names]
    return out


def graph(f):
    """The chain of (class_name, config) from model_config, input to output, by inbound_nodes."""
    cfg = json.loads(f.attrs["model_config"])
    assert cfg["class_name"] == "Functional", cfg["class_name"]
    layers = {l["name"]: l for l in cfg["config"]["layers"]}
    name, chain = cfg["config"]["output_layers"][0][0], []
    while True:
        chain.append(layers[name])
        nodes = layers[name]["inbound_nodes"]
        if not nodes:
            break
        name = nodes[0][0][0]
    return chain[::-1]


def forward(chain, weights, x):
    """numpy forward pass of a batch (N, H, W, C) through a Keras chain of the family."""
    for layer in chain:
        cls, cfg = layer["class_name"], layer["config"]
        w = weights.get(layer["name"], [])
        if cls == "Conv2D":
            k, b = (a.astype(np.float64) for a in w)
            n, h, wd, _ = x.shape
            y = np.zeros((n, h - 2, wd - 2, k.shape[3]))
            for i in range(h - 2):
                for j in range(wd - 2):
                    y[:, i, j] = np.einsum("nabc,abcf->nf", x[:, i:i + 3, j:j + 3], k) + b
            x = y
        elif cls == "MaxPooling2D":
            n, h, wd, c = x.shape
            x = x[:, :h // 2 * 2, :wd // 2 * 2].reshape(n, h // 2, 2, wd // 2, 2, c).max(axis=(2, 4))
        elif cls == "Flatten":
            x = x.reshape(len(x), -1)
        elif cls == "Dense":
            k, b = (a.astype(np.float64) for a in w)
            x = x @ k + b
        elif cls in ("InputLayer", "Dropout"):
            continue
        elif cls != "Activation":
            raise AssertionError("unexpected layer " + cls)
        act = cfg.get("activation", "linear")
        if act == "relu":
            x = np.maximum(x, 0)
        elif act == "softmax":
            e = np.exp(x - x.max(axis=1, keepdims=True))
            x = e / e.sum(axis=1, keepdims=True)
        elif act == "sigmoid":
            x = 1 / (1 + np.exp(-x))
    return x


def main():
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "ours.h5")
        run = subprocess.run([CLI, "export", "--format", "h5", "--model", ST, "--out", out], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        with h5py.File(ST, "r") as st, h5py.File(out, "r") as ours:
            # Layout, as Keras 2.x writes and reads it.
            assert ours.attrs["keras_version"] == "2.8.0"
            assert ours.attrs["backend"] == "tensorflow"
            mw = ours["model_weights"]
            assert mw.attrs["keras_version"] == "2.8.0" and mw.attrs["backend"] == "tensorflow"
            names = list(mw.attrs["layer_names"])
            # ST's layers, by their names in ST's file (its ReLU is an Activation layer of its own).
            assert names == ["input_1", "conv2d", "activation", "max_pooling2d", "dropout", "flatten", "dense",
                             "dense_1"], names
            assert names[1:] == [n for n in st["model_weights"].attrs["layer_names"] if n != "input_1"][-7:], names
            for layer in names:
                wn = list(mw[layer].attrs["weight_names"])
                if layer in ("conv2d", "dense", "dense_1"):
                    assert wn == [layer + "/kernel:0", layer + "/bias:0"], wn
                    for n in wn:
                        assert mw[layer][n].dtype == np.float32, (n, mw[layer][n].dtype)
                else:
                    assert len(wn) == 0, (layer, wn)
            chain = graph(ours)
            classes = [l["class_name"] for l in chain]
            assert classes == ["InputLayer", "Conv2D", "Activation", "MaxPooling2D", "Dropout", "Flatten", "Dense",
                               "Dense"], classes
            assert chain[0]["config"]["batch_input_shape"] == [None, 8, 8, 2]
            assert chain[1]["config"]["kernel_size"] == [3, 3] and chain[1]["config"]["filters"] == 8
            assert chain[-1]["config"]["activation"] == "softmax" and chain[-1]["config"]["units"] == 8
            assert chain[2]["config"]["activation"] == "relu"
            assert abs(chain[4]["config"]["rate"] - 0.2) < 1e-9

            # Weights: ST's, bit for bit.
            sw, ow = keras_weights(st), keras_weights(ours)
            for layer in ("conv2d", "dense", "dense_1"):
                for a, b in zip(sw[layer], ow[layer]):
                    assert a.shape == b.shape and a.tobytes() == b.tobytes(), layer

            # Outputs: the same numpy forward pass through each file's own graph.
            x = np.random.default_rng(3).normal(0, 1.5, (500, 8, 8, 2))
            ys, yo = forward(graph(st), sw, x), forward(chain, ow, x)
            err = np.abs(ys - yo).max()
            assert err <= 1e-6, err
            assert np.allclose(yo.sum(axis=1), 1)
    print("h5py reads our .h5: layout and weights as Keras 2.x, outputs equal to ST's file (max diff %.1e)" % err)


if __name__ == "__main__":
    main()
