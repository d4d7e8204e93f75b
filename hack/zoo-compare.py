#!/usr/bin/python3
"""Compare papdl zoo models with real torch.onnx.export output.

Usage:
  hack/zoo-compare.py GENERATED REFERENCE
  hack/zoo-compare.py GENDIR REFDIR

GENERATED and REFERENCE are .onnx files or the structural .json dumps that
`ZOO_DUMP_DIR=DIR go test -run TestDump ./inference/zoo/` writes. With two
directories, every ARCH.onnx or ARCH.json of GENDIR is compared with
REFDIR/ARCH.onnx (as written by hack/torch-export.py).

Compared: the model header (IR version, producer, opset imports, graph name),
graph inputs, outputs and value_info with their shapes, every node in order
(name, op type, domain, inputs, outputs, attributes with their types, values
and order) and every initializer in order (name, element type, shape).
Initializer values are not compared: the weights are random on both sides.
Prints one line per difference and a summary; exits 1 when anything differs.

Needs python3-onnx (Debian's).
"""

import json
import math
import os
import sys

ATTR_TYPES = {1: "FLOAT", 2: "INT", 3: "STRING", 4: "TENSOR", 6: "FLOATS", 7: "INTS", 8: "STRINGS"}


def load_onnx(path):
    """Reads an .onnx file into the dump's dictionary form."""
    import onnx
    from onnx import numpy_helper

    m = onnx.load(path, load_external_data=False)
    g = m.graph

    def values(vis):
        out = []
        for v in vis:
            t = v.type.tensor_type
            out.append({"name": v.name, "elem_type": t.elem_type, "shape": [d.dim_value for d in t.shape.dim]})
        return out

    def attr(a):
        kind = ATTR_TYPES.get(a.type, str(a.type))
        if kind == "FLOAT":
            value = a.f
        elif kind == "INT":
            value = a.i
        elif kind == "INTS":
            value = list(a.ints)
        elif kind == "FLOATS":
            value = list(a.floats)
        elif kind == "STRING":
            value = a.s.decode()
        elif kind == "TENSOR":
            arr = numpy_helper.to_array(a.t)
            value = {"elem_type": a.t.data_type, "shape": list(a.t.dims), "values": arr.flatten().tolist()}
        else:
            value = None
        return {"name": a.name, "type": kind, "value": value}

    return {
        "ir_version": m.ir_version,
        "producer_name": m.producer_name,
        "producer_version": m.producer_version,
        "domain": m.domain,
        "model_version": m.model_version,
        "doc_string": m.doc_string,
        "opsets": [[o.domain, o.version] for o in m.opset_import],
        "graph_name": g.name,
        "inputs": values(g.input),
        "outputs": values(g.output),
        "value_info": values(g.value_info),
        "nodes": [
            {
                "name": n.name,
                "op_type": n.op_type,
                "domain": n.domain,
                "inputs": list(n.input),
                "outputs": list(n.output),
                "attrs": [attr(a) for a in n.attribute],
            }
            for n in g.node
        ],
        "initializers": [{"name": t.name, "elem_type": t.data_type, "shape": list(t.dims)} for t in g.initializer],
    }


def load(path):
    if path.endswith(".json"):
        with open(path) as f:
            d = json.load(f)
        for key in ("inputs", "outputs", "value_info", "nodes", "initializers"):
            d[key] = d.get(key) or []
        for n in d["nodes"]:
            for a in n["attrs"]:
                if a["type"] == "TENSOR":
                    a["value"]["shape"] = a["value"]["shape"] or []
                    vals = a["value"]["values"]
                    a["value"]["values"] = vals if isinstance(vals, list) else [vals]
        return d
    return load_onnx(path)


def same(a, b):
    """Equality with a float tolerance, recursively."""
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-7)
        except (TypeError, ValueError):
            return False
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def compare(gen, ref):
    """Returns (differences, number of checked items)."""
    diffs = []
    checked = 0
    for key in ("ir_version", "producer_name", "producer_version", "domain", "model_version", "doc_string", "opsets", "graph_name"):
        checked += 1
        if not same(gen[key], ref[key]):
            diffs.append(f"{key}: generated {gen[key]!r}, reference {ref[key]!r}")
    for key in ("inputs", "outputs", "value_info"):
        checked += 1
        if not same(gen[key], ref[key]):
            diffs.append(f"{key}: generated {gen[key]}, reference {ref[key]}")
    gn, rn = gen["nodes"], ref["nodes"]
    if len(gn) != len(rn):
        diffs.append(f"nodes: generated {len(gn)}, reference {len(rn)}")
    for i, (a, b) in enumerate(zip(gn, rn)):
        for key in ("name", "op_type", "domain", "inputs", "outputs"):
            checked += 1
            if not same(a[key], b[key]):
                diffs.append(f"node {i} ({b['name']}) {key}: generated {a[key]}, reference {b[key]}")
        checked += 1
        if not same(a["attrs"], b["attrs"]):
            diffs.append(f"node {i} ({b['name']}) attrs: generated {a['attrs']}, reference {b['attrs']}")
    gi, ri = gen["initializers"], ref["initializers"]
    if len(gi) != len(ri):
        diffs.append(f"initializers: generated {len(gi)}, reference {len(ri)}")
    for i, (a, b) in enumerate(zip(gi, ri)):
        checked += 1
        if not same(a, b):
            diffs.append(f"initializer {i}: generated {a}, reference {b}")
    return diffs, checked


def pairs(gen, ref):
    if not os.path.isdir(gen):
        return [(os.path.basename(gen).rsplit(".", 1)[0], gen, ref)]
    out = []
    for name in sorted(os.listdir(gen)):
        arch, ext = os.path.splitext(name)
        if ext not in (".onnx", ".json"):
            continue
        r = os.path.join(ref, arch + ".onnx")
        if not os.path.exists(r):
            print(f"{arch}: no reference {r}")
            continue
        out.append((arch, os.path.join(gen, name), r))
    return out


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    failed = False
    for arch, g, r in pairs(argv[1], argv[2]):
        diffs, checked = compare(load(g), load(r))
        for d in diffs[:40]:
            print(f"{arch}: {d}")
        if len(diffs) > 40:
            print(f"{arch}: ... {len(diffs) - 40} more")
        status = "MATCH" if not diffs else f"{len(diffs)} differences"
        print(f"{arch}: {status} ({checked} items checked)")
        failed = failed or bool(diffs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
