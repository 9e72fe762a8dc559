#!/usr/bin/python3
"""Writes tests/fixtures/preprocess_public_sample.csv: the network input of a sample of frames of
ST's public dataset, computed here with numpy alone (reading the zip with zipfile), as an
independent reference for the C preprocessing. Run once; the output is committed.

Usage: /usr/bin/python3 scripts/make_preprocess_fixture.py [path/to/ST_VL53L8CX_handposture_dataset.zip]
"""
import csv
import io
import os
import sys
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ZIP = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../shared/data/ST_VL53L8CX_handposture_dataset.zip")
OUT = os.path.join(HERE, "../tests/fixtures/preprocess_public_sample.csv")
CLASSES = {"None": 0, "FlatHand": 20, "Like": 21, "Love": 24, "Dislike": 25, "BreakTime": 27, "CrossHands": 28, "Fist": 32}
LABEL = {code: i for i, code in enumerate(sorted(CLASSES.values()))}
MAX_D, MIN_D, BG_D = np.float32(400), np.float32(100), np.float32(120)


def preprocess(distance, signal, status):
    """One 8x8 frame (float32 arrays of 64 zones) -> (kept, 8x8x2 tensor)."""
    valid = (status == 5) | (status == 9)
    nearest = distance[valid].min() if valid.any() else np.float32(4000)
    kept = MIN_D <= nearest <= MAX_D
    valid &= distance <= nearest + BG_D
    d = np.where(valid, distance, np.float32(4000)).astype(np.float32)
    s = np.where(valid, signal, np.float32(0)).astype(np.float32)
    tensor = np.stack([(d - np.float32(295)) / np.float32(196), (s - np.float32(281)) / np.float32(452)], axis=-1)
    return kept, tensor.reshape(8, 8, 2)


def main():
    rng = np.random.default_rng(42)
    rows = []
    with zipfile.ZipFile(ZIP) as z:
        names = sorted(n for n in z.namelist() if n.endswith(".npz"))
        for name in rng.choice(names, size=25, replace=False):
            npz = np.load(io.BytesIO(z.read(name)))
            head = list(npz["zone_head"])
            data = npz["zone_data"].astype(np.float32)  # (F, Z, N)
            codes = npz["glob_data"][list(npz["glob_head"]).index(".GestureGT")]
            frames = data.shape[2]
            for n in sorted(rng.choice(frames, size=min(2, frames), replace=False)):
                kept, tensor = preprocess(data[head.index("distance_mm"), :, n], data[head.index("signal_per_spad"), :, n],
                                          data[head.index("target_status"), :, n])
                if not kept:
                    continue
                relative = name.split("/", 1)[1]  # below the zip's top folder
                rows.append([relative, int(n), LABEL[int(codes[n])]] + ["%.9g" % v for v in tensor.reshape(-1)])
    with open(OUT, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "frame", "label"] + ["t%d" % i for i in range(128)])
        w.writerows(rows)
    print("wrote %d frames to %s" % (len(rows), OUT))


if __name__ == "__main__":
    main()
