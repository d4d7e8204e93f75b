#!/usr/bin/env python3
"""Load a Ready DistributedModel and report predicted vs measured times.

Usage: predict-measure.py NAME STATE_DIR INPUT.npy SECONDS

Sends INPUT.npy to the model's gateway (POST /input, one request at a time,
from this one light process) for SECONDS, and reads the model's status
(`bin/papdlctl get NAME -o json`) every 5 s. The controller fills the
status's measured values once per observation window (15 s) from the
gateway's per-stage metrics; this script keeps every distinct window
observed under the plan it started with (a window after the controller
re-benchmarked or re-placed the model is not counted, since its
prediction is another one) and prints, per partition and for the whole
request, the prediction, the median of the windows' measurements and their
ratio. Used by hack/predict-check.sh.
"""
import json
import statistics
import subprocess
import sys
import time
import urllib.request

# The largest answer read from the gateway (the models' outputs are a few KB).
MAX_OUTPUT_BYTES = 64 << 20


def status(name, state_dir):
    out = subprocess.run(["bin/papdlctl", "get", name, "-o", "json", "--state-dir", state_dir],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["status"]


def plan_key(pl):
    """What identifies the plan a window measures: its partitions and predictions."""
    return json.dumps([(p["units"], p["hostname"], p.get("predictedComputeSeconds")) for p in pl["partitions"]]
                      + [pl.get("predictedLatencySeconds")])


def ms(v):
    return "-" if v is None else "%.1f" % (1e3 * v)


def ratio(measured, predicted):
    return "-" if not predicted or measured is None else "%.2f" % (measured / predicted)


def main():
    name, state_dir, input_path, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    body = open(input_path, "rb").read()
    st = status(name, state_dir)
    first = st.get("placement")
    if not first or not st.get("endpoint"):
        print("%s: the status has no placement or endpoint; is the model Ready?" % name, file=sys.stderr)
        return 1
    key = plan_key(first)
    endpoint = st["endpoint"]
    windows, seen = [], set()
    end = time.monotonic() + seconds
    next_look = time.monotonic() + 5
    requests = 0
    replanned = False
    while True:
        now = time.monotonic()
        if now >= next_look or now >= end:
            next_look = now + 5
            st = status(name, state_dir)
            pl = st.get("placement")
            busy = any(c["type"] == "Reconciling" and c["status"] == "True" for c in st.get("conditions", []))
            if pl is None or plan_key(pl) != key or busy:
                replanned = True  # the controller acted (on the prediction check): stop counting
                break
            w = (pl.get("measuredRequests"), pl.get("measuredLatencySeconds"))
            if w[1] is not None and w not in seen:
                seen.add(w)
                windows.append(pl)
            if now >= end:
                break
        req = urllib.request.Request(endpoint + "/input", data=body, method="POST",
                                     headers={"Content-Type": "application/octet-stream"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            if len(resp.read(MAX_OUTPUT_BYTES + 1)) > MAX_OUTPUT_BYTES:
                raise SystemExit("%s: the gateway answered more than %d bytes" % (name, MAX_OUTPUT_BYTES))
        requests += 1

    print(name)
    if not windows:
        print("  no observation window with measurements (%d requests%s)" % (
            requests, "; the controller re-planned first" if replanned else ""))
        return 1
    for i, p in enumerate(first["partitions"]):
        vals = [w["partitions"][i].get("measuredComputeSeconds") for w in windows]
        vals = [v for v in vals if v is not None]
        m = statistics.median(vals) if vals else None
        pr = p.get("predictedComputeSeconds")
        print("  partition %d  units %d-%d on %-6s predicted %8s ms  measured %8s ms  ratio %s" % (
            i, p["units"]["start"], p["units"]["end"] - 1, p["hostname"], ms(pr), ms(m), ratio(m, pr)))
    lat = statistics.median(w["measuredLatencySeconds"] for w in windows)
    pr = first.get("predictedLatencySeconds")
    print("  latency                            predicted %8s ms  measured %8s ms  ratio %s  "
          "(median of %d windows, %d requests%s)" % (ms(pr), ms(lat), ratio(lat, pr), len(windows), requests,
                                                     "; stopped: the controller re-planned" if replanned else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
