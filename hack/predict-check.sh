#!/usr/bin/env bash
# Predicted vs measured latency of deployed plans on the local runtime
# (docs/planner.md, "Predictions against measurements"). For each spec
# (default: hack/predict/*.yaml, ResNet-18 and VGG-16, the plan papdl
# chooses and a forced three-way split, on the simulated devices of
# hack/predict/nodes.yaml): start a controller, apply the spec, wait for
# Ready, send requests one after another for PAPDL_PREDICT_SECONDS (60),
# and print the planner's predictions next to what the gateway measured
# (the median of the controller's observation windows), per partition and
# in total (hack/predict-measure.py).
# Run as root, so that the devices' CPU caps are real (cgroups).
#
# PAPDL_PREDICT_RUNTIME=swarm runs the same checks on the Swarm test bed
# (specs hack/predict/swarm/*.yaml, requests entering on node2): it brings
# the test bed up with hack/swarm-up.sh 3 if none runs, with nodes large
# enough for VGG-16's benchmark (PAPDL_NODE_SHAPES, default
# 0.5:3072,1:3072,2:4096), and removes each model's services after its check.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
out=$PWD/out/predict
seconds=${PAPDL_PREDICT_SECONDS:-60}
rt=${PAPDL_PREDICT_RUNTIME:-local}
case "$rt" in
local)
  specdir=hack/predict
  rtflags=(--runtime local --nodes hack/predict/nodes.yaml)
  ;;
swarm)
  specdir=hack/predict/swarm
  # The test bed's host bridge address, where the nodes fetch partitions.
  artifacts=10.99.0.1:18879
  rtflags=(--runtime swarm --artifact-listen "$artifacts")
  ;;
*)
  echo "PAPDL_PREDICT_RUNTIME must be local or swarm, not $rt" >&2
  exit 2
  ;;
esac
make -s build
ctl() { bin/papdlctl "$@"; }
mkdir -p "$out"
for arch in resnet18 vgg16; do
  [ -f "$out/$arch.onnx" ] || ctl model generate --arch "$arch" --seed 1 -o "$out/$arch.onnx" >/dev/null
  [ -f "$out/$arch-in.npy" ] || ctl model input -m "$out/$arch.onnx" --seed 1 -o "$out/$arch-in.npy" >/dev/null
done
if [ "$rt" = swarm ] && ! docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null | grep -qx active; then
  PAPDL_NODE_SHAPES=${PAPDL_NODE_SHAPES:-0.5:3072,1:3072,2:4096} hack/swarm-up.sh 3
fi
if [ "$(id -u)" != 0 ]; then
  echo "warning: not root: the simulated devices run uncapped and the predictions are not comparable" >&2
fi

specs=("$@")
[ ${#specs[@]} -gt 0 ] || specs=("$specdir/resnet18.yaml" "$specdir/resnet18-split3.yaml" "$specdir/vgg16.yaml" "$specdir/vgg16-split3.yaml")
ctrl_pid=
name=
cleanup() {
  if [ -n "$ctrl_pid" ] && [ -n "$name" ] && [ "$rt" = swarm ]; then
    # Under the controller, as the user would: delete the spec and wait
    # until its services are gone.
    ctl delete "$name" --specs-dir "$out/specs" --ignore-not-found >/dev/null 2>&1 || true
    ctl wait --for delete "$name" --state-dir "$out/state" --timeout 5m >/dev/null 2>&1 || true
  fi
  if [ -n "$ctrl_pid" ]; then
    kill "$ctrl_pid" 2>/dev/null || true
    wait "$ctrl_pid" 2>/dev/null || true
    ctrl_pid=
  fi
  if [ -d "$out/state" ]; then
    if [ "$rt" = swarm ]; then
      [ -z "$name" ] || ctl clean --state-dir "$out/state" --runtime swarm --model "$name" >/dev/null 2>&1 || true
    else
      ctl clean --state-dir "$out/state" --runtime local --nodes hack/predict/nodes.yaml >/dev/null 2>&1 || true
    fi
  fi
}
trap cleanup EXIT

for spec in "${specs[@]}"; do
  cleanup
  name=$(sed -n 's/^  name: //p' "$spec" | head -1)
  if ! [[ $name =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]]; then
    echo "$spec: metadata.name '$name' is not a DNS label" >&2
    name=
    exit 2
  fi
  arch=resnet18
  case "$spec" in *vgg16*) arch=vgg16 ;; esac
  port=$(sed -n 's/^    port: //p' "$spec" | head -1)
  if [ "$rt" = local ] && [ -n "$port" ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "$name: port $port (spec.gateway.port in $spec) is taken by another process" >&2
    exit 1
  fi
  if [ "$rt" = swarm ] && (exec 3<>"/dev/tcp/${artifacts%:*}/${artifacts##*:}") 2>/dev/null; then
    echo "$name: the artifact address $artifacts is taken by another process" >&2
    exit 1
  fi
  rm -rf "$out/state" "$out/specs"
  mkdir -p "$out/specs"
  # The binary itself in the background (not the ctl function: $! must be
  # the controller's pid, or cleanup leaves it running).
  bin/papdlctl controller --specs-dir "$out/specs" --state-dir "$out/state" "${rtflags[@]}" \
    --log-format console >"$out/controller-$name.log" 2>&1 &
  ctrl_pid=$!
  ctl apply -f "$spec" --specs-dir "$out/specs" >/dev/null
  if ! ctl wait --for condition=Ready "$name" --state-dir "$out/state" --timeout 15m >/dev/null; then
    echo "$name: not Ready" >&2
    ctl describe "$name" --state-dir "$out/state" >&2 || true
    exit 1
  fi
  python3 hack/predict-measure.py "$name" "$out/state" "$out/$arch-in.npy" "$seconds" || true
  ctl get "$name" -o json --state-dir "$out/state" >"$out/$name.json"
done
