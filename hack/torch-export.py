#!/usr/bin/python3
"""Export torchvision reference models to ONNX, the way papdl's zoo mimics.

Usage: hack/torch-export.py OUTDIR [ARCH ...]

Each architecture is built, every floating-point parameter and buffer is
overwritten with distinct random values (torch.manual_seed(0); BatchNorm
running variances positive), so that, as with trained weights and as in the
zoo, no two initializers are equal (torch's exporter otherwise merges equal
initializers, such as torchvision's zero-initialized biases, and adds Identity
nodes for them). The model is then put in eval mode and exported with torch.onnx.export(opset_version=13,
input_names=["input"], output_names=["output"]) with the exporter's defaults
otherwise (constant folding on, so BatchNorm is folded into Conv). The files
are OUTDIR/ARCH.onnx. hack/zoo-compare.py compares them with the models that
inference/zoo generates.

Needs Debian's python3-torch and python3-torchvision (torch 1.13, torchvision
0.14); no network access: no pretrained weights are downloaded.
"""

import os
import sys

import torch
import torch.nn as nn
import torchvision


class MNISTNet(nn.Module):
    """The small MNIST CNN of inference/zoo (arch "mnist")."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, kernel_size=5, padding=2)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 16, kernel_size=5, padding=2)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        x = torch.flatten(x, 1)
        return self.fc(x)


def build(arch):
    """Returns (module, input shape) for an architecture name."""
    if arch == "mnist":
        return MNISTNet(), (1, 1, 28, 28)
    ctor = getattr(torchvision.models, arch)
    return ctor(weights=None), (1, 3, 224, 224)


ARCHS = ["mnist", "vgg16", "resnet18", "resnet50", "mobilenet_v2", "squeezenet1_0"]


def randomize(model):
    """Overwrites every float parameter and buffer with distinct random values."""
    with torch.no_grad():
        for name, t in list(model.named_parameters()) + list(model.named_buffers()):
            if not t.is_floating_point():
                continue
            if name.endswith("running_var"):
                t.copy_(torch.rand_like(t) + 0.5)
            else:
                t.copy_(torch.randn_like(t) * 0.05)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = argv[1]
    archs = argv[2:] or ARCHS
    os.makedirs(out, exist_ok=True)
    for arch in archs:
        torch.manual_seed(0)
        model, shape = build(arch)
        randomize(model)
        model.eval()
        x = torch.randn(*shape)
        name = "mobilenetv2" if arch == "mobilenet_v2" else arch
        path = os.path.join(out, name + ".onnx")
        with torch.no_grad():
            torch.onnx.export(
                model,
                x,
                path,
                opset_version=13,
                input_names=["input"],
                output_names=["output"],
            )
        nparams = sum(p.numel() for p in model.parameters())
        print(f"{name}: {path} ({os.path.getsize(path)} bytes, {nparams} torch parameters)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
