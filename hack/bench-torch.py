#!/usr/bin/python3
"""Side-by-side latency of papdl's engine and PyTorch on the same ONNX models.

Usage: hack/bench-torch.py [--rounds 3] [--runs 10] [--dir DIR] [--engine BIN] [--before BIN] [ARCH ...]

For each architecture (default: all of ARCHS), the model is built with
torchvision's random initialisation (torch.manual_seed(0); no download), put in
eval mode and exported with torch.onnx.export to DIR/ARCH.onnx (kept between
runs; delete it to re-export). papdl's engine runs that file in a separate
process (hack/benchengine, built by `make bench-torch`), compiled once with the
input resident; PyTorch runs the module itself, batch 1, with
torch.set_num_threads(2) under torch.no_grad(). After one warm-up run each,
the two alternate: a round is RUNS timed runs of torch, then RUNS of papdl,
so both see the same load on a shared machine. A model's time is the median
over rounds of the per-round medians; papdl/torch is the ratio of those,
and "per-round" the median of the rounds' own ratios. The last column is
the largest absolute difference between the two outputs, divided by the
largest absolute torch output.

With --before BIN (a benchengine built from an older commit), that engine
runs in each round too, after torch, taking turns with papdl's at running
first, and the table gets its time and ratio to torch: a before/after
comparison measured in the same run.

Needs Debian's python3-torch, python3-torchvision and libopenblas0-pthread
(without OpenBLAS torch uses the reference BLAS, 5-20x slower on Gemm).
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from the environment
before torch loads.
"""

import argparse
import math
import os
import statistics
import subprocess
import sys
import time

for _v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_v, None)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torchvision  # noqa: E402


