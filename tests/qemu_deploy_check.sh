#!/usr/bin/env bash
# The generated package on emulated microcontrollers (QEMU): ST's model, 200 public frames on a
# Cortex-M4F (mps2-an386) and a Cortex-M7 (mps2-an500), 100 on a Cortex-M0 (microbit) running
# the Cortex-M0+ build with software float, through hp_process_frame (raw zones) and hp_run (tensors); every score within
# 1e-5 of the host runtime and every raw/filtered class identical. Then: a corrupted expectation
# must make the harness fail; bench's instruction count must equal an independent count of the
# trace; deploy's bad inputs fail cleanly without leaving anything behind.
set -euo pipefail
: "${HP_CLI:?}" "${HP_SHARED_DIR:?}" "${HP_SOURCE_DIR:?}" "${HP_BUILD_DIR:?}"
for tool in arm-none-eabi-gcc qemu-system-arm make; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
model=$HP_SHARED_DIR/models/st_pretrained/CNN2D_ST_HandPosture_VL53L8CX_8classes.h5
data=$HP_SHARED_DIR/data/ST_VL53L8CX_handposture_dataset.zip
work=$HP_BUILD_DIR/qemu-deploy-check
rm -rf "$work"; mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }

# 1. Every target in QEMU.
"$HP_SOURCE_DIR/firmware/run_qemu.sh" --cli "$HP_CLI" --model "$model" --data "$data" --frames 200 --out "$work" \
  | tee "$work/run.log"
grep -q "^PASS: 200 frames" "$work/run.log" || fail "Cortex-M4F run did not pass 200 frames"
grep -q "^PASS: 100 frames" "$work/run.log" || fail "Cortex-M0 run did not pass 100 frames"
[ "$(grep -c '^PASS: 200 frames' "$work/run.log")" = 2 ] || fail "Cortex-M7 run did not pass 200 frames"
grep -q "^PASS: int8 200 frames, 0 logits differ" "$work/run.log" || fail "Cortex-M4F int8 run did not match the host"

# 1b. A network outside CNN2D_ST_HandPosture on the general runtime (hp_net.h): ST's custom model
# (batch normalization folded, same-padded convolutions), its float and int8 packages, every target.
"$HP_SOURCE_DIR/firmware/run_qemu.sh" --cli "$HP_CLI" --model "$HP_SOURCE_DIR/tests/fixtures/h5/st_custom.h5" \
  --data "$data" --frames 100 --out "$work/custom" | tee "$work/custom.log"
[ "$(grep -c '^PASS: 100 frames' "$work/custom.log")" = 3 ] || fail "the custom model did not pass on M4F, M7 and M0"
grep -q "^PASS: int8 100 frames, 0 logits differ" "$work/custom.log" || fail "the custom model's int8 run did not match the host"
grep -q "hp_net_f32.c" "$work/custom/package-cortex-m4/README.md" || fail "the custom model's package is not on the general runtime"

# 2. The harness can fail: change one expected raw class and rebuild.
pkg=$work/package-cortex-m4
cp -r "$pkg" "$work/corrupt"
/usr/bin/python3 - "$work/corrupt/test/hp_test_vectors.c" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path).read()
m = re.search(r"\n   (\d+), (\d+), (\d+)\},", text)
text = text[:m.start()] + "\n   %s, %d, %s}," % (m.group(1), int(m.group(2)) + 1, m.group(3)) + text[m.end():]
open(path, "w").write(text)
PY
make -s -C "$HP_SOURCE_DIR/firmware" PKG="$work/corrupt" VECTORS="$work/corrupt/test" OUT="$work/corrupt-build" >/dev/null
if make -s -C "$HP_SOURCE_DIR/firmware" run PKG="$work/corrupt" VECTORS="$work/corrupt/test" OUT="$work/corrupt-build" \
    > "$work/corrupt.log" 2>&1; then
  fail "harness passed with a corrupted expectation"
fi
grep -q "^FAIL" "$work/corrupt.log" || fail "no FAIL line for a corrupted expectation"
echo "corrupted expectation detected: $(grep '^FAIL' "$work/corrupt.log")"

# 3. bench: instructions per hp_run equal an independent count of the kept trace.
"$HP_CLI" bench --target cortex-m4 --model "$model" --json --keep > "$work/bench.json" 2> "$work/bench.err"
kept=$(sed -n 's/^kept //p' "$work/bench.err")
[ -d "$kept" ] || fail "bench --keep gave no folder"
for opt in O2 O3 Os; do
  elf=$kept/bench-$opt/bench.elf
  entry=$(arm-none-eabi-nm "$elf" | awk '$3 == "hp_run" { print $1 }')
  counted=$(awk -v entry="$entry" '
    /^Trace/ { split($0, f, "/"); pc = f[2]; sym = $NF
               if (!inside && pc == entry) inside = 1
               else if (inside && sym == "main") { print n; exit }
               if (inside) n++ }' "$kept/bench-$opt/trace.log")
  reported=$(/usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print([r for r in d['results'] if r['opt']=='-$opt'][0]['instructions_per_hp_run'])" "$work/bench.json")
  [ "$counted" = "$reported" ] || fail "-$opt: bench reports $reported instructions, the trace holds $counted"
  echo "-$opt: $reported instructions per hp_run (trace recount agrees)"
done
rm -rf "$kept"

# 4. Bad inputs: a clear error, exit 1, nothing written.
set +e
"$HP_CLI" deploy --model "$work/missing.h5" --out "$work/bad1" > "$work/bad1.log" 2>&1; code=$?
set -e
[ $code -eq 1 ] || fail "missing model: exit $code"
grep -q "missing.h5: no such file" "$work/bad1.log" || fail "missing model: $(cat "$work/bad1.log")"
[ ! -e "$work/bad1" ] && [ ! -e "$work/bad1.tmp" ] || fail "missing model left files"
mkdir -p "$work/readonly"; chmod 555 "$work/readonly"
if [ "$(id -u)" != 0 ]; then
  set +e
  "$HP_CLI" deploy --model "$model" --out "$work/readonly/pkg" > "$work/bad2.log" 2>&1; code=$?
  set -e
  [ $code -eq 1 ] || fail "unwritable out: exit $code"
  grep -q "readonly/pkg" "$work/bad2.log" || fail "unwritable out: $(cat "$work/bad2.log")"
  [ -z "$(ls -A "$work/readonly")" ] || fail "unwritable out left files"
fi
chmod 755 "$work/readonly"
echo "qemu deploy check passed"
