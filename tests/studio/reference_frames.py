"""References for the studio browser test, read with numpy from ST's public dataset (not with
handposture's own readers):

  prepare ZIP EXPECTED_CSV WORK   extracts two short User2 datalogs into WORK/replay/ and writes
      WORK/frames.json: each frame in replay order (distance, signal, zone validity, and the raw
      posture ST's pretrained model gives it per EXPECTED_CSV: argmax if above 0.9, else None;
      "invalid" when the frame is not among ST's kept frames; null when too close to call);
      and WORK/wire.txt / wire.json: RAN lines (SPEC section 9) of two other User2 datalogs for the
      fake board, one malformed line first and a gap of two frame numbers after line 50.
  take NPZ WORK                   the frames of a recorded take, and whether they are consecutive
      frames of the wire stream (nothing lost or repeated), as JSON on stdout.
"""
import csv
import io
import json
import os
import sys
import zipfile

import numpy as np

CLASSES = ["None", "FlatHand", "Like", "Love", "Dislike", "BreakTime", "CrossHands", "Fist"]
GAP_AFTER = 50


def fields(npz):
    head = [str(h) for h in npz["zone_head"]]
    data = npz["zone_data"]
    return {name: data[head.index(name)].T for name in head}  # name -> [frame][zone]


def expected_raw(row):
    p = [float(row["p%d" % i]) for i in range(8)]
    top = max(range(8), key=lambda i: p[i])
    if abs(p[top] - 0.9) < 0.01:
        return None
    return CLASSES[top] if p[top] > 0.9 else "None"


def shortest(expected, cls, at_least):
    files = [f for f in expected if f.startswith(cls + "/") and "__User2__" in f and len(expected[f]) >= at_least]
    return min(files, key=lambda f: (len(expected[f]), f))


def zone_valid(status):
    return [bool(s == 5 or s == 9) for s in status]


def prepare(zip_path, csv_path, work):
    expected = {}
    for row in csv.DictReader(open(csv_path)):
        expected.setdefault(row["file"], {})[int(row["frame"])] = row
    z = zipfile.ZipFile(zip_path)
    root = z.namelist()[0].split("/")[0]
    frames = []
    replay = [shortest(expected, "Fist", 40), shortest(expected, "BreakTime", 40)]
    for k, rel in enumerate(replay):  # replayed in path order: 1_ before 2_
        out = os.path.join(work, "replay", "%d_%s" % (k + 1, os.path.basename(rel)))
        os.makedirs(os.path.dirname(out), exist_ok=True)
        data = z.read(root + "/" + rel)
        open(out, "wb").write(data)
        f = fields(np.load(io.BytesIO(data)))
        for i in range(f["distance_mm"].shape[0]):
            row = expected[rel].get(i)
            frames.append({"file": rel, "index": i, "distance": f["distance_mm"][i].tolist(),
                           "signal": f["signal_per_spad"][i].tolist(),
                           "zone_valid": zone_valid(f["target_status"][i]),
                           "raw": expected_raw(row) if row else "invalid"})
    json.dump(frames, open(os.path.join(work, "frames.json"), "w"))

    wire, lines = [], ["RAN,this line is not a frame"]
    for rel in [shortest(expected, "Like", 100), shortest(expected, "Love", 100)]:
        f = fields(np.load(io.BytesIO(z.read(root + "/" + rel))))
        for i in range(f["distance_mm"].shape[0]):
            n = len(wire)
            counter = n + (2 if n > GAP_AFTER else 0)
            g = [""] * 47
            line = ["RAN", str(counter), "1", str(100 * n)] + g
            for zone in range(f["distance_mm"].shape[1]):
                line += [str(int(f["target_status"][i][zone])), "1", str(int(round(f["distance_mm"][i][zone]))),
                         str(int(round(f["signal_per_spad"][i][zone]))), "0", str(int(f["valid"][i][zone]))]
            lines.append(",".join(line))
            wire.append([int(round(d)) for d in f["distance_mm"][i]])
    open(os.path.join(work, "wire.txt"), "w").write("\n".join(lines) + "\n")
    json.dump({"distance": wire, "gap_after": GAP_AFTER}, open(os.path.join(work, "wire.json"), "w"))


def take(npz_path, work):
    wire = json.load(open(os.path.join(work, "wire.json")))["distance"]
    d = fields(np.load(npz_path))["distance_mm"]
    rows = [[int(round(v)) for v in frame] for frame in d]
    starts = [i for i, w in enumerate(wire) if w == rows[0]] if rows else []
    consecutive = any(all(rows[j] == wire[(s + j) % len(wire)] for j in range(len(rows))) for s in starts)
    print(json.dumps({"frames": len(rows), "consecutive": consecutive}))


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        take(sys.argv[2], sys.argv[3])
