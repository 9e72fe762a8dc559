#!/usr/bin/env bash
# Generates a package from a model, with test vectors from the public dataset, builds the
# emulator harness for Cortex-M4F, Cortex-M7 and Cortex-M0+ and runs each in QEMU.
#   firmware/run_qemu.sh [--model M.h5] [--data DATASET.zip] [--frames N] [--out DIR] [--cli PATH]
# Defaults: ST's pretrained model and the public dataset from ../shared, 200 frames (100 on the
# M0, whose 256 KiB flash holds fewer vectors), DIR = build-qemu. Exit code 0 iff all pass.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
shared=${HP_SHARED_DIR:-$root/../shared}
model=$shared/models/st_pretrained/CNN2D_ST_HandPosture_VL53L8CX_8classes.h5
data=$shared/data/ST_VL53L8CX_handposture_dataset.zip
frames=200
out=$root/build-qemu
cli=${HP_CLI:-$root/build/apps/handposture/handposture}
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --frames) frames=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --cli) cli=$2; shift 2 ;;
    *) echo "run_qemu.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
for tool in arm-none-eabi-gcc qemu-system-arm make; do
  command -v "$tool" >/dev/null || { echo "run_qemu.sh: $tool not found (scripts/install-deps.sh installs it)" >&2; exit 2; }
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
status=0
for target in cortex-m4 cortex-m7 cortex-m0plus; do
  n=$frames
  [ "$target" = cortex-m0plus ] && [ "$n" -gt 100 ] && n=100
  pkg=$out/package-$target
  "$cli" deploy --model "$model" --out "$pkg" --target "$target" --test-vectors "$data" --test-frames "$n"
  make -s -C "$here" PKG="$pkg" VECTORS="$pkg/test" TARGET="$target" OUT="$out" >/dev/null
  echo "== $target"
  if ! make -s -C "$here" run PKG="$pkg" VECTORS="$pkg/test" TARGET="$target" OUT="$out"; then status=1; fi
done
# int8: the model quantized (calibrated on the dataset), deployed with int8 test vectors; the
# Cortex-M4F (DSP path) must give the host's int32 logits bit for bit.
"$cli" quantize --model "$model" --data "$data" --out "$out/model-int8.hpq" >/dev/null
pkg=$out/package-int8-cortex-m4
"$cli" deploy --model "$out/model-int8.hpq" --out "$pkg" --target cortex-m4 --test-vectors "$data" --test-frames "$frames"
int8=(PKG="$pkg" VECTORS="$pkg/test" TARGET=cortex-m4 OUT="$out/int8" HARNESS=harness_s8.c VECTOR_SOURCE=hp_s8_vectors.c)
make -s -C "$here" "${int8[@]}" >/dev/null
echo "== cortex-m4 int8"
if ! make -s -C "$here" run "${int8[@]}"; then status=1; fi
exit $status
