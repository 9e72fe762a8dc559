#!/usr/bin/python3
"""numpy reads the datalogs our writer produced (`handposture dataset convert`) and finds ST's
format and the source's values: the same entries, dtypes and shapes, values equal at float32
precision (our datalogs hold float32), and for --zones-4x4 the 2x2 block rule recomputed here.
Env: HP_CLI, HP_SHARED_DIR (tests/CMakeLists.txt)."""
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

CLI = os.environ["HP_CLI"]
ZIP = os.path.join(os.environ["HP_SHARED_DIR"], "data/ST_VL53L8CX_handposture_dataset.zip")
if not os.path.exists(ZIP):
    print("skipped: no public dataset at", ZIP)
    sys.exit(0)


def field(npz, name):
    head = list(npz["zone_head"])
    return npz["zone_data"][head.index(name)] if name in head else None


def expected_4x4(src):
    """(F, 64, N) source fields -> dict of (16, N) float32 arrays, by the rule of downsample_to_4x4."""
    d, s, st = (field(src, k).astype(np.float32) for k in ("distance_mm", "signal_per_spad", "target_status"))
    n = d.shape[1]
    out = {k: np.zeros((16, n), np.float32) for k in ("distance_mm", "signal_per_spad", "target_status", "valid")}
    for zone in range(16):
        r, c = divmod(zone, 4)
        sub = [2 * r * 8 + 2 * c, 2 * r * 8 + 2 * c + 1, (2 * r + 1) * 8 + 2 * c, (2 * r + 1) * 8 + 2 * c + 1]
        ok = [(st[k] == 5) | (st[k] == 9) for k in sub]
        count = sum(o.astype(np.int32) for o in ok)
        vd, vs, ad, as_ = (np.zeros(n, np.float32) for _ in range(4))
        for k, o in zip(sub, ok):
            vd = vd + np.where(o, d[k], np.float32(0))
            vs = vs + np.where(o, s[k], np.float32(0))
            ad = ad + d[k]
            as_ = as_ + s[k]
        has = count > 0
        safe = np.maximum(count, 1).astype(np.float32)
        out["distance_mm"][zone] = np.where(has, vd / safe, ad / np.float32(4))
        out["signal_per_spad"][zone] = np.where(has, vs / safe, as_ / np.float32(4))
        out["target_status"][zone] = np.where(has, np.float32(5), st[sub[0]])
        out["valid"][zone] = has.astype(np.float32)
    return out


def main():
    failures = 0
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(ZIP) as z:
        same, small = os.path.join(tmp, "same"), os.path.join(tmp, "4x4")
        subprocess.run([CLI, "dataset", "convert", "--data", ZIP, "--out", same], check=True)
        subprocess.run([CLI, "dataset", "convert", "--data", ZIP, "--out", small, "--zones-4x4"], check=True)
        sources = sorted(n for n in z.namelist() if n.endswith(".npz"))
        for name in sources:
            relative = name.split("/", 1)[1]
            src = np.load(io.BytesIO(z.read(name)))
            ours = np.load(os.path.join(same, relative), allow_pickle=False)
            if list(ours.keys()) != ["start_tstmp", "end_tstmp", "zone_data", "glob_data", "zone_head", "glob_head"]:
                print("FAIL", relative, "entries", list(ours.keys())); failures += 1; continue
            for key in ours.keys():
                a, b = ours[key], src[key]
                if a.dtype != b.dtype or a.shape != b.shape:
                    print("FAIL", relative, key, a.dtype, a.shape, "vs", b.dtype, b.shape); failures += 1
                elif a.dtype.kind == "U":
                    failures += not np.array_equal(a, b)
                elif not np.array_equal(a, b.astype(np.float32).astype(np.float64) if key.endswith("data") else b,
                                        equal_nan=True):
                    print("FAIL", relative, key, "values differ"); failures += 1
            four = np.load(os.path.join(small, relative), allow_pickle=False)
            if four["zone_data"].shape != (4, 16, src["zone_data"].shape[2]):
                print("FAIL", relative, "4x4 shape", four["zone_data"].shape); failures += 1; continue
            for key, expected in expected_4x4(src).items():
                got = field(four, key)
                if not np.allclose(got, expected, rtol=1e-6, atol=1e-6):
                    print("FAIL", relative, "4x4", key, np.abs(got - expected).max()); failures += 1
            if not np.array_equal(four["glob_data"], src["glob_data"]):
                print("FAIL", relative, "4x4 glob_data"); failures += 1
        # Our loader reads what it wrote.
        info = json.loads(subprocess.run([CLI, "dataset", "info", "--json", "--data", same], check=True,
                                         capture_output=True, text=True).stdout)
        if info["frames_kept"] != 11443 or info["files"] != len(sources):
            print("FAIL info of the converted dataset", info["frames_kept"], info["files"]); failures += 1
        info = json.loads(subprocess.run([CLI, "dataset", "info", "--json", "--data", small], check=True,
                                         capture_output=True, text=True).stdout)
        if info["zones"] != 16 or info["frames_read"] != 11448:
            print("FAIL info of the 4x4 dataset", info["zones"], info["frames_read"]); failures += 1
        print("4x4 dataset: %d frames kept, dropped %s" % (info["frames_kept"], info["dropped"]))
    print("%d datalogs checked, %d failures" % (len(sources), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
