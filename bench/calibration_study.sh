#!/usr/bin/env bash
# The tables of docs/cross-user.md: leave-one-user-out accuracy of both recipes, and calibration
# of each fold's model on the held-out user's first K = 10, 25, 50, 100 frames per posture (first
# ones of the first recording, then spread over it), scored on that user's other frames.
# Usage: bench/calibration_study.sh [build-dir] [dataset.zip|folder]   (or HP_CLI: the handposture binary;
# extra crossval flags in HP_CALIBRATION_FLAGS, e.g. "--calibration-lr 1e-4")
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${HP_CLI:-build/apps/handposture/handposture}
if [ $# -gt 0 ] && [ -x "$1/apps/handposture/handposture" ]; then cli=$1/apps/handposture/handposture; shift; fi
data=${1:-${HP_DATASET:-../shared/data/ST_VL53L8CX_handposture_dataset.zip}}
[ -x "$cli" ] || { echo "no handposture binary at $cli (build first or set HP_CLI)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for recipe in st cross-user; do
  "$cli" crossval --recipe "$recipe" --data "$data" --split-by user --quiet --json "$out/louo_$recipe.json" >/dev/null 2>&1
done
# shellcheck disable=SC2086
"$cli" crossval --data "$data" --split-by user --quiet --calibration-study ${HP_CALIBRATION_FLAGS:-} \
  --json "$out/calibration.json" >/dev/null 2>&1

/usr/bin/python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
print("| recipe | User1 | User2 | User3 | User4 | mean |\n|---|---|---|---|---|---|")
for recipe in ("st", "cross-user"):
    d = json.load(open(f"{out}/louo_{recipe}.json"))
    accs = [f["held_out_accuracy"] * 100 for f in d["folds"]]
    print(f"| {recipe} | " + " | ".join(f"{a:.1f}" for a in accs) + f" | {d['mean_held_out_accuracy'] * 100:.1f} |")
rows = json.load(open(f"{out}/calibration.json"))["calibration"]
ks = sorted({r["k"] for r in rows})
users = sorted({r["user"] for r in rows})
print("\nCalibrated (held-back frames of the user; before -> after), seconds of fine-tuning at most %.1f"
      % max(r["seconds"] for r in rows))
print("| frames | K | " + " | ".join(users) + " | mean Users 2-4 |\n|---|---|" + "---|" * (len(users) + 1))
for frames in ("first", "spread"):
    for k in ks:
        cells = {r["user"]: r for r in rows if r["frames"] == frames and r["k"] == k}
        rest = [cells[u] for u in users if u != "User1"]
        mean_before = sum(r["before"] for r in rest) / len(rest) * 100
        mean_after = sum(r["after"] for r in rest) / len(rest) * 100
        print(f"| {frames} | {k} | " + " | ".join(f"{cells[u]['before'] * 100:.1f} -> {cells[u]['after'] * 100:.1f}"
                                               for u in users) + f" | {mean_before:.1f} -> {mean_after:.1f} |")
PY
