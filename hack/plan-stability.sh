#!/usr/bin/env bash
# Plan stability (docs/planner.md): benchmarks the same cluster N times
# (PAPDL_STABILITY_RUNS, default 5) and plans every profile afresh, as the
# controller would after each re-benchmark without hysteresis, then counts
# the runs that chose the most common layout. The cluster and the request
# are make demo's: ResNet-18 on the simulated edge devices of
# specs/local/nodes.yaml, requests arriving on edge1, the host avoided,
# 32 MiB kept free per device, 10 measured runs after 2 warm-up runs.
# Run as root, so that the devices' CPU caps are real (cgroups).
#
# PAPDL_STABILITY_RUNTIME=swarm does the same on the Swarm test bed
# (hack/swarm-up.sh 3): the three workers are benchmarked, requests arrive
# on node1.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
out=$PWD/out/stability
runs=${PAPDL_STABILITY_RUNS:-5}
nodes=${PAPDL_STABILITY_NODES:-specs/local/nodes.yaml}
case "${PAPDL_STABILITY_RUNTIME:-local}" in
local)
  bench=(--nodes "$nodes")
  plan=(edge1 150528 --avoid 0:31=local)
  ;;
swarm)
  bench=(--runtime swarm --artifact-listen 10.99.0.1:18878 --node node1 --node node2 --node node3)
  plan=(node1 150528)
  ;;
*)
  echo "PAPDL_STABILITY_RUNTIME must be local or swarm" >&2
  exit 2
  ;;
esac
make -s build
mkdir -p "$out"
[ -f "$out/resnet18.onnx" ] || bin/papdlctl model generate --arch resnet18 --seed 1 -o "$out/resnet18.onnx" >/dev/null
: >"$out/layouts.txt"
for i in $(seq "$runs"); do
  rm -rf "$out/state"
  bin/papdlctl benchmark "$out/resnet18.onnx" -o "$out/profile-$i.json" "${bench[@]}" \
    --state-dir "$out/state" --warmup 2 -r 10 >/dev/null 2>"$out/benchmark-$i.log"
  read -r layout latency < <(bin/papdlctl configure "$out/profile-$i.json" "${plan[@]}" \
    --headroom 32Mi -o jsonpath='{range .partitions[*]}{.start}-{.end}@{.hostname},{end} {.totals.latencySeconds}') || [ -n "$layout" ]
  printf 'run %d: %s (predicted %s s)\n' "$i" "$layout" "$latency"
  echo "$layout" >>"$out/layouts.txt"
done
same=$(sort "$out/layouts.txt" | uniq -c | sort -rn | head -1 | awk '{print $1}')
echo "the most common layout in $same of $runs runs"
