#!/usr/bin/python3
"""Writes tests/fixtures/train_torch.json: PyTorch's loss and gradients for CNN2D_ST_HandPosture
on fixed batches, and the weights after 3 Adam steps with Keras 2.x semantics
(var -= lr*sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps)), in float64.
Run once with Debian's python3-torch: /usr/bin/python3 scripts/make_torch_fixture.py
The weights are in Keras layouts (conv [3][3][C][F], dense [in][out]), inputs NHWC."""
import json
import os

import numpy as np
import torch

torch.set_default_dtype(torch.float64)


def forward(x_nhwc, w):
    """Logits of CNN2D_ST_HandPosture without dropout; w holds torch tensors in Keras layouts."""
    x = x_nhwc.permute(0, 3, 1, 2)  # NCHW
    conv = torch.nn.functional.conv2d(x, w["conv_kernel"].permute(3, 2, 0, 1), w["conv_bias"])
    pool = torch.nn.functional.max_pool2d(torch.relu(conv), 2)
    flat = pool.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # Keras flattens (row, col, channel)
    hidden = torch.relu(flat @ w["dense1_kernel"] + w["dense1_bias"])
    return hidden @ w["dense2_kernel"] + w["dense2_bias"]


def loss_of(logits, labels, outputs):
    if outputs == 1:
        return torch.nn.functional.binary_cross_entropy_with_logits(logits[:, 0], labels.double())
    return torch.nn.functional.cross_entropy(logits, labels)


def make_case(rng, height, width, classes, batch, steps, lr=0.01, b1=0.9, b2=0.999, eps=1e-7):
    F, U = 8, 32
    outputs = 1 if classes == 2 else classes
    flat = ((height - 2) // 2) * ((width - 2) // 2) * F
    shapes = {"conv_kernel": (3, 3, 2, F), "conv_bias": (F,), "dense1_kernel": (flat, U), "dense1_bias": (U,),
              "dense2_kernel": (U, outputs), "dense2_bias": (outputs,)}
    init = {k: rng.uniform(-0.4, 0.4, size=s).astype(np.float32) for k, s in shapes.items()}
    inputs = rng.normal(0, 1, size=(steps, batch, height, width, 2)).astype(np.float32)
    labels = rng.integers(0, classes, size=(steps, batch))
    w = {k: torch.tensor(v.astype(np.float64), requires_grad=True) for k, v in init.items()}
    m = {k: torch.zeros_like(v) for k, v in w.items()}
    v = {k: torch.zeros_like(t) for k, t in w.items()}
    losses, grads0, after = [], None, []
    for t in range(1, steps + 1):
        x = torch.tensor(inputs[t - 1].astype(np.float64))
        y = torch.tensor(labels[t - 1])
        loss = loss_of(forward(x, w), y, outputs)
        for p in w.values():
            p.grad = None
        loss.backward()
        losses.append(loss.item())
        if t == 1:
            grads0 = {k: p.grad.detach().numpy().copy() for k, p in w.items()}
        step = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        with torch.no_grad():
            for k, p in w.items():
                g = p.grad
                m[k] = b1 * m[k] + (1 - b1) * g
                v[k] = b2 * v[k] + (1 - b2) * g * g
                p -= step * m[k] / (torch.sqrt(v[k]) + eps)
        after.append({k: p.detach().numpy().copy() for k, p in w.items()})
    flat_list = lambda a: [float(x) for x in np.asarray(a).ravel()]
    return {
        "height": height, "width": width, "classes": classes, "batch": batch, "learning_rate": lr,
        "inputs": flat_list(inputs), "labels": [int(l) for l in labels.ravel()],
        "initial": {k: flat_list(a) for k, a in init.items()},
        "losses": losses,
        "gradients": {k: flat_list(a) for k, a in grads0.items()},
        "weights_after_steps": [{k: flat_list(a) for k, a in s.items()} for s in after],
    }


def main():
    rng = np.random.default_rng(20240601)
    fixture = {
        "generator": "scripts/make_torch_fixture.py, torch " + torch.__version__,
        "cases": [make_case(rng, 8, 8, 8, 32, 3), make_case(rng, 4, 4, 2, 16, 3)],
    }
    out = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "train_torch.json")
    with open(out, "w") as f:
        json.dump(fixture, f)
    print("wrote", os.path.normpath(out))


if __name__ == "__main__":
    main()
