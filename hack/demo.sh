#!/usr/bin/env bash
# The main job, end to end on the embedded local runtime (no Docker):
#  1. generate ResNet18 with seeded weights;
#  2. start the papdl controller (this host plus two simulated edge nodes);
#  3. apply specs/local/resnet18.yaml and wait until it is Ready (papdl
#     slices, benchmarks every unit on every node, places, deploys);
#  4. send predictions through the gateway and check each against the
#     monolithic run, bit for bit;
#  5. keep sending requests until the controller has compared measured and
#     predicted times over a window;
#  6. print the placement with predicted and measured times per partition;
#     delete the model and stop.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/bin
out=$PWD/out/demo
specs=$out/specs
state=$out/state
mkdir -p "$out"
port=8765

ctl() { "$bin/papdlctl" "$@"; }
cleanup() {
  if [ -n "${ctrl_pid:-}" ] && kill -0 "$ctrl_pid" 2>/dev/null; then
    ctl delete resnet18-demo --specs-dir "$specs" >/dev/null 2>&1 || true
    ctl wait --for delete resnet18-demo --state-dir "$state" --timeout 60s >/dev/null 2>&1 || true
    kill "$ctrl_pid" 2>/dev/null || true
    wait "$ctrl_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "port $port is taken: stop whatever serves it first" >&2
  exit 1
fi

echo "== 1. generate ResNet18"
ctl model generate --arch resnet18 --seed 1 -o "$out/resnet18.onnx"

echo "== 2. start the controller (local runtime; nodes: this host and two capped edge devices, edge1 and edge2)"
rm -rf "$specs" "$state"
"$bin/papdlctl" controller --specs-dir "$specs" --state-dir "$state" --runtime local \
  --nodes specs/local/nodes.yaml --log-format console >"$out/controller.log" 2>&1 &
ctrl_pid=$!

echo "== 3. apply specs/local/resnet18.yaml and wait for Ready"
start=$(date +%s%N)
ctl apply -f specs/local/resnet18.yaml --specs-dir "$specs"
if ! ctl wait --for condition=Ready resnet18-demo --state-dir "$state" --timeout 10m; then
  ctl describe resnet18-demo --state-dir "$state" || true
  tail -n 30 "$out/controller.log" >&2
  exit 1
fi
end=$(date +%s%N)
echo "apply -> Ready in $(( (end - start) / 1000000 )) ms"

echo "== 4. predictions through the gateway vs the monolithic run"
for seed in 1 2 3 4 5; do
  ctl model input -m "$out/resnet18.onnx" --seed "$seed" -o "$out/in$seed.npy" >/dev/null
  ctl infer -m "$out/resnet18.onnx" -i "$out/in$seed.npy" -o "$out/mono$seed.npy" >/dev/null
  ctl predict resnet18-demo -i "$out/in$seed.npy" -o "$out/pred$seed.npy" --state-dir "$state"
  if ! cmp -s "$out/mono$seed.npy" "$out/pred$seed.npy"; then
    echo "FAIL: prediction $seed differs from the monolithic output" >&2
    exit 1
  fi
done
echo "OK: 5 of 5 predictions are bitwise equal to the monolithic output"

echo "== 5. predicted vs measured: a steady stream of requests until the controller has observed a window"
deadline=$(( $(date +%s) + 90 ))
until ctl get resnet18-demo -o json --state-dir "$state" | grep -q '"measuredLatencySeconds"'; do
  for i in 1 2 3 4 5; do
    ctl predict resnet18-demo -i "$out/in1.npy" -o "$out/pred.npy" --state-dir "$state" >/dev/null
  done
  if [ "$(date +%s)" -gt "$deadline" ]; then
    echo "(no observation window yet: the table shows predictions only)"
    break
  fi
done

echo "== 6. status and placement (COMPUTE is predicted, MEASURED is what the partitions reported)"
ctl get --state-dir "$state" -o wide
ctl describe resnet18-demo --state-dir "$state" --events 8
