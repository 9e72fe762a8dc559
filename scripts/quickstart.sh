#!/usr/bin/env bash
# The main job, from a fresh Debian machine: install dependencies, build, then on ST's public
# dataset: inspect it, train (the cross-user recipe), evaluate, and generate the MCU package.
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
cmake --build build -j"$(nproc)" --target handposture   # the tests and benchmarks: scripts/test.sh
hp=build/apps/handposture/handposture
mkdir -p "$out"
model="$out/train/saved_models/best_model.h5"
# A "Like" posture: the frame the README's pictures show.
frame=data_Like__User1__1__VL53L8__handposture_api__8x8__20230503_165000_ends165009.201.npz
set -x
"$hp" dataset info --data "$data"                           # summary; --recordings lists the recordings
"$hp" dataset show --data "$data" --file "$frame" --frame 20 --png "$out/frame.png" ||
  echo "quickstart: no picture of a frame: another dataset than ST's public one"
"$hp" train --data "$data" --out "$out/train"              # cross-user recipe (--recipe st: ST's): 80/20 frame split, seed 42
"$hp" evaluate --model "$model" --data "$data" --report "$out/evaluation"
"$hp" crossval --data "$data" --split-by user --quiet      # accuracy on people the model never saw
"$hp" quantize --model "$model" --data "$data" --out "$out/model_int8.hpq"
"$hp" deploy --model "$model" --out "$out/mcu_float32" --target cortex-m4
"$hp" deploy --model "$out/model_int8.hpq" --out "$out/mcu_int8" --target cortex-m4
{ set +x; } 2>/dev/null
cat <<EOF

quickstart: done. Outputs in $out/:
  trained model            $model (int8: $out/model_int8.hpq)
  training curves          $out/train/training_curves_loss.png, training_curves_accuracy.png
  validation               $out/train/confusion_matrix_validation.png, $out/train/run.json
  evaluation report        $out/evaluation/metrics.json, confusion_matrix.png
  one frame as heat maps   $out/frame.png
  MCU packages (C99)       $out/mcu_float32/, $out/mcu_int8/ (a README.md in each)
EOF
