#!/usr/bin/python3
"""Small Keras-style .h5 model files for tests/keras_h5_test.cpp, written with h5py + numpy in
the layout of Keras 2.x model.save: variants the reader must accept (Sequential, separate
activation layers, no Dropout, renamed layers, fixed-length strings, float64 weights) and broken
files it must reject with a clear message. The accepted ones come with scores of a numpy forward
pass on a random input. Run once; the output is committed:

    /usr/bin/python3 scripts/make_h5_fixtures.py tests/fixtures/h5
"""
import json
import os
import sys

import h5py
import numpy as np

rng = np.random.default_rng(7)


def spec(h=8, w=8, c=2, f=8, u=32, o=8, names=None, sequential=False, dropout=0.2,
         separate_activations=False, relu_layer=False):
    n = {"input": "input_1", "conv": "conv2d", "act1": "activation", "pool": "max_pooling2d",
         "drop": "dropout", "flat": "flatten", "dense": "dense", "act2": "re_lu", "out": "dense_1",
         "act3": "activation_1"}
    n.update(names or {})
    return dict(h=h, w=w, c=c, f=f, u=u, o=o, n=n, sequential=sequential, dropout=dropout,
                separate_activations=separate_activations, relu_layer=relu_layer)


def layers_of(s):
    """(class_name, name, config) in order."""
    n, out_act = s["n"], ("sigmoid" if s["o"] == 1 else "softmax")
    sep = s["separate_activations"]
    layers = [("InputLayer", n["input"], {"batch_input_shape": [None, s["h"], s["w"], s["c"]], "dtype": "float32"})]
    layers.append(("Conv2D", n["conv"], {"filters": s["f"], "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid",
                                         "data_format": "channels_last", "activation": "linear" if sep else "relu",
                                         "use_bias": True}))
    if sep:
        layers.append(("Activation", n["act1"], {"activation": "relu"}))
    layers.append(("MaxPooling2D", n["pool"], {"pool_size": [2, 2], "strides": [2, 2], "padding": "valid"}))
    if s["dropout"]:
        layers.append(("Dropout", n["drop"], {"rate": s["dropout"]}))
    layers.append(("Flatten", n["flat"], {}))
    layers.append(("Dense", n["dense"], {"units": s["u"], "activation": "linear" if sep else "relu", "use_bias": True}))
    if sep:
        if s["relu_layer"]:
            layers.append(("ReLU", n["act2"], {"max_value": None, "negative_slope": 0.0, "threshold": 0.0}))
        else:
            layers.append(("Activation", n["act2"], {"activation": "relu"}))
    layers.append(("Dense", n["out"], {"units": s["o"], "activation": "linear" if sep else out_act, "use_bias": True}))
    if sep:
        layers.append(("Activation", n["act3"], {"activation": out_act}))
    return layers


def model_config(s, layers):
    entries = []
    for i, (cls, name, config) in enumerate(layers):
        config = dict(config, name=name)
        entry = {"class_name": cls, "config": config}
        if not s["sequential"]:
            entry["name"] = name
            entry["inbound_nodes"] = [] if i == 0 else [[[layers[i - 1][1], 0, 0, {}]]]
        entries.append(entry)
    if s["sequential"]:
        return {"class_name": "Sequential", "config": {"name": "sequential", "layers": entries}}
    return {"class_name": "Functional",
            "config": {"name": "model", "layers": entries, "input_layers": [[layers[0][1], 0, 0]],
                       "output_layers": [[layers[-1][1], 0, 0]]}}


