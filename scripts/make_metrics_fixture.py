#!/usr/bin/python3
"""Writes tests/fixtures/metrics_cases.json: random scores and labels with the accuracy, Keras
cross-entropy loss, confusion matrix and per-class precision/recall/F1 computed with numpy.
Run once; the output is committed. Usage: /usr/bin/python3 scripts/make_metrics_fixture.py"""
import json
import pathlib

import numpy as np

EPS = 1e-7  # Keras backend.epsilon()


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def categorical_case(rng, frames, classes, never_predicted):
    labels = rng.integers(0, classes, frames)
    logits = rng.normal(0, 2, (frames, classes))
    logits[np.arange(frames), labels] += 1.5          # mostly right
    logits[:, never_predicted] = -50                  # one class is never predicted
    scores = softmax(logits).astype(np.float32)
    scores[0] = 0; scores[0, (labels[0] + 1) % classes] = 1   # a confident miss: p(label) = 0 is clipped
    s = scores.astype(np.float64)
    p = s / s.sum(axis=1, keepdims=True)
    p = np.clip(p, EPS, 1 - EPS)
    loss = float(np.mean(-np.log(p[np.arange(frames), labels])))
    pred = np.argmax(s, axis=1)
    return scores, labels, pred, loss, classes


def binary_case(rng, frames):
    labels = rng.integers(0, 2, frames)
    z = rng.normal(0, 2, frames) + np.where(labels == 1, 1.0, -1.0)
    scores = (1 / (1 + np.exp(-z))).astype(np.float32)
    scores[0] = 1.0 if labels[0] == 0 else 0.0     # confident misses hit the clip
    scores[1] = 0.5                                 # exactly 0.5 is class 0
    s = np.clip(scores.astype(np.float64), EPS, 1 - EPS)
    loss = float(np.mean(-(labels * np.log(s + EPS) + (1 - labels) * np.log(1 - s + EPS))))
    pred = (scores.astype(np.float64) > 0.5).astype(int)
    return scores.reshape(frames, 1), labels, pred, loss, 2


def expected(scores, labels, pred, loss, classes, names):
    confusion = np.zeros((classes, classes), dtype=int)
    for l, p in zip(labels, pred):
        confusion[l, p] += 1
    per_class = []
    for c in range(classes):
        tp = confusion[c, c]
        predicted = confusion[:, c].sum()
        support = confusion[c, :].sum()
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class.append({"precision": float(precision), "recall": float(recall), "f1": float(f1),
                          "support": int(support)})
    return {
        "outputs": int(scores.shape[1]),
        "class_names": names,
        "scores": [float(v) for v in scores.reshape(-1)],
        "labels": [int(v) for v in labels],
        "accuracy": float(np.mean(pred == labels)),
        "loss": loss,
        "confusion": confusion.tolist(),
        "per_class": per_class,
    }


def main():
    rng = np.random.default_rng(2024)
    cases = {
        "categorical": expected(*categorical_case(rng, 200, 5, never_predicted=3),
                                ["None", "FlatHand", "Like", "Love", "Fist"]),
        "binary": expected(*binary_case(rng, 150), ["None", "Fist"]),
    }
    out = pathlib.Path(__file__).resolve().parent.parent / "tests/fixtures/metrics_cases.json"
    out.write_text(json.dumps(cases, indent=1) + "\n")
    print("wrote", out)


if __name__ == "__main__":
    main()
