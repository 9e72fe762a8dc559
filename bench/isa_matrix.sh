#!/usr/bin/env bash
# Host speed on each instruction set, side by side with PyTorch (training) and ONNX Runtime
# (inference) measured in the same runs: builds handposture for the x86-64 baseline (SSE2,
# HP_NATIVE=OFF), x86-64-v3 (AVX2 + FMA, what most laptops and AMD servers have) and x86-64-v4
# (AVX-512; run only on a CPU that has it, built either way), then runs
# bench/train_vs_pytorch.sh and bench/inference_vs_ort.sh with each. ARM64 is checked for
# correctness by scripts/test-aarch64.sh (under emulation, where speed means nothing).
# Usage: bench/isa_matrix.sh [baseline|v3|v4 ...]     (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
variants=("$@"); ((${#variants[@]})) || variants=(baseline v3 v4)
for variant in "${variants[@]}"; do
  case "$variant" in
    baseline) flags=(-DHP_NATIVE=OFF) ;;
    v3) flags=(-DHP_NATIVE=ON -DHP_MARCH=x86-64-v3) ;;
    v4) flags=(-DHP_NATIVE=ON -DHP_MARCH=x86-64-v4) ;;
    *) echo "unknown variant $variant (baseline, v3, v4)" >&2; exit 2 ;;
  esac
  dir=build-$variant
  printf '\n==== %s (%s)\n' "$variant" "${flags[*]}"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "${flags[@]}" >/dev/null
  cmake --build "$dir" -j"$(nproc)" --target handposture bench_predict >/dev/null
  if [ "$variant" = v4 ] && ! grep -q -w avx512f /proc/cpuinfo; then
    echo "built; not run: this CPU has no AVX-512"
    continue
  fi
  HP_CLI="$dir/apps/handposture/handposture" bench/train_vs_pytorch.sh
  bench/inference_vs_ort.sh "$dir"
done
