#!/usr/bin/env python3
"""Load any safetensors file with pure Python + torch and print what it holds.

Usage: /usr/bin/python3 tools/check_safetensors.py FILE [FILE ...]

Used to prove that files written by NetBlocks (SafeTensors.Write) load in PyTorch:
the parser is strict (offsets, sizes, overlaps, metadata types), then for each tensor it
prints name, dtype, shape, sum and the first few values. Exit status 1 on any error.
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import SafeTensorsError, load  # noqa: E402


def main(paths):
    ok = True
    for path in paths:
        try:
            tensors, metadata, info = load(path)
        except (OSError, SafeTensorsError) as e:
            print(f"ERROR {e}")
            ok = False
            continue
        print(f"{path}: header {info['header_len']} bytes "
              f"(multiple of 8: {info['header_len'] % 8 == 0}), {len(tensors)} tensors")
        if metadata:
            print(f"  metadata: {metadata}")
        for name, t in tensors.items():
            s = t.double().sum().item() if t.numel() else 0.0
            head = t.flatten()[:4].tolist()
            print(f"  {name:40s} {str(t.dtype).replace('torch.', ''):8s} "
                  f"{str(list(t.shape)):18s} sum={s:.9g} first={head}")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    torch.set_printoptions(precision=8)
    sys.exit(main(sys.argv[1:]))
