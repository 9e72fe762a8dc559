#!/usr/bin/env bash
# Runs every test: the release build's suite, the same suite under AddressSanitizer +
# UndefinedBehaviorSanitizer, the runtime cross-compiled for Cortex-M4, the kernels and training
# engine for ARM64 under qemu-aarch64, and each fuzz target for a bounded time.
# Usage: scripts/test.sh [--quick]   (--quick: release suite only)
# One line per stage: its name, duration and counts. Each stage's whole output goes to
# build/test-logs/<stage>.log; when a stage fails, the part that says why is shown and the
# script stops with a non-zero status.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
fuzz_seconds=${HP_FUZZ_SECONDS:-30}
logs=build/test-logs
mkdir -p "$logs"
started=$SECONDS

# "runtime for Cortex-M4 (-Werror)" -> build/test-logs/runtime-for-Cortex-M4-Werror.log
log_of() { echo "$logs/$(echo "$1" | tr -cs 'A-Za-z0-9' '-' | sed 's/-*$//').log"; }

# 75 s -> "1m15s"
duration() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# A stage's line, at most ~80 columns: its name when it starts (a stage can take many minutes),
# then its result and duration when it ends.
begin() { printf '%-34s ' "$1"; }
report() { printf '%-32s %8s\n' "$1" "$(duration $((SECONDS - $2)))"; }

# failed NAME LOG: the end of the log (cut to 99 columns), then stop.
failed() {
  echo "-- $1 failed; the end of $2:"
  tail -n 40 "$2" | cut -c1-99
  exit 1
}

# stage NAME COMMAND...: runs COMMAND with its output in the stage's log.
stage() {
  local name=$1 start=$SECONDS log
  log=$(log_of "$1")
  shift
  begin "$name"
  if "$@" >"$log" 2>&1; then report "ok" "$start"; else report "FAILED" "$start"; failed "$name" "$log"; fi
}

# tests NAME BUILD_DIR [CTEST OPTIONS...]: the CTest suite of a build, with ctest's counts.
tests() {
  local name=$1 dir=$2 start=$SECONDS log status=0
  log=$(log_of "$1")
  shift 2
  begin "$name"
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" "$@" >"$log" 2>&1 || status=$?
  # ctest's summary: "98% tests passed, 4 tests failed out of 246"
  local summary counts skipped
  summary=$(grep -E '^[0-9]+% tests passed' "$log" | tail -n 1 || true)
  skipped=$(grep -c '\*\*\*Skipped' "$log" || true)
  if [[ $summary =~ ([0-9]+)\ tests\ failed\ out\ of\ ([0-9]+) ]]; then
    counts="$((BASH_REMATCH[2] - BASH_REMATCH[1] - skipped)) passed, ${BASH_REMATCH[1]} failed"
    ((skipped == 0)) || counts+=", $skipped skipped"
  else
    counts="no ctest summary"
  fi
  report "$counts" "$start"
  if ((status)); then
    echo "-- $name failed (whole output: $log):"
    sed -n '/The following tests FAILED/,$p' "$log" | cut -c1-99
    [[ -n $summary ]] || tail -n 40 "$log" | cut -c1-99
    exit 1
  fi
}

# fuzz TARGET: runs a libFuzzer target for $fuzz_seconds, with its number of runs.
fuzz() {
  local target=$1 name start=$SECONDS status=0
  name=$(basename "$target")
  local log corpus="build-fuzz/corpus/$name" seeds="fuzz/seeds/$name"
  log=$(log_of "$name")
  mkdir -p "$corpus"
  [ -d "$seeds" ] || seeds=""
  begin "$name"
  "$target" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -print_final_stats=1 "$corpus" $seeds \
    >"$log" 2>&1 || status=$?
  local runs
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  if ((status)); then report "FAILED after ${runs:-?} runs" "$start"; failed "$name" "$log"; fi
  report "${runs:-?} runs, no failure" "$start"
}

release_build() {
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j"$jobs"
}
sanitizer_build() {
  CC=clang CXX=clang++ cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHP_SANITIZE=ON -DHP_BENCH=OFF &&
    cmake --build build-asan -j"$jobs"
}
fuzz_build() {
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHP_SANITIZE=ON -DHP_FUZZ=ON \
    -DHP_BENCH=OFF &&
    cmake --build build-fuzz -j"$jobs" --target $(cd fuzz && ls fuzz_*.cpp 2>/dev/null | sed 's/\.cpp$//')
}

echo "logs: $logs/"
stage "release build" release_build
tests "release tests" build
if [ "${1:-}" = "--quick" ]; then
  echo "all tests passed ($(duration $((SECONDS - started))))"
  exit 0
fi

stage "runtime for Cortex-M4 (-Werror)" scripts/build-runtime-arm.sh
stage "ARM64 kernels + training (qemu)" scripts/test-aarch64.sh

stage "sanitizer build (ASan + UBSan)" sanitizer_build
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  tests "sanitizer tests" build-asan -E "${HP_ASAN_EXCLUDE:-^$}"

stage "fuzz build" fuzz_build
echo "fuzz targets, ${fuzz_seconds}s each:"
for target in build-fuzz/fuzz/fuzz_*; do
  [ -x "$target" ] || continue
  fuzz "$target"
done
echo "all tests passed ($(duration $((SECONDS - started))))"
