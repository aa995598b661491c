#!/usr/bin/env python3
"""Reference numbers for NetBlocks' model analysis (src/NetBlocks.Models/Analysis), computed in PyTorch.

Usage:
    /usr/bin/python3 tools/make_analysis_fixtures.py            # (re)write every fixture
    /usr/bin/python3 tools/make_analysis_fixtures.py nin vgg11  # only these
    /usr/bin/python3 tools/make_analysis_fixtures.py --list

Writes tests/NetBlocks.Tests/Fixtures/analysis/<case>.json: one JSON object per model with the input
(N, C, H, W), the totals and one entry per module in `named_modules()` order:

    {"name": "0.0", "type": "Conv2d", "input": [1, 1, 224, 224], "output": [1, 64, 224, 224],
     "own_params": 640, "params": 640, "macs": 28901376}

Shapes come from forward hooks on a real forward pass (so they are PyTorch's, not a formula's).
`macs` of a module is the sum over the Conv2d and Linear modules below it (itself included) of
    conv:   N · OC · OH · OW · (C / groups) · KH · KW      (shapes from the hook)
    linear: N · in_features · out_features
bias excluded. As an independent check, `profiler_flops` is PyTorch's own FLOP count of the
forward's aten::conv2d and aten::addmm events (torch.profiler with_flops=True: 2 per multiply-add),
which must equal 2 · macs.

Models are the d2l definitions from the seeds (chapters 8.1, 8.2, 8.3, 8.8), with LazyConv2d /
LazyLinear materialised by a dry run, and torchvision's RegNetX/Y-400MF (10 classes). The JSON is
deterministic (no weights are stored).
"""

import json
import os
import sys
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

warnings.filterwarnings("ignore", message="Lazy modules are a new feature")

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
OUT = os.path.join(REPO, "tests", "NetBlocks.Tests", "Fixtures", "analysis")


# ----------------------------------------------------------------------------- d2l models

# The seeds' networks, shared with the other fixture scripts.
from d2l_models import (ResNeXtBlock, d2l_alexnet as alexnet, d2l_anynet as anynet,  # noqa: E402,F401
                        d2l_nin as nin, d2l_vgg as vgg, nin_block, vgg_block)


def regnetx32(num_classes=10):
    stem_channels, groups, bot_mul = 32, 16, 1
    depths, channels = (4, 6), (32, 80)
    return anynet(((depths[0], channels[0], groups, bot_mul),
                   (depths[1], channels[1], groups, bot_mul)), stem_channels, num_classes)


VGG11 = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))

CASES = {
    "vgg11_224": (lambda: vgg(VGG11), (1, 1, 224, 224), "vgg11"),
    "vgg11_div4_224": (lambda: vgg(tuple((n, c // 4) for n, c in VGG11)), (1, 1, 224, 224), "vgg11/4"),
    "nin_224": (nin, (1, 1, 224, 224), "nin"),
    "alexnet_224": (alexnet, (1, 1, 224, 224), "alexnet"),
    "regnetx32_96": (regnetx32, (1, 1, 96, 96), "regnetx32"),
    # torchvision's layout (ResBottleneckBlock with proj / f / activation, squeeze-excitation in RegNetY)
    "regnet_x_400mf_224": (lambda: _torchvision("regnet_x_400mf"), (1, 3, 224, 224), "regnet_x_400mf"),
    "regnet_y_400mf_224": (lambda: _torchvision("regnet_y_400mf"), (1, 3, 224, 224), "regnet_y_400mf"),
}


def _torchvision(name, num_classes=10):
    import torchvision
    return getattr(torchvision.models, name)(num_classes=num_classes)


# ----------------------------------------------------------------------------- analysis

def macs_of(module, inp, out):
    if isinstance(module, nn.Conv2d):
        n, c = inp.shape[0], inp.shape[1]
        _, oc, oh, ow = out.shape
        kh, kw = module.kernel_size
        return n * oc * oh * ow * (c // module.groups) * kh * kw
    if isinstance(module, nn.Linear):
        return inp.shape[0] * module.in_features * module.out_features
    return 0


def analyse(case):
    build, shape, model_name = CASES[case]
    torch.manual_seed(0)
    net = build()
    net.eval()
    with torch.no_grad():
        net(torch.zeros(shape))  # materialise the lazy layers

    records = {}
    hooks = []
    for name, m in net.named_modules():
        def hook(mod, args, out, name=name):
            records[name] = (list(args[0].shape), list(out.shape), macs_of(mod, args[0], out))
        hooks.append(m.register_forward_hook(hook))
    x = torch.randn(shape)
    with torch.no_grad(), torch.profiler.profile(with_flops=True) as prof:
        net(x)
    for h in hooks:
        h.remove()
    # conv2d and addmm only: the profiler also counts 1 FLOP per element of aten::add (residual sums)
    profiler_flops = sum(e.flops for e in prof.key_averages() if e.flops and e.key in ("aten::conv2d", "aten::addmm"))

    modules = []
    names = [n for n, _ in net.named_modules()]
    for name, m in net.named_modules():
        if name == "":
            continue
        inp, out, _ = records[name]
        prefix = name + "."
        below = [n for n in names if n == name or n.startswith(prefix)]
        modules.append({
            "name": name,
            "type": type(m).__name__,
            "input": inp,
            "output": out,
            "own_params": sum(p.numel() for p in m.parameters(recurse=False)),
            "params": sum(p.numel() for p in m.parameters()),
            "macs": sum(records[n][2] for n in below if n in records),
        })
    total_macs = sum(r[2] for r in records.values() if r is not None) - records[""][2]
    conv_params = sum(p.numel() for m in net.modules() if isinstance(m, nn.Conv2d) for p in m.parameters())
    fc_params = sum(p.numel() for m in net.modules() if isinstance(m, nn.Linear) for p in m.parameters())
    conv_macs = sum(records[n][2] for n, m in net.named_modules() if isinstance(m, nn.Conv2d))
    fc_macs = sum(records[n][2] for n, m in net.named_modules() if isinstance(m, nn.Linear))
    acts = sum(_numel(records[n][1]) for n, m in net.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear)))
    assert profiler_flops == 2 * total_macs, (case, profiler_flops, total_macs)
    return {
        "case": case,
        "model": model_name,
        "generator": "tools/make_analysis_fixtures.py",
        "torch": torch.__version__,
        "input": list(shape),
        "output": records[""][1],
        "params": sum(p.numel() for p in net.parameters()),
        "buffers": sum(b.numel() for b in net.buffers()),
        "conv_params": conv_params,
        "fc_params": fc_params,
        "macs": total_macs,
        "conv_macs": conv_macs,
        "fc_macs": fc_macs,
        "profiler_flops": profiler_flops,
        "activations": acts,
        "modules": modules,
    }


def _numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def main(argv):
    if "--list" in argv:
        print("\n".join(CASES))
        return
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    for case in argv or CASES:
        data = analyse(case)
        path = os.path.join(OUT, case + ".json")
        with open(path, "w", encoding="utf-8") as f:
            # one module per line: small diffs, still valid JSON
            head = {k: v for k, v in data.items() if k != "modules"}
            text = json.dumps(head, separators=(", ", ": "))[:-1]
            text += ', "modules": [\n' + ",\n".join(json.dumps(m, separators=(", ", ": ")) for m in data["modules"]) + "\n]}\n"
            f.write(text)
        json.load(open(path, encoding="utf-8"))
        print(f"{case}: params {data['params']:,} macs {data['macs']:,} -> {os.path.relpath(path, REPO)}")


if __name__ == "__main__":
    main(sys.argv[1:])
