#!/usr/bin/env bash
# Installs every Debian package handposture needs (idempotent). Run as root or with sudo.
set -euo pipefail
packages=(
  cmake g++ clang libclang-rt-14-dev make pkg-config
  libhdf5-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev zlib1g-dev libzip-dev libpng-dev libcairo2-dev libonnx-dev libprotobuf-dev protobuf-compiler
  libserialport-dev libgtest-dev libgmock-dev libbenchmark-dev
  gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm socat
  stlink-tools
  python3 python3-numpy python3-h5py python3-onnx nodejs
)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# ONNX Runtime for Node: the independent client that checks our ONNX export.
here="$(cd "$(dirname "$0")/.." && pwd)"
command -v npm >/dev/null || { SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo; $SUDO apt-get install -y -qq npm; }
if [ ! -d "$here/tests/ort/node_modules/onnxruntime-node" ]; then
  (cd "$here/tests/ort" && npm install --no-audit --no-fund --ignore-scripts >/dev/null)
fi
