#!/usr/bin/env python3
"""Check papdl against PyTorch on models beyond the CNN zoo (not run by CI).

Needs torch, torchvision and numpy, and a papdlctl binary:

    go build -o /tmp/papdlctl ./cmd/papdlctl
    python3 hack/torch-coverage.py --papdlctl /tmp/papdlctl --work /tmp/torchcov

For every model below it exports an ONNX file with torch.onnx.export, runs
the model in torch on a seeded input, runs the ONNX file with
`papdlctl infer`, and compares: fp32 models within 1e-4 (max abs error
relative to the largest output), the others within their precision. It
then slices the model into 3 partitions with `papdlctl slice --parts 3`,
runs the chain with `papdlctl infer -m DIR` and requires the chained output
to equal papdl's monolithic output bit for bit. It prints one line per model
and exits 1 if any check fails.

Models: Swin-T (ScatterND in its shifted windows at some torch versions),
a ViT-B/16 exported at opset 17 (LayerNormalization), an LSTM and a GRU
keyword spotter, a QDQ-quantized CNN (QuantizeLinear/DequantizeLinear) and
an fp16 ResNet18.
"""

import argparse
import os
import subprocess
import sys

import numpy as np
import torch
import torchvision


class KWS(torch.nn.Module):
    """A recurrent keyword spotter over 49 frames of 40 MFCCs."""

    def __init__(self, cell):
        super().__init__()
        self.rnn = cell(40, 64, batch_first=True, bidirectional=True)
        self.fc = torch.nn.Linear(128, 12)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y[:, -1])


class QDQNet(torch.nn.Module):
    """A small CNN whose activations and weights go through fake
    quantization, which torch exports as QuantizeLinear/DequantizeLinear."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 16, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.fc = torch.nn.Linear(32, 10)

    def q(self, x):
        return torch.fake_quantize_per_tensor_affine(x, 0.05, 128, 0, 255)

    def forward(self, x):
        x = self.q(torch.relu(self.conv1(self.q(x))))
        x = self.q(torch.relu(self.conv2(x)))
        return self.fc(x.mean(dim=(2, 3)))


def models():
    """(name, module, input, opset, dtype, tolerance)."""
    torch.manual_seed(0)
    img = torch.randn(1, 3, 224, 224)
    return [
        ("swin_t", torchvision.models.swin_t().eval(), img, 17, np.float32, 1e-4),
        ("vit_b_16_opset17", torchvision.models.vit_b_16().eval(), img, 17, np.float32, 1e-4),
        ("lstm_kws", KWS(torch.nn.LSTM).eval(), torch.randn(1, 49, 40), 14, np.float32, 1e-4),
        ("gru_kws", KWS(torch.nn.GRU).eval(), torch.randn(1, 49, 40), 14, np.float32, 1e-4),
        ("qdq_cnn", QDQNet().eval(), torch.randn(1, 3, 32, 32), 13, np.float32, 1e-3),
        ("resnet18_fp16", torchvision.models.resnet18().eval().half(), img.half(), 13, np.float16, 2e-2),
    ]


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), p.stderr.strip()))
    return p.stdout


def check(papdlctl, work, name, module, x, opset, dtype, tol):
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "model.onnx")
    torch.onnx.export(module, (x,), path, opset_version=opset,
                      input_names=["input"], output_names=["output"])
    with torch.no_grad():
        want = module(x).float().numpy()
    xin = os.path.join(d, "input.npy")
    np.save(xin, x.numpy().astype(dtype))
    mono = os.path.join(d, "papdl.npy")
    run([papdlctl, "infer", "-m", path, "-i", xin, "-o", mono])
    got = np.load(mono)
    err = float(np.max(np.abs(got.astype(np.float64) - want)) / max(1e-12, float(np.max(np.abs(want)))))
    if err > tol:
        return "FAIL %s: relative error %.3g > %g" % (name, err, tol)
    parts = os.path.join(d, "parts")
    run([papdlctl, "slice", path, "-o", parts, "--parts", "3"])
    chained = os.path.join(d, "chained.npy")
    run([papdlctl, "infer", "-m", parts, "-i", xin, "-o", chained])
    if np.load(chained).tobytes() != got.tobytes():
        return "FAIL %s: the chained partitions differ from the monolithic output" % name
    return "OK %s: relative error %.3g, 3 partitions chain bitwise" % (name, err)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papdlctl", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    failed = False
    for name, module, x, opset, dtype, tol in models():
        try:
            line = check(args.papdlctl, args.work, name, module, x, opset, dtype, tol)
        except Exception as e:  # export and run errors: report and go on
            line = "FAIL %s: %s" % (name, e)
        print(line, flush=True)
        failed = failed or line.startswith("FAIL")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
