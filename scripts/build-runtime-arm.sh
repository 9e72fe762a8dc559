#!/usr/bin/env bash
# Compiles every runtime/*.c for Cortex-M4F with warnings as errors: the runtime must stay
# portable C99 that builds for the microcontroller as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build-arm; mkdir -p "$out"
for source in runtime/*.c; do
  arm-none-eabi-gcc -std=c99 -mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard \
    -O2 -Wall -Wextra -Wpedantic -Werror -Iruntime -c "$source" -o "$out/$(basename "$source" .c).o"
done
arm-none-eabi-size "$out"/*.o | tail -n +1