class EncoderLayer(nn.Module):
    """A BERT encoder layer: post-norm attention and a GELU feed-forward."""

    def __init__(self, d, heads, ff):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln1 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, ff)
        self.fc2 = nn.Linear(ff, d)
        self.ln2 = nn.LayerNorm(d)
        self.act = nn.GELU()

    def forward(self, x):
        b, s, d = x.shape
        h = self.heads
        q, k, v = self.qkv(x).split(d, dim=-1)
        q = q.reshape(b, s, h, d // h).transpose(1, 2)
        k = k.reshape(b, s, h, d // h).transpose(1, 2)
        v = v.reshape(b, s, h, d // h).transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // h), dim=-1)
        o = (a @ v).transpose(1, 2).reshape(b, s, d)
        x = self.ln1(x + self.proj(o))
        return self.ln2(x + self.fc2(self.act(self.fc1(x))))


class Encoder(nn.Module):
    """A small BERT-style encoder over embedded tokens [1, seq, d]."""

    def __init__(self, layers=4, d=256, heads=4, ff=1024):
        super().__init__()
        self.layers = nn.Sequential(*[EncoderLayer(d, heads, ff) for _ in range(layers)])

    def forward(self, x):
        return self.layers(x)


IMAGE = (1, 3, 224, 224)

# name: (label, constructor, input shape, opset)
ARCHS = {
    "resnet18": ("ResNet18", lambda: torchvision.models.resnet18(), IMAGE, 13),
    "vgg16": ("VGG16", lambda: torchvision.models.vgg16(), IMAGE, 13),
    "mobilenet_v2": ("MobileNetV2 (opset 11)", lambda: torchvision.models.mobilenet_v2(), IMAGE, 11),
    "googlenet": ("GoogLeNet", lambda: torchvision.models.googlenet(aux_logits=False, init_weights=True), IMAGE, 13),
    "efficientnet_b0": ("EfficientNet-B0", lambda: torchvision.models.efficientnet_b0(), IMAGE, 13),
    "resnext50_32x4d": ("ResNeXt50 32x4d", lambda: torchvision.models.resnext50_32x4d(), IMAGE, 13),
    "convnext_tiny": ("ConvNeXt-Tiny", lambda: torchvision.models.convnext_tiny(), IMAGE, 13),
    "vit_b_16": ("ViT-B/16", lambda: torchvision.models.vit_b_16(), IMAGE, 13),
    "bert": ("BERT-style encoder (4 layers, d=256, seq 64)", lambda: Encoder(), (1, 64, 256), 13),
}


def randomize_norms(model):
    """Gives BatchNorm statistics, biases and zero-initialised weights random values, so no two initializers are equal."""
    with torch.no_grad():
        for name, t in list(model.named_parameters()) + list(model.named_buffers()):
            if not t.is_floating_point():
                continue
            if name.endswith("running_var"):
                t.copy_(torch.rand_like(t) + 0.5)
            elif name.endswith("running_mean") or name.endswith("bias"):
                t.copy_(torch.randn_like(t) * 0.05)
            elif t.dim() == 1 and name.endswith("weight"):
                t.copy_(torch.rand_like(t) + 0.5)
            elif not t.any():  # zero-initialised layers (ViT's head) would hide differences
                t.copy_(torch.randn_like(t) * 0.02)


def build(arch, path):
    """Returns (module, input) and exports the module to path if it is missing."""
    _, ctor, shape, opset = ARCHS[arch]
    torch.manual_seed(0)
    model = ctor()
    randomize_norms(model)
    model.eval()
    x = torch.randn(*shape)
    if not os.path.exists(path):
        tmp = path + ".tmp"
        # With gradients enabled, nn.MultiheadAttention (ViT) takes its
        # exportable path instead of the fused _native_multi_head_attention.
        with torch.enable_grad():
            torch.onnx.export(model, x, tmp, opset_version=opset, input_names=["input"], output_names=["output"])
        os.replace(tmp, path)
    return model, x


def time_torch(model, x, runs):
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        model(x)
        out.append((time.perf_counter() - t0) * 1000)
    return out


class Engine:
    """papdl's engine in a child process (hack/benchengine)."""

    def __init__(self, binary, model, inp, outp):
        self.p = subprocess.Popen([binary, model, inp, outp], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline().strip()
        if line != "ready":
            self.p.kill()
            raise RuntimeError(f"benchengine did not start on {model}")

    def run(self, runs):
        self.p.stdin.write(f"run {runs}\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError("benchengine exited")
        return [float(v) for v in line.split()]

    def close(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.flush()
        except BrokenPipeError:
            pass
        self.p.wait()


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--dir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "papdl-bench-torch"))
    ap.add_argument("--engine", default="bin/benchengine")
    ap.add_argument("--before", help="a benchengine of an older commit, timed in the same rounds")
    ap.add_argument("archs", nargs="*")
    args = ap.parse_args(argv[1:])
    archs = args.archs or list(ARCHS)
    for a in archs:
        if a not in ARCHS:
            ap.error(f"unknown architecture {a!r} (known: {', '.join(ARCHS)})")
    os.makedirs(args.dir, exist_ok=True)
    torch.set_num_threads(2)
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads, BLAS: "
          f"{'OpenBLAS' if 'openblas' in torch.__config__.show().lower() or os.path.exists('/usr/lib/x86_64-linux-gnu/libopenblas.so.0') else 'unknown'}; "
          f"{args.rounds} rounds x {args.runs} runs; load average at start {os.getloadavg()[0]:.2f}", flush=True)
    rows = []
    with torch.no_grad():
        for arch in archs:
            label = ARCHS[arch][0]
            path = os.path.join(args.dir, arch + ".onnx")
            try:
                model, x = build(arch, path)
            except Exception as e:  # an architecture this torch cannot export
                print(f"# {label}: skipped, export failed: {e}", flush=True)
                continue
            inp = os.path.join(args.dir, arch + ".input.npy")
            outp = os.path.join(args.dir, arch + ".papdl.npy")
            np.save(inp, x.numpy())
            ref = model(x).numpy()
            engines = [Engine(args.engine, path, inp, outp)]
            try:
                got = np.load(outp)
                err = float(np.max(np.abs(got.reshape(ref.shape) - ref)) / max(np.max(np.abs(ref)), 1e-30))
                if args.before:
                    engines.append(Engine(args.before, path, inp, outp + ".before.npy"))
                time_torch(model, x, 1)
                for e in engines:
                    e.run(1)
                tt, pt, bt, ratios = [], [], [], []
                for r in range(args.rounds):
                    t = statistics.median(time_torch(model, x, args.runs))
                    # The engines take turns at running right after torch.
                    order = engines if r % 2 == 0 else engines[::-1]
                    got = {id(e): statistics.median(e.run(args.runs)) for e in order}
                    p = got[id(engines[0])]
                    tt.append(t)
                    pt.append(p)
                    ratios.append(p / t)
                    if args.before:
                        bt.append(got[id(engines[1])])
            finally:
                for e in engines:
                    e.close()
            t, p = statistics.median(tt), statistics.median(pt)
            b = statistics.median(bt) if bt else None
            rows.append((label, p, t, p / t, statistics.median(ratios), err, b))
            extra = f", before {b:.1f} ms ({b / t:.2f})" if b else ""
            print(f"# {label}: papdl {p:.1f} ms, torch {t:.1f} ms, {p / t:.2f}{extra}, rel. error {err:.1e}", flush=True)
            del model
    print(f"# load average at end {os.getloadavg()[0]:.2f}")
    print()
    gm = math.exp(sum(math.log(r[3]) for r in rows) / len(rows))
    if args.before:
        print("| model | before ms | papdl ms | torch ms | before / torch | papdl / torch | per-round | max rel. diff |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for label, p, t, r, rr, err, b in rows:
            print(f"| {label} | {b:.1f} | {p:.1f} | {t:.1f} | {b / t:.2f} | {r:.2f} | {rr:.2f} | {err:.1e} |")
        gb = math.exp(sum(math.log(r[6] / r[2]) for r in rows) / len(rows))
        print(f"| **geometric mean** | | | | **{gb:.2f}** | **{gm:.2f}** | | |")
        return 0
    print("| model | papdl ms | torch ms | papdl / torch | per-round | max rel. diff |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, p, t, r, rr, err, _ in rows:
        print(f"| {label} | {p:.1f} | {t:.1f} | {r:.2f} | {rr:.2f} | {err:.1e} |")
    print(f"| **geometric mean** | | | **{gm:.2f}** | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
