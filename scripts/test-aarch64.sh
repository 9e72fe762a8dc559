#!/usr/bin/env bash
# The code whose speed depends on the instruction set, cross-compiled for ARM64 (NEON, FMA) and
# tested under qemu-aarch64: the runtime (per-frame and batched lanes kernels), the training
# engine, and their tests against PyTorch and the reference fixtures. Correctness only: speed
# under emulation means nothing. The rest of the suite needs ARM64 builds of HDF5 and yaml-cpp,
# which Debian cannot install beside the host's (libhdf5-dev:arm64 replaces libhdf5-dev).
# Usage: scripts/test-aarch64.sh      (needs g++-aarch64-linux-gnu, qemu-user: scripts/install-deps.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
out=build-aarch64
mkdir -p "$out/obj"
cc=aarch64-linux-gnu-gcc
cxx=aarch64-linux-gnu-g++
gtest=/usr/src/googletest/googletest
defs=(-DHP_SHARED_DIR="\"$(cd .. && pwd)/shared\"" -DHP_SOURCE_DIR="\"$PWD\"" -DHP_FIXTURES_DIR="\"$PWD/tests/fixtures\""
      -DHP_CLI="\"/nonexistent\"")
cxx_flags=(-std=gnu++20 -O2 -Wall -Wextra -Isrc -Iruntime -Itests -I"$gtest/include" -I"$gtest" "${defs[@]}")

sources=(runtime/*.c src/train/layers.cpp src/train/network.cpp src/train/adam.cpp src/train/init.cpp
         tests/train_layers_test.cpp tests/train_layers_general_test.cpp tests/train_torch_test.cpp tests/runtime_f32_test.cpp
         tests/batch_inference_test.cpp tests/test_support.cpp src/model/model.cpp src/model/predict.cpp
         src/model/runtime_model.cpp src/model/cnn2d_st.cpp src/model/architectures.cpp src/model/inference_plan.cpp
         src/core/postures.cpp "$gtest/src/gtest-all.cc" "$gtest/src/gtest_main.cc")
compile() {
  local src=$1 obj
  obj="$out/obj/$(echo "$src" | tr '/' '_').o"
  case "$src" in
    *.c) $cc -std=c99 -O3 -Wall -Wextra -Wpedantic -Werror -ffp-contract=off -Iruntime -c "$src" -o "$obj" ;;
    *) $cxx "${cxx_flags[@]}" -c "$src" -o "$obj" ;;
  esac
}
export -f compile; export out cc cxx; export cxx_flags_str="${cxx_flags[*]}"
printf '%s\n' "${sources[@]}" | xargs -P "$(nproc)" -I{} bash -c "$(declare -p cxx_flags); $(declare -f compile); compile {}"
$cxx -pthread "$out"/obj/*.o -o "$out/kernel_tests"
qemu-aarch64 -L /usr/aarch64-linux-gnu "$out/kernel_tests" --gtest_brief=1
