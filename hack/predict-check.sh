#!/usr/bin/env bash
# Predicted vs measured latency of deployed plans on the local runtime
# (docs/planner.md, "Predictions against measurements"). For each spec
# (default: hack/predict/*.yaml, ResNet-18 and VGG-16, the plan papdl
# chooses and a forced three-way split, on the simulated devices of
# hack/predict/nodes.yaml): start a controller, apply the spec, wait for
# Ready, send requests one after another for PAPDL_PREDICT_SECONDS (45),
# and print the planner's predictions next to what the gateway measured
# over the last observation window, per partition and in total.
# Run as root, so that the devices' CPU caps are real (cgroups).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
out=$PWD/out/predict
seconds=${PAPDL_PREDICT_SECONDS:-45}
make -s build
ctl() { bin/papdlctl "$@"; }
mkdir -p "$out"
for arch in resnet18 vgg16; do
  [ -f "$out/$arch.onnx" ] || ctl model generate --arch "$arch" --seed 1 -o "$out/$arch.onnx" >/dev/null
  [ -f "$out/$arch-in.npy" ] || ctl model input -m "$out/$arch.onnx" --seed 1 -o "$out/$arch-in.npy" >/dev/null
done
if [ "$(id -u)" != 0 ]; then
  echo "warning: not root: the simulated devices run uncapped and the predictions are not comparable" >&2
fi

specs=("$@")
[ ${#specs[@]} -gt 0 ] || specs=(hack/predict/resnet18.yaml hack/predict/resnet18-split3.yaml hack/predict/vgg16.yaml hack/predict/vgg16-split3.yaml)
ctrl_pid=
cleanup() {
  if [ -n "$ctrl_pid" ]; then
    kill "$ctrl_pid" 2>/dev/null || true
    wait "$ctrl_pid" 2>/dev/null || true
    ctrl_pid=
  fi
  [ ! -d "$out/state" ] || ctl clean --state-dir "$out/state" --runtime local --nodes hack/predict/nodes.yaml >/dev/null 2>&1 || true
}
trap cleanup EXIT

for spec in "${specs[@]}"; do
  name=$(sed -n 's/^  name: //p' "$spec" | head -1)
  arch=resnet18
  case "$spec" in *vgg16*) arch=vgg16 ;; esac
  port=$(sed -n 's/^    port: //p' "$spec" | head -1)
  if [ -n "$port" ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "$name: port $port (spec.gateway.port in $spec) is taken by another process" >&2
    exit 1
  fi
  cleanup
  rm -rf "$out/state" "$out/specs"
  mkdir -p "$out/specs"
  # The binary itself in the background (not the ctl function: $! must be
  # the controller's pid, or cleanup leaves it running).
  bin/papdlctl controller --specs-dir "$out/specs" --state-dir "$out/state" --runtime local \
    --nodes hack/predict/nodes.yaml --log-format console >"$out/controller-$name.log" 2>&1 &
  ctrl_pid=$!
  ctl apply -f "$spec" --specs-dir "$out/specs" >/dev/null
  if ! ctl wait --for condition=Ready "$name" --state-dir "$out/state" --timeout 15m >/dev/null; then
    echo "$name: not Ready" >&2
    ctl describe "$name" --state-dir "$out/state" >&2 || true
    exit 1
  fi
  end=$(( $(date +%s) + seconds ))
  while [ "$(date +%s)" -lt "$end" ]; do
    ctl predict "$name" -i "$out/$arch-in.npy" -o "$out/pred.npy" --state-dir "$out/state" >/dev/null
  done
  # One more observation window after the load (the controller looks every 15 s).
  sleep 16
  ctl get "$name" -o json --state-dir "$out/state" >"$out/$name.json"
  python3 - "$out/$name.json" <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))["status"]["placement"]
def ms(v):
    return "-" if v is None else "%.1f" % (1e3 * v)
print("%s" % json.load(open(sys.argv[1]))["metadata"]["name"])
for p in st["partitions"]:
    pr, me = p.get("predictedComputeSeconds"), p.get("measuredComputeSeconds")
    ratio = "-" if not pr or me is None else "%.2f" % (me / pr)
    print("  partition %d  units %d-%d on %-6s predicted %8s ms  measured %8s ms  ratio %s" % (
        p["index"], p["units"]["start"], p["units"]["end"] - 1, p["hostname"], ms(pr), ms(me), ratio))
pr, me = st.get("predictedLatencySeconds"), st.get("measuredLatencySeconds")
ratio = "-" if not pr or me is None else "%.2f" % (me / pr)
print("  latency                            predicted %8s ms  measured %8s ms  ratio %s  (%s requests)" % (
    ms(pr), ms(me), ratio, st.get("measuredRequests", 0)))
PY
done
