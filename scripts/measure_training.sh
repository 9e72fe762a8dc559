#!/usr/bin/env bash
# The training figures of docs/training.md: ST's recipe on the public dataset over 5 seeds,
# (1) random 80/20 frame split: validation accuracy of the best checkpoint, epochs, time;
# (2) leave-one-user-out: per held-out user accuracy, early stopping on 20 % random frames of
#     the training users only;
# (3) --resplit-each-epoch (ST's loader: the 80/20 split redrawn every epoch, so validation frames
#     are also training frames): the figure comparable with ST's 99.43 %, not a held-out one.
# Usage: scripts/measure_training.sh [build-dir] [dataset.zip|folder]   (or HP_CLI: the handposture binary,
# HP_SEEDS: seeds, default "42 43 44 45 46")
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${HP_CLI:-build/apps/handposture/handposture}
if [ $# -gt 0 ] && [ -x "$1/apps/handposture/handposture" ]; then cli=$1/apps/handposture/handposture; shift; fi
data=${1:-${HP_DATASET:-../shared/data/ST_VL53L8CX_handposture_dataset.zip}}
seeds=${HP_SEEDS:-42 43 44 45 46}
[ -x "$cli" ] || { echo "no handposture binary at $cli (build first or set HP_CLI)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for seed in $seeds; do
  "$cli" train --recipe st --data "$data" --seed "$seed" --out "$out/split_$seed" --quiet 2>/dev/null
  "$cli" train --recipe st --data "$data" --seed "$seed" --resplit-each-epoch --out "$out/resplit_$seed" --quiet 2>/dev/null
  "$cli" crossval --recipe st --data "$data" --split-by user --seed "$seed" --quiet --json "$out/louo_$seed.json" >/dev/null 2>&1
  echo "seed $seed done" >&2
done

/usr/bin/python3 - "$out" $seeds <<'PY'
import json, statistics, sys
out, seeds = sys.argv[1], sys.argv[2:]
def spread(values, scale=100):
    v = [x * scale for x in values]
    sd = statistics.stdev(v) if len(v) > 1 else 0.0
    return "%.2f ± %.2f (min %.2f, max %.2f)" % (statistics.mean(v), sd, min(v), max(v))
runs = [json.load(open("%s/split_%s/run.json" % (out, s))) for s in seeds]
print("ST recipe, random 80/20 frame split, seeds %s" % " ".join(seeds))
for s, r in zip(seeds, runs):
    t = r["training"]
    print("  seed %s: val_accuracy %.2f %%, best epoch %d of %d, %.2f s (%.1f ms/epoch wall, %.1f ms/epoch cpu)" % (
        s, r["validation"]["accuracy"] * 100, t["best_epoch"], t["epochs_run"], t["seconds"],
        t["seconds_per_epoch"] * 1000, t["cpu_seconds_per_epoch"] * 1000))
print("  validation accuracy %%: %s" % spread([r["validation"]["accuracy"] for r in runs]))
print("  epochs to early stop: %s" % spread([r["training"]["epochs_run"] for r in runs], 1))
print("  training time s:      %s" % spread([r["training"]["seconds"] for r in runs], 1))
folds = [json.load(open("%s/louo_%s.json" % (out, s))) for s in seeds]
print("Leave-one-user-out (early stopping on 20 %% of the training users' frames), seeds %s" % " ".join(seeds))
for user in [f["group"] for f in folds[0]["folds"]]:
    acc = [next(f for f in run["folds"] if f["group"] == user)["held_out_accuracy"] for run in folds]
    print("  %s held out: accuracy %% %s" % (user, spread(acc)))
print("  mean over users: %s" % spread([run["mean_held_out_accuracy"] for run in folds]))
resplit = [json.load(open("%s/resplit_%s/run.json" % (out, s))) for s in seeds]
assert all(r["settings"]["resplit_each_epoch"] and not r["validation"]["held_out"] for r in resplit)
print("ST's loader (--resplit-each-epoch: split redrawn every epoch; NOT held out), seeds %s" % " ".join(seeds))
for s, r in zip(seeds, resplit):
    t = r["training"]
    print("  seed %s: val_accuracy %.2f %%, best epoch %d of %d" % (
        s, r["validation"]["accuracy"] * 100, t["best_epoch"], t["epochs_run"]))
print("  validation accuracy %%: %s" % spread([r["validation"]["accuracy"] for r in resplit]))
print("  epochs to early stop: %s" % spread([r["training"]["epochs_run"] for r in resplit], 1))
PY
