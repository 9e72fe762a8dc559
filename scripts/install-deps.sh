#!/usr/bin/env bash
# Installs every Debian package handposture needs (idempotent). Run as root or with sudo.
# apt's and npm's own output (dpkg's unpacking lines, warnings) goes to a log, shown only if a
# step fails.
set -euo pipefail
packages=(
  cmake g++ clang libclang-rt-14-dev make pkg-config
  libhdf5-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev zlib1g-dev libzip-dev libpng-dev libcairo2-dev libonnx-dev libprotobuf-dev protobuf-compiler
  libserialport-dev libgtest-dev libgmock-dev libbenchmark-dev
  libcpp-httplib-dev chromium
  gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm socat
  g++-aarch64-linux-gnu qemu-user
  stlink-tools
  python3 python3-numpy python3-h5py python3-onnx nodejs
)
here="$(cd "$(dirname "$0")/.." && pwd)"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
log=$(mktemp "${TMPDIR:-/tmp}/handposture-install-deps.XXXXXX.log")

# quietly COMMAND...: runs COMMAND with its output in the log; on failure shows the log and stops.
quietly() {
  if ! "$@" >>"$log" 2>&1; then
    cat "$log" >&2
    echo "install-deps: '$*' failed (output above, kept in $log)" >&2
    exit 1
  fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${#missing[@]} Debian packages (apt-get; log: $log)"
  quietly $SUDO apt-get update
  quietly $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
# ONNX Runtime for Node: the independent client that checks our ONNX export.
if ! command -v npm >/dev/null; then
  echo "install-deps: installing npm (apt-get; log: $log)"
  quietly $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y npm
fi
if [ ! -d "$here/tests/ort/node_modules/onnxruntime-node" ]; then
  echo "install-deps: installing onnxruntime-node for the ONNX tests (npm; log: $log)"
  quietly bash -c 'cd "$1" && npm install --no-audit --no-fund --ignore-scripts' _ "$here/tests/ort"
fi
# puppeteer-core for Node: drives Debian's chromium in the studio's browser test.
if [ ! -d "$here/tests/studio/node_modules/puppeteer-core" ]; then
  echo "install-deps: installing puppeteer-core for the studio's browser test (npm; log: $log)"
  quietly bash -c 'cd "$1" && npm install --no-audit --no-fund --ignore-scripts' _ "$here/tests/studio"
fi
rm -f "$log"
