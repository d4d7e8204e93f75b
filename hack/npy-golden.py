#!/usr/bin/env python3
"""Write the golden .npy files for inference/npy's tests.

Run from the repository root with Debian's numpy:

    /usr/bin/python3 hack/npy-golden.py

It (re)writes inference/npy/testdata/golden/*.npy and
inference/npy/testdata/golden.json. Each manifest entry names a file and
gives the dtype, the C-order shape and the expected values in C order:
integers and booleans as JSON numbers/booleans, floats as Python repr
strings ("1.5", "nan", "-inf", "-0.0") and float16 as their bit patterns.
"encode_exact" marks the files that papdl's encoder must reproduce byte for
byte (C order, little-endian, written by numpy.save).
"""

import io
import json
import os
import sys

import numpy as np
from numpy.lib import format as npformat

OUT_DIR = os.path.join("inference", "npy", "testdata")
GOLDEN_DIR = os.path.join(OUT_DIR, "golden")

# papdl dtype name -> numpy dtype (little-endian)
DTYPES = {
    "float16": "<f2",
    "float32": "<f4",
    "float64": "<f8",
    "int8": "|i1",
    "int16": "<i2",
    "int32": "<i4",
    "int64": "<i8",
    "uint8": "|u1",
    "uint16": "<u2",
    "uint32": "<u4",
    "uint64": "<u8",
    "bool": "|b1",
}

SHAPES = [(), (0,), (3,), (2, 3, 4), (2, 0, 3)]


def sample(dtype, shape):
    """Deterministic values of dtype with extremes and special values."""
    dt = np.dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64))
    if dt.kind == "b":
        vals = [(i * 7 + 1) % 3 == 0 for i in range(n)]
        return np.array(vals, dtype=dt).reshape(shape)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        base = [info.min, info.max, 0, 1, info.max - 1, info.min + 1]
        if dt.kind == "i":
            base += [-1, -2]
        vals = [base[i % len(base)] if i < len(base) else
                (i * 37 + 11) % int(min(info.max, 1000)) for i in range(n)]
        return np.array(vals, dtype=dt).reshape(shape)
    info = np.finfo(dt)
    base = [1.5, -0.0, np.inf, -np.inf, np.nan, float(info.max),
            float(info.tiny), -2.25]
    vals = [base[i] if i < len(base) else (i - 7.0) / 8.0 for i in range(n)]
    return np.array(vals, dtype=dt).reshape(shape)


def expected_values(arr):
    flat = np.ascontiguousarray(arr).reshape(-1)
    if arr.dtype.kind == "f" and arr.dtype.itemsize == 2:
        return [int(x) for x in flat.astype("<f2").view("<u2")]
    if arr.dtype.kind == "f":
        return [repr(float(x)) for x in flat]
    if arr.dtype.kind == "b":
        return [bool(x) for x in flat]
    return [int(x) for x in flat]


def save_bytes(arr, version=None):
    buf = io.BytesIO()
    if version is None:
        np.save(buf, arr)
    else:
        npformat.write_array(buf, arr, version=version)
    return buf.getvalue()


def main():
    if not os.path.isdir(os.path.join("inference", "tensor")):
        sys.exit("run from the repository root")
    os.makedirs(GOLDEN_DIR, exist_ok=True)
    for old in os.listdir(GOLDEN_DIR):
        if old.endswith(".npy"):
            os.remove(os.path.join(GOLDEN_DIR, old))

    entries = []

    def add(name, arr, dtype_name, version=None, exact=False, note=""):
        data = save_bytes(arr, version)
        with open(os.path.join(GOLDEN_DIR, name + ".npy"), "wb") as f:
            f.write(data)
        entries.append({
            "file": name + ".npy",
            "dtype": dtype_name,
            "shape": list(arr.shape),
            "values": expected_values(arr),
            "encode_exact": exact,
            "note": note,
        })

    # Every dtype in every shape, C order, little-endian, numpy.save (1.0).
    for name, dt in DTYPES.items():
        for shape in SHAPES:
            label = "x".join(str(d) for d in shape) if shape else "scalar"
            add(f"{name}_{label}", sample(dt, shape), name, exact=True)

    # Fortran order for every dtype.
    for name, dt in DTYPES.items():
        arr = np.asfortranarray(sample(dt, (2, 3, 4)))
        assert arr.flags.f_contiguous and not arr.flags.c_contiguous
        add(f"{name}_2x3x4_fortran", arr, name, note="fortran_order True")
    add("float32_3x1x2x5_fortran",
        np.asfortranarray(sample("<f4", (3, 1, 2, 5))), "float32",
        note="fortran_order True, rank 4 with a unit axis")

    # Big-endian for every multi-byte dtype, C and Fortran order.
    for name, dt in DTYPES.items():
        if np.dtype(dt).itemsize == 1:
            continue
        be = np.dtype(dt).newbyteorder(">")
        add(f"{name}_2x3_bigendian", sample(dt, (2, 3)).astype(be), name,
            note="big-endian")
    add("int32_2x3x4_bigendian_fortran",
        np.asfortranarray(sample("<i4", (2, 3, 4)).astype(">i4")), "int32",
        note="big-endian and fortran_order True")

    # Format versions 2.0 and 3.0 (written explicitly).
    add("float32_2x3_v2", sample("<f4", (2, 3)), "float32", version=(2, 0),
        note="format 2.0")
    add("int64_3_v3", sample("<i8", (3,)), "int64", version=(3, 0),
        note="format 3.0")
    add("bool_scalar_v3", sample("|b1", ()), "bool", version=(3, 0),
        note="format 3.0")

    # A typical model input.
    rng = np.random.default_rng(1)
    add("float32_1x3x8x8", rng.standard_normal((1, 3, 8, 8))
        .astype("<f4"), "float32", exact=True)

    with open(os.path.join(OUT_DIR, "golden.json"), "w") as f:
        # One entry per line keeps the diffs readable.
        f.write('{"numpy": %s, "files": [\n' % json.dumps(np.__version__))
        f.write(",\n".join(json.dumps(e, allow_nan=False) for e in entries))
        f.write("\n]}\n")
    total = sum(os.path.getsize(os.path.join(GOLDEN_DIR, e["file"]))
                for e in entries)
    print(f"wrote {len(entries)} files, {total} bytes of .npy")


if __name__ == "__main__":
    main()