def random_weights(s):
    h, w, c, f, u, o = s["h"], s["w"], s["c"], s["f"], s["u"], s["o"]
    flat = ((h - 2) // 2) * ((w - 2) // 2) * f
    r = lambda *shape: rng.uniform(-0.5, 0.5, shape).astype(np.float32)
    return {"conv": (r(3, 3, c, f), r(f)), "dense": (r(flat, u), r(u)), "out": (r(u, o), r(o))}


def forward(s, weights, x):
    """numpy float64 forward pass, Keras semantics (NHWC, valid 3x3 conv, 2x2 pool floor)."""
    (ck, cb), (dk, db), (ok, ob) = [(k.astype(np.float64), b.astype(np.float64)) for k, b in
                                    (weights["conv"], weights["dense"], weights["out"])]
    h, w = s["h"], s["w"]
    conv = np.zeros((h - 2, w - 2, s["f"]))
    for y in range(h - 2):
        for xx in range(w - 2):
            conv[y, xx] = np.einsum("ijc,ijcf->f", x[y:y + 3, xx:xx + 3, :], ck) + cb
    conv = np.maximum(conv, 0)
    ph, pw = (h - 2) // 2, (w - 2) // 2
    pool = conv[:2 * ph, :2 * pw].reshape(ph, 2, pw, 2, -1).max(axis=(1, 3))
    hidden = np.maximum(pool.reshape(-1) @ dk + db, 0)
    logits = hidden @ ok + ob
    if s["o"] == 1:
        return 1 / (1 + np.exp(-logits))
    e = np.exp(logits - logits.max())
    return e / e.sum()


def text(value, fixed):
    return np.bytes_(value) if fixed else value


def write(path, s, weights, config=None, fixed_strings=False, dtype=np.float32, skip=(), mutate=None):
    layers = layers_of(s)
    config = config if config is not None else json.dumps(model_config(s, layers))
    weighted = {s["n"]["conv"]: weights["conv"], s["n"]["dense"]: weights["dense"], s["n"]["out"]: weights["out"]}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = text("2.8.0", fixed_strings)
        f.attrs["backend"] = text("tensorflow", fixed_strings)
        if "model_config" not in skip:
            f.attrs["model_config"] = text(config, fixed_strings)
        if "model_weights" in skip:
            return
        g = f.create_group("model_weights")
        names = [name for _, name, _ in layers]
        g.attrs["layer_names"] = np.array([n.encode() for n in names]) if fixed_strings else names
        for name in names:
            lg = g.create_group(name)
            if name in weighted:
                if "weight_names" not in skip:
                    wn = [name + "/kernel:0", name + "/bias:0"]
                    lg.attrs["weight_names"] = np.array([n.encode() for n in wn]) if fixed_strings else wn
                inner = lg.create_group(name)
                kernel, bias = weighted[name]
                inner.create_dataset("kernel:0", data=kernel.astype(dtype))
                inner.create_dataset("bias:0", data=bias.astype(dtype))
            else:
                lg.attrs["weight_names"] = np.array([], dtype=np.float64)
        if mutate:
            mutate(f)


# --- layer lists beyond the family (ST's custom_model.py and others) ---------------------------

def general_config(h, w, c, layers):
    """layers: (class_name, name, config); a Functional chain after an InputLayer."""
    entries = [{"class_name": "InputLayer", "name": "input_1", "inbound_nodes": [],
                "config": {"batch_input_shape": [None, h, w, c], "dtype": "float32", "name": "input_1"}}]
    for cls, name, config in layers:
        entries.append({"class_name": cls, "name": name, "config": dict(config, name=name),
                        "inbound_nodes": [[[entries[-1]["name"], 0, 0, {}]]]})
    return {"class_name": "Functional",
            "config": {"name": "model", "layers": entries, "input_layers": [["input_1", 0, 0]],
                       "output_layers": [[entries[-1]["name"], 0, 0]]}}


def general_weights(h, w, c, layers):
    """Random weights of each weighted layer: {name: [(leaf, array), ...]}, in Keras' order."""
    r = lambda *shape: rng.uniform(-0.5, 0.5, shape).astype(np.float32)
    shape, out = (h, w, c), {}
    for cls, name, cfg in layers:
        if cls == "Conv2D":
            k, f = cfg["kernel_size"][0], cfg["filters"]
            out[name] = [("kernel", r(k, k, shape[2], f))] + ([("bias", r(f))] if cfg.get("use_bias", True) else [])
            shrink = 0 if cfg["padding"] == "same" else k - 1
            shape = (shape[0] - shrink, shape[1] - shrink, f)
        elif cls == "BatchNormalization":
            ch = shape[-1]
            out[name] = [("gamma", rng.uniform(0.5, 1.5, ch).astype(np.float32)), ("beta", r(ch)),
                         ("moving_mean", r(ch)), ("moving_variance", rng.uniform(0.2, 2.0, ch).astype(np.float32))]
        elif cls == "MaxPooling2D":
            shape = (shape[0] // 2, shape[1] // 2, shape[2])
        elif cls == "Flatten":
            shape = (int(np.prod(shape)),)
        elif cls == "Dense":
            out[name] = [("kernel", r(shape[0], cfg["units"]))] + ([("bias", r(cfg["units"]))] if cfg.get("use_bias", True) else [])
            shape = (cfg["units"],)
    return out


def general_forward(layers, weights, x):
    """numpy float64, Keras semantics: convolutions valid or same (zero padding k/2), batch
    normalization in inference mode, 2x2 pooling with floor, NHWC flattening."""
    a = x.astype(np.float64)
    act = lambda v, name: np.maximum(v, 0) if name == "relu" else v
    for cls, name, cfg in layers:
        wts = {leaf: v.astype(np.float64) for leaf, v in weights.get(name, [])}
        if cls == "Conv2D":
            k = cfg["kernel_size"][0]
            p = k // 2 if cfg["padding"] == "same" else 0
            src = np.pad(a, ((p, p), (p, p), (0, 0)))
            oh, ow = src.shape[0] - k + 1, src.shape[1] - k + 1
            y = np.zeros((oh, ow, cfg["filters"]))
            for i in range(oh):
                for j in range(ow):
                    y[i, j] = np.einsum("ijc,ijcf->f", src[i:i + k, j:j + k, :], wts["kernel"])
            a = act(y + wts.get("bias", 0), cfg.get("activation", "linear"))
        elif cls == "BatchNormalization":
            eps = cfg.get("epsilon", 1e-3)
            a = wts["gamma"] * (a - wts["moving_mean"]) / np.sqrt(wts["moving_variance"] + eps) + wts["beta"]
        elif cls == "ReLU":
            a = np.maximum(a, 0)
        elif cls == "Activation" and cfg["activation"] in ("relu", "linear"):
            a = act(a, cfg["activation"])
        elif cls == "Activation":
            a = act_out(a, cfg["activation"])
        elif cls == "MaxPooling2D":
            ph, pw = a.shape[0] // 2, a.shape[1] // 2
            a = a[:2 * ph, :2 * pw].reshape(ph, 2, pw, 2, -1).max(axis=(1, 3))
        elif cls == "Flatten":
            a = a.reshape(-1)
        elif cls == "Dense":
            a = a @ wts["kernel"] + wts.get("bias", 0)
            name_act = cfg.get("activation", "linear")
            a = act(a, name_act) if name_act in ("relu", "linear") else act_out(a, name_act)
    return a


def act_out(v, name):
    if name == "sigmoid":
        return 1 / (1 + np.exp(-v))
    e = np.exp(v - v.max())
    return e / e.sum()


def write_general(path, h, w, c, layers, weights):
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.8.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(general_config(h, w, c, layers))
        g = f.create_group("model_weights")
        names = ["input_1"] + [name for _, name, _ in layers]
        g.attrs["layer_names"] = names
        for name in names:
            lg = g.create_group(name)
            if name not in weights:
                lg.attrs["weight_names"] = np.array([], dtype=np.float64)
                continue
            lg.attrs["weight_names"] = [name + "/" + leaf + ":0" for leaf, _ in weights[name]]
            inner = lg.create_group(name)
            for leaf, v in weights[name]:
                inner.create_dataset(leaf + ":0", data=v)


def st_custom_layers(classes, dropout=0.2):
    """ST's custom_model.py (stm32ai-modelzoo hand_posture) as Keras 2.x saves it."""
    conv = lambda f: {"filters": f, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
                      "data_format": "channels_last", "activation": "linear", "use_bias": False}
    bn = {"axis": [3], "momentum": 0.99, "epsilon": 0.001, "center": True, "scale": True}
    out = {"units": classes if classes > 2 else 1, "activation": "softmax" if classes > 2 else "sigmoid", "use_bias": True}
    return [("Conv2D", "conv2d", conv(16)), ("BatchNormalization", "batch_normalization", bn),
            ("Activation", "activation", {"activation": "relu"}), ("MaxPooling2D", "max_pooling2d", {"pool_size": [2, 2]}),
            ("Dropout", "dropout", {"rate": dropout}),
            ("Conv2D", "conv2d_1", conv(32)), ("BatchNormalization", "batch_normalization_1", bn),
            ("Activation", "activation_1", {"activation": "relu"}),
            ("MaxPooling2D", "max_pooling2d_1", {"pool_size": [2, 2]}), ("Dropout", "dropout_1", {"rate": dropout}),
            ("Flatten", "flatten", {}),
            ("Dense", "dense", {"units": 64, "activation": "relu", "use_bias": True}),
            ("Dense", "dense_1", {"units": 32, "activation": "relu", "use_bias": True}),
            ("Dense", "dense_2", out)]


def mixed_layers():
    """5x5 valid conv with bias, 1x1 same conv without, batch normalization after a Dense, sigmoid."""
    return [("Conv2D", "conv5", {"filters": 6, "kernel_size": [5, 5], "padding": "valid", "activation": "relu"}),
            ("Conv2D", "conv1", {"filters": 4, "kernel_size": [1, 1], "padding": "same", "activation": "linear",
                                 "use_bias": False}),
            ("ReLU", "re_lu", {"max_value": None, "negative_slope": 0.0, "threshold": 0.0}),
            ("MaxPooling2D", "pool", {"pool_size": [2, 2]}), ("Flatten", "flatten", {}),
            ("Dense", "hidden", {"units": 7, "activation": "linear"}),
            ("BatchNormalization", "bn_dense", {"axis": -1, "epsilon": 0.01}),
            ("Activation", "relu_dense", {"activation": "relu"}),
            ("Dense", "out", {"units": 1, "activation": "sigmoid"})]


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    expected = {"generator": "scripts/make_h5_fixtures.py (h5py %s, numpy %s)" % (h5py.__version__, np.__version__),
                "good": [], "bad": []}

    good = {
        "sequential.h5": (spec(sequential=True), {}),
        "separate_activations.h5": (spec(h=6, w=7, c=2, f=5, u=9, o=4, separate_activations=True), {}),
        "relu_layer_no_dropout.h5": (spec(h=4, w=4, c=2, f=6, u=10, o=3, dropout=0, separate_activations=True,
                                          relu_layer=True), {}),
        "renamed_sigmoid.h5": (spec(h=7, w=9, c=2, f=8, u=16, o=1, dropout=0.35,
                                    names={"input": "input_5", "conv": "conv2d_7", "pool": "max_pooling2d_3",
                                           "drop": "dropout_9", "flat": "flatten_2", "dense": "dense_12",
                                           "out": "dense_13"}), {}),
        "fixed_strings_float64.h5": (spec(h=5, w=5, c=1, f=3, u=4, o=3),
                                     {"fixed_strings": True, "dtype": np.float64}),
    }
    for name, (s, options) in good.items():
        weights = random_weights(s)
        write(os.path.join(out_dir, name), s, weights, **options)
        x = rng.normal(0, 1, (s["h"], s["w"], s["c"])).astype(np.float32)
        expected["good"].append({
            "file": name, "height": s["h"], "width": s["w"], "channels": s["c"], "filters": s["f"], "units": s["u"],
            "classes": 2 if s["o"] == 1 else s["o"], "dropout": s["dropout"],
            "input": [float("%.9g" % v) for v in x.ravel()],
            "scores": [float("%.12g" % v) for v in forward(s, weights, x.astype(np.float64))]})

    general = {"st_custom.h5": (8, 8, 2, st_custom_layers(8)), "mixed_sigmoid.h5": (9, 9, 2, mixed_layers())}
    for name, (h, w, c, layers) in general.items():
        weights = general_weights(h, w, c, layers)
        write_general(os.path.join(out_dir, name), h, w, c, layers, weights)
        x = rng.normal(0, 1, (h, w, c)).astype(np.float32)
        expected["good"].append({
            "file": name, "height": h, "width": w, "channels": c,
            "classes": 2 if layers[-1][2]["units"] == 1 else layers[-1][2]["units"],
            "parameters": int(sum(v.size for ws in weights.values() for _, v in ws)),
            "input": [float("%.9g" % v) for v in x.ravel()],
            "scores": [float("%.12g" % v) for v in general_forward(layers, weights, x)]})

    # Broken files: (name, substring the error must contain, how to make it).
    tiny = spec(h=4, w=4, c=2, f=2, u=3, o=3)
    tiny_w = random_weights(tiny)

    def config_with(change):
        cfg = model_config(tiny, layers_of(tiny))
        change(cfg["config"]["layers"])
        return json.dumps(cfg)

    def set_layer(cls, key, value):
        def change(layers):
            for entry in layers:
                if entry["class_name"] == cls:
                    entry["config"][key] = value
                    return
        return change

    def insert_batchnorm(layers):
        layers.insert(2, {"class_name": "BatchNormalization", "name": "batch_normalization",
                          "config": {"name": "batch_normalization", "axis": [3], "scale": False},
                          "inbound_nodes": [[["conv2d", 0, 0, {}]]]})
        layers[3]["inbound_nodes"] = [[["batch_normalization", 0, 0, {}]]]

    def two_inputs(layers):
        layers[-1]["inbound_nodes"] = [[["dense", 0, 0, {}], ["flatten", 0, 0, {}]]]

    def keras3_nodes(layers):
        layers[1]["inbound_nodes"] = [{"args": [{"class_name": "__keras_tensor__"}], "kwargs": {}}]

    def nan_kernel(f):
        d = f["model_weights/dense/dense/kernel:0"]
        v = d[()]
        v[1, 2] = np.nan
        d[...] = v

    def drop_group(path):
        return lambda f: f.__delitem__(path)

    def int_kernel(f):
        del f["model_weights/dense_1/dense_1/kernel:0"]
        f["model_weights/dense_1/dense_1"].create_dataset("kernel:0", data=np.ones((3, 3), dtype=np.int32))

    def wrong_shape(f):
        del f["model_weights/dense/dense/kernel:0"]
        f["model_weights/dense/dense"].create_dataset("kernel:0", data=np.zeros((7, 3), dtype=np.float32))

    bad = [
        ("no_model_config.h5", "no model_config attribute", dict(skip=("model_config",))),
        ("no_model_weights.h5", "no model_weights group", dict(skip=("model_weights",))),
        ("missing_layer_group.h5", "layer 'dense': no weights group", dict(mutate=drop_group("model_weights/dense"))),
        ("no_weight_names.h5", "layer 'conv2d': no weight_names attribute", dict(skip=("weight_names",))),
        ("missing_bias.h5", "layer 'dense_1': weight 'dense_1/bias:0' is missing",
         dict(mutate=drop_group("model_weights/dense_1/dense_1/bias:0"))),
        ("wrong_shape.h5", "has shape (7, 3), expected (2, 3)", dict(mutate=wrong_shape)),
        ("int_kernel.h5", "is not floating point", dict(mutate=int_kernel)),
        ("nan_weights.h5", "non-finite", dict(mutate=nan_kernel)),
        ("batchnorm_no_scale.h5", "layer 'batch_normalization': center or scale false unsupported",
         dict(config=config_with(insert_batchnorm))),
        ("conv7x7.h5", "layer 'conv2d': kernel_size (7, 7) unsupported, only 1x1, 3x3 or 5x5",
         dict(config=config_with(set_layer("Conv2D", "kernel_size", [7, 7])))),
        ("conv_stride2.h5", "strides (2, 2) unsupported", dict(config=config_with(set_layer("Conv2D", "strides", [2, 2])))),
        ("causal_padding.h5", "padding 'causal' unsupported, only valid or same",
         dict(config=config_with(set_layer("Conv2D", "padding", "causal")))),
        ("lstm.h5", "layer 'lstm': LSTM unsupported",
         dict(config=config_with(lambda layers: layers[2].update(class_name="LSTM", name="lstm")
                                 or layers[2]["config"].update(name="lstm")
                                 or layers[3].update(inbound_nodes=[[["lstm", 0, 0, {}]]])))),
        ("tanh_dense.h5", "layer 'dense': activation 'tanh' unsupported",
         dict(config=config_with(set_layer("Dense", "activation", "tanh")))),
        ("two_inputs.h5", "2 inputs unsupported", dict(config=config_with(two_inputs))),
        ("keras3_nodes.h5", "unsupported format", dict(config=config_with(keras3_nodes))),
        ("malformed_json.h5", "model_config is not valid JSON", dict(config='{"class_name": "Functional", "config": {"layers": [')),
        ("json_array.h5", "model_config is not a JSON object", dict(config="[1, 2, 3]")),
        ("unknown_model_class.h5", "model class 'Subclassed' unsupported", dict(config='{"class_name": "Subclassed", "config": {}}')),
    ]
    for name, message, options in bad:
        write(os.path.join(out_dir, name), tiny, tiny_w, **options)
        expected["bad"].append({"file": name, "error": message})
    with open(os.path.join(out_dir, "not_hdf5.h5"), "w") as f:
        f.write("this is not an HDF5 file\n")
    expected["bad"].append({"file": "not_hdf5.h5", "error": "not an HDF5 file"})

    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/h5")
