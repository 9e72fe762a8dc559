#!/usr/bin/python3
"""Exports ST's pretrained model to ONNX with the CLI, then checks it with the ONNX package
itself: the full checker (with shape inference), input/output names, shapes and types, opset,
class names, and every initializer against the .h5 weights read with h5py.
Env: HP_CLI, HP_SHARED_DIR (set by CTest)."""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import onnx
from onnx import numpy_helper

MODEL = os.path.join(os.environ["HP_SHARED_DIR"], "models/st_pretrained/CNN2D_ST_HandPosture_VL53L8CX_8classes.h5")
CLASSES = "None,FlatHand,Like,Love,Dislike,BreakTime,CrossHands,Fist"


def dims(value_info):
    return [d.dim_param if d.HasField("dim_param") else d.dim_value for d in value_info.type.tensor_type.shape.dim]


def main():
    if not os.path.exists(MODEL):
        print("skipping: no", MODEL)
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "model.onnx")
        subprocess.run([os.environ["HP_CLI"], "export", "--model", MODEL, "--format", "onnx", "--out", out], check=True)
        m = onnx.load(out)

    onnx.checker.check_model(m, full_check=True)
    assert m.opset_import[0].domain == "" and m.opset_import[0].version == 13, m.opset_import
    g = m.graph
    assert [i.name for i in g.input] == ["input"], g.input
    assert [o.name for o in g.output] == ["probabilities"], g.output
    assert g.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert g.output[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert dims(g.input[0]) == ["N", 8, 8, 2], dims(g.input[0])
    assert dims(g.output[0]) == ["N", 8], dims(g.output[0])
    assert {p.key: p.value for p in m.metadata_props}.get("class_names") == CLASSES, m.metadata_props
    assert CLASSES in m.doc_string

    # Shape inference agrees with the declared output.
    inferred = onnx.shape_inference.infer_shapes(m, strict_mode=True)
    assert dims(inferred.graph.output[0]) == ["N", 8]

    # Weights: ONNX conv is [F][C][kh][kw], Keras [kh][kw][C][F]; dense kernels stay [in][out].
    init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    with h5py.File(MODEL, "r") as f:
        w = f["model_weights"]
        keras = {
            "conv2d_weight": np.transpose(w["conv2d/conv2d/kernel:0"][()], (3, 2, 0, 1)),
            "conv2d_bias": w["conv2d/conv2d/bias:0"][()],
            "dense_weight": w["dense/dense/kernel:0"][()],
            "dense_bias": w["dense/dense/bias:0"][()],
            "dense_1_weight": w["dense_1/dense_1/kernel:0"][()],
            "dense_1_bias": w["dense_1/dense_1/bias:0"][()],
        }
    assert sorted(init) == sorted(keras), sorted(init)
    for name, expected in keras.items():
        assert init[name].dtype == np.float32, name
        assert init[name].shape == expected.shape, (name, init[name].shape, expected.shape)
        assert np.array_equal(init[name], expected), name
    print("ONNX export of", os.path.basename(MODEL), "passes the ONNX checker; names, shapes and weights match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
