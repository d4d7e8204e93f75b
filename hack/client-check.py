#!/usr/bin/python3
"""Runs the original papdl client's code path against a papdl gateway.

    /usr/bin/python3 hack/client-check.py [--url http://127.0.0.1:8765]
        [--shape 1,3,224,224] [--expect 1,1000]

It calls GET /connect and GET /activate, POSTs numpy.save bytes of a
random float32 array to /input, numpy.loads the response and checks its
shape; then sends an array of the wrong shape and expects 400 with
"Input dimensions does not match the model". Exits non-zero on failure.
"""
import argparse
import io
import sys

import numpy as np

try:
    import requests
except ImportError:  # fall back to the standard library
    requests = None
    import urllib.error
    import urllib.request


def call(method, url, body=None):
    """Returns (status, body bytes)."""
    if requests is not None:
        r = requests.request(method, url, data=body, timeout=120)
        return r.status_code, r.content
    req = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def npy_bytes(a):
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def dims(s):
    return tuple(int(x) for x in s.split(",") if x)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default="http://127.0.0.1:8765")
    p.add_argument("--shape", default="1,3,224,224", help="model input shape")
    p.add_argument("--expect", default="1,1000", help="expected output shape")
    args = p.parse_args()
    url = args.url.rstrip("/")

    for path in ("/connect", "/activate"):
        code, body = call("GET", url + path)
        print(f"GET {path}: {code} {body.decode(errors='replace').strip()}")
        if code != 200:
            return fail(f"GET {path} answered {code}")

    x = np.random.default_rng(0).standard_normal(dims(args.shape)).astype(np.float32)
    code, body = call("POST", url + "/input", npy_bytes(x))
    if code != 200:
        return fail(f"POST /input answered {code}: {body[:300]!r}")
    y = np.load(io.BytesIO(body))
    print(f"POST /input: {code}, output {y.dtype} {y.shape}, argmax {int(np.argmax(y))}")
    if y.shape != dims(args.expect):
        return fail(f"output shape {y.shape}, expected {dims(args.expect)}")
    if not np.all(np.isfinite(y)):
        return fail("output has non-finite values")

    # The same input again must give the same bytes (deterministic chain).
    code, body2 = call("POST", url + "/input", npy_bytes(x))
    if code != 200 or body2 != body:
        return fail(f"repeating the request gave {code} and {'equal' if body2 == body else 'different'} bytes")

    bad = np.zeros(dims(args.shape)[:-1] + (dims(args.shape)[-1] + 1,), dtype=np.float32)
    code, body = call("POST", url + "/input", npy_bytes(bad))
    text = body.decode(errors="replace").strip()
    print(f"POST /input with shape {bad.shape}: {code} {text}")
    if code != 400 or "Input dimensions does not match the model" not in text:
        return fail("a wrongly shaped input was not refused with 400 and the original message")
    print("client check passed")
    return 0


def fail(msg):
    print("client check FAILED: " + msg, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
