#!/usr/bin/env bash
# The main job on this machine: generate a ResNet18 with seeded weights,
# slice it into four partitions (cuts inside residual blocks included), run
# the whole model and the chained partitions on the same input, and check
# that the outputs are bitwise equal.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=bin/papdlctl
out=out/demo
mkdir -p "$out"
arch=${ARCH:-resnet18}

echo "== generate $arch"
$bin model generate --arch "$arch" -o "$out/$arch.onnx"
$bin model input -m "$out/$arch.onnx" -o "$out/input.npy"

echo "== units and the bytes crossing each cut"
$bin slice "$out/$arch.onnx" --units | head -n 40

echo "== slice into 4 partitions"
rm -rf "$out/parts"
$bin slice "$out/$arch.onnx" -o "$out/parts" --parts 4

echo "== run the whole model, then the chained partitions"
$bin infer -m "$out/$arch.onnx" -i "$out/input.npy" -o "$out/monolithic.npy"
$bin infer -m "$out/parts" -i "$out/input.npy" -o "$out/chained.npy"
if cmp -s "$out/monolithic.npy" "$out/chained.npy"; then
  echo "OK: the chained partitions' output is bitwise equal to the monolithic output"
else
  echo "FAIL: chained output differs from the monolithic output" >&2
  exit 1
fi

echo "== profile every unit (3 runs)"
$bin profile "$out/$arch.onnx" -o "$out/profile.json" --repeats 3 --warmup 1 | tail -n 5
