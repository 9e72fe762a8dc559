#!/usr/bin/env bash
# The tables of docs/cross-user.md: leave-one-user-out accuracy of both recipes, and calibration
# of each fold's model on the held-out user's first K = 10, 25, 50, 100 frames per posture (first
# ones of the first recording, then spread over it), scored on that user's other frames, with
# every method and with the one chosen for that user on the other users only.
# Usage: bench/calibration_study.sh [build-dir] [dataset.zip|folder]   (or HP_CLI: the handposture binary;
# extra crossval flags in HP_CALIBRATION_FLAGS, e.g. "--calibration-lr 1e-4"; HP_STUDY_OUT: a folder
# to keep the JSON results in)
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${HP_CLI:-build/apps/handposture/handposture}
if [ $# -gt 0 ] && [ -x "$1/apps/handposture/handposture" ]; then cli=$1/apps/handposture/handposture; shift; fi
data=${1:-${HP_DATASET:-../shared/data/ST_VL53L8CX_handposture_dataset.zip}}
[ -x "$cli" ] || { echo "no handposture binary at $cli (build first or set HP_CLI)" >&2; exit 1; }
if [ -n "${HP_STUDY_OUT:-}" ]; then out=$HP_STUDY_OUT; mkdir -p "$out"; else out=$(mktemp -d); trap 'rm -rf "$out"' EXIT; fi

for recipe in st cross-user; do
  "$cli" crossval --recipe "$recipe" --data "$data" --split-by user --quiet --json "$out/louo_$recipe.json" >/dev/null 2>&1
done
# Every method at K = 10, 25, 50 but retrain alone (a whole training, the same ~6 s at every K, tried
# by auto at every K), which runs at K = 100.
# shellcheck disable=SC2086
"$cli" crossval --data "$data" --split-by user --quiet --calibration-study --calibration-k 10,25,50 \
  --calibration-methods none,fine-tune,last-layer,resume,auto ${HP_CALIBRATION_FLAGS:-} --json "$out/calibration_small.json" >/dev/null 2>&1
# shellcheck disable=SC2086
"$cli" crossval --data "$data" --split-by user --quiet --calibration-study --calibration-k 100 \
  ${HP_CALIBRATION_FLAGS:-} --json "$out/calibration_100.json" >/dev/null 2>&1

/usr/bin/python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
print("| recipe | User1 | User2 | User3 | User4 | mean |\n|---|---|---|---|---|---|")
for recipe in ("st", "cross-user"):
    d = json.load(open(f"{out}/louo_{recipe}.json"))
    accs = [f["held_out_accuracy"] * 100 for f in d["folds"]]
    print(f"| {recipe} | " + " | ".join(f"{a:.1f}" for a in accs) + f" | {d['mean_held_out_accuracy'] * 100:.1f} |")
rows = sum((json.load(open(f"{out}/calibration_{n}.json"))["calibration"] for n in ("small", "100")), [])
users = sorted({r["user"] for r in rows})
settings = sorted({(r["frames"], r["k"]) for r in rows}, key=lambda s: (s[0] != "first", s[1]))
methods = [m for m in ("none", "fine-tune", "last-layer", "resume", "retrain", "auto") if any(r["method"] == m for r in rows)]
def pct(x): return f"{x * 100:.1f}"
def mean(xs): return sum(xs) / len(xs)
def name(r): return r["method"] + (f": {r['applied']}" if r["method"] == "auto" else "")

print("\nThe method chosen per user on the other users only (before -> after, %, chosen method)")
print("| frames | K | " + " | ".join(users) + " | mean Users 2-4 |\n|---|---|" + "---|" * (len(users) + 1))
for frames, k in settings:
    chosen = {r["user"]: r for r in rows if (r["frames"], r["k"]) == (frames, k) and r["chosen"]}
    rest = [chosen[u] for u in users if u != "User1"]
    print(f"| {frames} | {k} | " + " | ".join(f"{pct(chosen[u]['before'])} -> {pct(chosen[u]['after'])} ({name(chosen[u])})"
                                           for u in users)
          + f" | {pct(mean([r['before'] for r in rest]))} -> {pct(mean([r['after'] for r in rest]))} |")

print("\nEvery method on every user (after, %; not used to choose), seconds of calibration at most")
print("| frames | K | method | " + " | ".join(users) + " | mean Users 2-4 | worst change | seconds |\n|---|---|---|" + "---|" * (len(users) + 3))
for frames, k in settings:
    for m in methods:
        cells = {r["user"]: r for r in rows if (r["frames"], r["k"], r["method"]) == (frames, k, m)}
        if not cells: continue
        rest = [cells[u] for u in users if u != "User1"]
        worst = min(cells[u]["after"] - cells[u]["before"] for u in users)
        print(f"| {frames} | {k} | {m} | " + " | ".join(pct(cells[u]["after"]) for u in users)
              + f" | {pct(mean([r['after'] for r in rest]))} | {worst * 100:+.1f} | {max(r['seconds'] for r in cells.values()):.1f} |")
PY
