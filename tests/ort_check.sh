#!/usr/bin/env bash
# Cross-checks our inference with ONNX Runtime: exports ST's pretrained model to ONNX, predicts
# the public dataset's 11,443 kept frames with `handposture predict` (dumping the input tensors),
# runs ONNX Runtime (npm onnxruntime-node) on the same tensors and compares every probability
# (1e-5). Then the same for a 2-class model (one sigmoid output) trained for 2 epochs, and for
# ST's custom model (layers beyond CNN2D_ST_HandPosture).
# Env: HP_CLI, HP_SHARED_DIR, HP_SOURCE_DIR (set by CTest).
set -euo pipefail
model="$HP_SHARED_DIR/models/st_pretrained/CNN2D_ST_HandPosture_VL53L8CX_8classes.h5"
data="$HP_SHARED_DIR/data/ST_VL53L8CX_handposture_dataset.zip"
ort_dir="$HP_SOURCE_DIR/tests/ort"
[ -f "$model" ] && [ -f "$data" ] || { echo "skipping: ST's model or dataset missing under $HP_SHARED_DIR"; exit 77; }
[ -d "$ort_dir/node_modules/onnxruntime-node" ] || {
  echo "onnxruntime-node is not installed in $ort_dir: run scripts/install-deps.sh"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$HP_CLI" export --model "$model" --format onnx --out "$work/model.onnx"
"$HP_CLI" predict --model "$model" --data "$data" --out "$work/preds.csv" --dump-inputs "$work/inputs.bin"
node "$ort_dir/run_ort.js" "$work/model.onnx" "$work/inputs.bin" "$work/preds.csv" 1e-5

# A 2-class model ends in one sigmoid output: train one briefly, then the same comparison.
"$HP_CLI" train --data "$data" --classes Like,Dislike --epochs 2 --quiet --out "$work/two" >/dev/null
two="$work/two/saved_models/best_model.h5"
"$HP_CLI" export --model "$two" --format onnx --out "$work/two.onnx"
"$HP_CLI" predict --model "$two" --data "$data" --out "$work/two.csv" --dump-inputs "$work/two.bin"
node "$ort_dir/run_ort.js" "$work/two.onnx" "$work/two.bin" "$work/two.csv" 1e-5

# ST's custom model (batch normalization, same padding, no conv bias), trained briefly: the
# exported graph folds the normalization, our runtime folds it too; ONNX Runtime must agree.
"$HP_CLI" train --data "$data" --network custom --recipe st --epochs 2 --quiet --out "$work/custom" >/dev/null
custom="$work/custom/saved_models/best_model.h5"
"$HP_CLI" export --model "$custom" --format onnx --out "$work/custom.onnx"
"$HP_CLI" predict --model "$custom" --data "$data" --out "$work/custom.csv" --dump-inputs "$work/custom.bin"
node "$ort_dir/run_ort.js" "$work/custom.onnx" "$work/custom.bin" "$work/custom.csv" 1e-5
