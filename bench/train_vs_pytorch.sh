#!/usr/bin/env bash
# Training speed side by side: ST's recipe for a fixed 50 epochs (no early stopping) in
# handposture and in PyTorch (one thread each), then a full ST-recipe run to early stopping.
# Usage: bench/train_vs_pytorch.sh [build-dir] [dataset.zip|folder]   (or HP_CLI: the handposture binary)
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${HP_CLI:-build/apps/handposture/handposture}
if [ $# -gt 0 ] && [ -x "$1/apps/handposture/handposture" ]; then cli=$1/apps/handposture/handposture; shift; fi
data=${1:-${HP_DATASET:-../shared/data/ST_VL53L8CX_handposture_dataset.zip}}
epochs=${HP_BENCH_EPOCHS:-50}
[ -x "$cli" ] || { echo "no handposture binary at $cli (build first or set HP_CLI)" >&2; exit 1; }
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "installing python3-torch (Debian) for the PyTorch side" >&2
  apt-get install -y python3-torch >/dev/null
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
json() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
"$cli" train --recipe st --data "$data" --out "$out/fixed" --epochs "$epochs" --no-early-stopping --quiet 2>/dev/null
ours=$(json "$out/fixed/run.json" "d['training']['seconds_per_epoch']")
ours_cpu=$(json "$out/fixed/run.json" "d['training']['cpu_seconds_per_epoch']")
read -r theirs theirs_cpu < <(/usr/bin/python3 bench/pytorch_train.py --epochs "$epochs")
calc() { awk "BEGIN { print $1 }"; }
ms() { calc "$1 * 1000"; }
printf 'handposture: %s; CPU: %s\n' "$("$cli" --version)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
printf 'ST recipe, %d epochs, 9154 training + 2289 validation frames, one thread (validation included)\n' "$epochs"
printf '               wall ms/epoch   cpu ms/epoch\n'
printf '  handposture  %13.2f  %13.2f\n' "$(ms "$ours")" "$(ms "$ours_cpu")"
printf '  PyTorch      %13.2f  %13.2f\n' "$(ms "$theirs")" "$(ms "$theirs_cpu")"
printf '  ratio        %12.1fx  %12.1fx\n' "$(calc "$theirs / $ours")" "$(calc "$theirs_cpu / $ours_cpu")"
printf 'load average (1, 5, 15 min) before: %s, after: %s (2 cores)\n' "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)"

start=$(date +%s.%N)
"$cli" train --recipe st --data "$data" --out "$out/full" --quiet 2>/dev/null
end=$(date +%s.%N)
printf 'full ST recipe to early stopping: %.2f s wall (%s epochs, training loop %.2f s, val_accuracy %.4f)\n' \
  "$(calc "$end - $start")" "$(json "$out/full/run.json" "d['training']['epochs_run']")" \
  "$(json "$out/full/run.json" "d['training']['seconds']")" "$(json "$out/full/run.json" "d['validation']['accuracy']")"
