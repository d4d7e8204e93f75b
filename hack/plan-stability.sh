#!/usr/bin/env bash
# Plan stability (docs/planner.md): benchmarks the same cluster N times
# (PAPDL_STABILITY_RUNS, default 5) and plans every profile afresh, as the
# controller would after each re-benchmark without hysteresis, then counts
# the runs that chose the most common layout. The cluster and the request
# are make demo's: ResNet-18 on the simulated edge devices of
# specs/local/nodes.yaml, requests arriving on edge1, the host avoided,
# 32 MiB kept free per device, 10 measured runs after 2 warm-up runs.
# Run as root, so that the devices' CPU caps are real (cgroups).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
out=$PWD/out/stability
runs=${PAPDL_STABILITY_RUNS:-5}
nodes=${PAPDL_STABILITY_NODES:-specs/local/nodes.yaml}
make -s build
mkdir -p "$out"
[ -f "$out/resnet18.onnx" ] || bin/papdlctl model generate --arch resnet18 --seed 1 -o "$out/resnet18.onnx" >/dev/null
: >"$out/layouts.txt"
for i in $(seq "$runs"); do
  rm -rf "$out/state"
  bin/papdlctl benchmark "$out/resnet18.onnx" -o "$out/profile-$i.json" --nodes "$nodes" \
    --state-dir "$out/state" --warmup 2 -r 10 >/dev/null 2>"$out/benchmark-$i.log"
  read -r layout latency < <(bin/papdlctl configure "$out/profile-$i.json" edge1 150528 --avoid 0:31=local \
    --headroom 32Mi -o jsonpath='{range .partitions[*]}{.start}-{.end}@{.hostname},{end} {.totals.latencySeconds}')
  printf 'run %d: %s (predicted %s s)\n' "$i" "$layout" "$latency"
  echo "$layout" >>"$out/layouts.txt"
done
same=$(sort "$out/layouts.txt" | uniq -c | sort -rn | head -1 | awk '{print $1}')
echo "the most common layout in $same of $runs runs"
