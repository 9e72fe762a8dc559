#!/usr/bin/env bash
# Runs every test: the release build's suite, the same suite under AddressSanitizer +
# UndefinedBehaviorSanitizer, the runtime cross-compiled for Cortex-M4, and each fuzz target
# for a bounded time. Usage: scripts/test.sh [--quick]   (--quick: release suite only)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
fuzz_seconds=${HP_FUZZ_SECONDS:-30}

step() { printf '\n== %s\n' "$*"; }

step "release build + tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"
[ "${1:-}" = "--quick" ] && exit 0

step "runtime for Cortex-M4 (arm-none-eabi-gcc, -Werror)"
scripts/build-runtime-arm.sh

step "sanitizer build (ASan + UBSan) + tests"
CC=clang CXX=clang++ cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHP_SANITIZE=ON -DHP_BENCH=OFF >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" -E "${HP_ASAN_EXCLUDE:-^$}"

step "fuzz targets (${fuzz_seconds}s each)"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHP_SANITIZE=ON -DHP_FUZZ=ON -DHP_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$jobs" --target $(cd fuzz && ls fuzz_*.cpp 2>/dev/null | sed 's/\.cpp$//')
for target in build-fuzz/fuzz/fuzz_*; do
  [ -x "$target" ] || continue
  name=$(basename "$target")
  corpus="build-fuzz/corpus/$name"; mkdir -p "$corpus"
  seeds="fuzz/seeds/$name"; [ -d "$seeds" ] || seeds=""
  echo "-- $name"
  "$target" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -print_final_stats=1 "$corpus" $seeds 2>&1 | tail -n 3
done
echo "all tests passed"
