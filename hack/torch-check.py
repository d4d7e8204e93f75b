#!/usr/bin/python3
"""Cross-check papdl against PyTorch (Debian's python3-torch, not CI).

For each torchvision architecture: export it with torch.onnx.export (random
seeded weights, eval mode, opset 13), run PyTorch on a random input, run
`papdlctl infer` on the exported ONNX file and compare (max abs error and
allclose at rtol 1e-4 / atol 1e-4 scaled to the output); then slice the
model into 2..8 partitions (cuts inside residual blocks included) and check
that every partition passes onnx.checker.check_model(full_check=True) and
that the chained output is bitwise equal to papdl's monolithic output.

Usage: hack/torch-check.py [--papdlctl bin/papdlctl] [--out out/torch] [arch ...]
"""
import argparse
import filecmp
import os
import subprocess
import sys

import glob

import numpy as np
import onnx
import torch
import torchvision

ARCHS = {
    "resnet18": lambda: torchvision.models.resnet18(),
    "resnet50": lambda: torchvision.models.resnet50(),
    "mobilenetv2": lambda: torchvision.models.mobilenet_v2(),
    "squeezenet1_0": lambda: torchvision.models.squeezenet1_0(),
    "vgg16": lambda: torchvision.models.vgg16(),
}


def run(cmd):
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError("%s failed:\n%s%s" % (" ".join(cmd), res.stdout, res.stderr))
    return res.stdout


def check(arch, papdlctl, out):
    torch.manual_seed(0)
    model = ARCHS[arch]()
    # Random BatchNorm statistics and affine parameters, so that folding them
    # into the convolutions is exercised and outputs are far from zero.
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.1, 0.1)
    model = model.eval()
    x = torch.rand(1, 3, 224, 224) * 2 - 1
    path = os.path.join(out, arch + ".onnx")
    torch.onnx.export(model, x, path, opset_version=13, input_names=["input"], output_names=["output"])
    with torch.no_grad():
        ref = model(x).numpy()
    inp = os.path.join(out, arch + "-input.npy")
    np.save(inp, x.numpy())
    mono = os.path.join(out, arch + "-papdl.npy")
    run([papdlctl, "infer", "-m", path, "-i", inp, "-o", mono])
    got = np.load(mono)
    err = float(np.max(np.abs(got - ref)))
    scale = float(np.max(np.abs(ref)))
    ok = got.shape == ref.shape and np.allclose(got, ref, rtol=1e-4, atol=1e-4 * max(1.0, scale))
    print("%-14s papdl vs torch: max abs error %.3g (output scale %.3g) %s" % (arch, err, scale, "OK" if ok else "FAIL"))
    failures = 0 if ok else 1
    for parts in (2, 3, 5, 8):
        pdir = os.path.join(out, "%s-parts%d" % (arch, parts))
        run([papdlctl, "slice", path, "-o", pdir, "--parts", str(parts)])
        for f in sorted(glob.glob(os.path.join(pdir, "part-*.onnx"))):
            onnx.checker.check_model(onnx.load(f), full_check=True)  # raises on an invalid partition
        chained = os.path.join(out, "%s-chained%d.npy" % (arch, parts))
        run([papdlctl, "infer", "-m", pdir, "-i", inp, "-o", chained])
        same = filecmp.cmp(mono, chained, shallow=False)
        print("%-14s %d partitions chained vs monolithic: %s" % (arch, parts, "bitwise equal" if same else "DIFFERENT"))
        failures += 0 if same else 1
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--papdlctl", default="bin/papdlctl")
    ap.add_argument("--out", default="out/torch")
    ap.add_argument("archs", nargs="*", default=list(ARCHS))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    failures = 0
    for arch in args.archs:
        try:
            failures += check(arch, args.papdlctl, args.out)
        except Exception as e:  # report and go on with the next model
            print("%-14s ERROR: %s" % (arch, e))
            failures += 1
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
