#!/usr/bin/env bash
# The table of docs/network-figures.md: ST's CNN2D_ST_HandPosture beside ST's `custom` model
# (custom_model.py), each under the default recipe (cross-user) and `--recipe st`:
#  - random split: `train --seed 1..5`, default --validation-split (20 % of frames); the figure is
#    the validation accuracy of the best epoch's model, the frames early stopping and the
#    checkpoint were chosen on (train has no held-out test split of the same data: --test takes
#    other data), so it is optimistic by the selection;
#  - leave-one-user-out: `crossval --split-by user` (seed 42), accuracy on each held-out user;
#    early stopping and the checkpoint use 20 % random frames of the three training users only;
#  - Cortex-M4 packages of the seed-1 model, float32 and int8 (`quantize`, 1,000 calibration
#    frames spread over the dataset): flash, RAM incl. stack, instructions per inference at -O2
#    (`bench --target cortex-m4`, QEMU), and instructions per MAC (MACs from `model summary --json`).
# The whole matrix (20 trainings, 16 folds, 8 QEMU benches) runs one job at a time.
# Usage: bench/networks.sh [handposture-binary|build-dir] [out-dir] [dataset.zip|folder]
#   HP_SEEDS (default "1 2 3 4 5"), HP_RECIPES (default "cross-user st") shrink the matrix.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${1:-${HP_CLI:-build/apps/handposture/handposture}}
[ -d "$cli" ] && cli=$cli/apps/handposture/handposture
[ -x "$cli" ] || { echo "no handposture binary at $cli (build first or pass its path)" >&2; exit 1; }
out=${2:-$(mktemp -d)}
data=${3:-${HP_DATASET:-../shared/data/ST_VL53L8CX_handposture_dataset.zip}}
[ -e "$data" ] || { echo "no dataset at $data" >&2; exit 1; }
seeds=${HP_SEEDS:-1 2 3 4 5}
recipes=${HP_RECIPES:-cross-user st}
networks="CNN2D_ST_HandPosture custom"
mkdir -p "$out"
log=$out/log.txt
: >"$log"

for net in $networks; do
  for recipe in $recipes; do
    tag=${net}_$recipe
    for seed in $seeds; do
      dir=$out/$tag/seed$seed
      "$cli" train --network "$net" --recipe "$recipe" --seed "$seed" --data "$data" --quiet --out "$dir" >>"$log" 2>&1
    done
    "$cli" crossval --network "$net" --recipe "$recipe" --data "$data" --split-by user --quiet \
      --json "$out/$tag/louo.json" >>"$log" 2>&1
    first=$out/$tag/seed${seeds%% *}/saved_models/best_model.h5
    "$cli" model summary --model "$first" --json >"$out/$tag/summary.json"
    "$cli" quantize --model "$first" --data "$data" --out "$out/$tag/model_int8.hpq" >>"$log" 2>&1
    "$cli" bench --target cortex-m4 --model "$first" --json >"$out/$tag/bench_float32.json"
    "$cli" bench --target cortex-m4 --model "$out/$tag/model_int8.hpq" --json >"$out/$tag/bench_int8.json"
  done
done

/usr/bin/python3 - "$out" "$networks" "$recipes" "$seeds" <<'PY'
import json, sys
out, networks, recipes, seeds = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), sys.argv[4].split()

def load(path):
    with open(path) as f:
        return json.load(f)

def package(tag, kind, macs):
    r = next(r for r in load(f"{out}/{tag}/bench_{kind}.json")["results"] if r["opt"] == "-O2")
    n = r["instructions_per_hp_run"]
    return f"{r['flash_bytes']:,} B / {r['ram_with_stack_bytes']:,} B / {n:,} / {n / macs:.2f}"

users = None
rows = []
for net in networks:
    for recipe in recipes:
        tag = f"{net}_{recipe}"
        s = load(f"{out}/{tag}/summary.json")
        macs = sum(l["macs"] for l in s["layers"])
        params = sum(l["parameters"] for l in s["layers"])
        accs = [load(f"{out}/{tag}/seed{x}/run.json")["validation"]["accuracy"] * 100 for x in seeds]
        louo = load(f"{out}/{tag}/louo.json")
        folds = {f["group"]: f["held_out_accuracy"] * 100 for f in louo["folds"]}
        users = users or sorted(folds)
        rows.append(f"| {net} | {recipe} | {params:,} | {macs:,} | "
                    f"{sum(accs) / len(accs):.2f} ({min(accs):.2f}-{max(accs):.2f}) | "
                    + " / ".join(f"{folds[u]:.1f}" for u in users)
                    + f" | **{louo['mean_held_out_accuracy'] * 100:.1f}** | "
                    f"{package(tag, 'float32', macs)} | {package(tag, 'int8', macs)} |")
print(f"| network | recipe | parameters | MACs | random split, val. accuracy % mean (min-max), seeds {','.join(seeds)} "
      f"| leave-one-user-out % {' / '.join(users)} | LOUO mean % "
      "| Cortex-M4 float32 -O2: flash / RAM incl. stack / instructions / per MAC "
      "| Cortex-M4 int8 -O2: flash / RAM incl. stack / instructions / per MAC |")
print("|---|---|---|---|---|---|---|---|---|")
print("\n".join(rows))
PY
