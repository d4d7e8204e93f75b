#!/usr/bin/env bash
# Installs the Debian packages papdl's tests and scripts need, if missing:
# the ONNX backend test data (conformance) and python3-numpy/python3-onnx
# (cross-checks in hack/). Idempotent; needs root or sudo.
set -euo pipefail
pkgs=(libonnx-testdata python3-numpy python3-onnx)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
