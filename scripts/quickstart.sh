#!/usr/bin/env bash
# The main job, from a fresh Debian machine: install dependencies, build, then on ST's public
# dataset: inspect it, train the ST recipe, evaluate, and generate the MCU package.
# Usage: scripts/quickstart.sh [DATASET_DIR_OR_ZIP] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-${HP_DATASET:-../shared/data/ST_VL53L8CX_handposture_dataset.zip}}
out=${2:-out/quickstart}
if [ ! -e "$data" ]; then
  echo "quickstart: no dataset at '$data'. Download ST_VL53L8CX_handposture_dataset.zip from ST's" >&2
  echo "model zoo (stm32ai-modelzoo, hand_posture/datasets) and pass its path as the first argument." >&2
  exit 1
fi
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
hp=build/apps/handposture/handposture
mkdir -p "$out"
set -x
"$hp" dataset info --data "$data"
