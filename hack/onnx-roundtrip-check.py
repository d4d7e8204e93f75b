#!/usr/bin/env python3
"""Check ONNX files with the reference checker, for papdl's ONNX encoder.

Run with Debian's python3-onnx:

    go run ./inference/onnx/internal/reencode -o /tmp/reenc MODEL.onnx...
    /usr/bin/python3 hack/onnx-roundtrip-check.py /tmp/reenc/*.onnx

For every path it loads the model with onnx.load and runs
onnx.checker.check_model(model, full_check=True) (structure plus shape
inference), then prints "OK path" or "FAIL path: reason". It exits 1 when
any file fails, 2 on bad usage.
"""

import sys

import onnx
import onnx.checker


def check(path):
    """Return None when path passes the checker, else the reason."""
    try:
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:  # the checker raises several exception types
        reason = str(e).strip().replace("\n", " | ")
        return "%s: %s" % (type(e).__name__, reason)
    return None


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    failed = 0
    for path in argv[1:]:
        reason = check(path)
        if reason is None:
            print("OK %s" % path)
        else:
            failed += 1
            print("FAIL %s: %s" % (path, reason))
    print("%d checked, %d failed" % (len(argv) - 1, failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
