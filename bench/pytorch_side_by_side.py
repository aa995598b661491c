#!/usr/bin/python3
"""NetBlocks vs PyTorch on this CPU, side by side.

Builds the same networks in PyTorch (d2l's definitions: VGG(arch), NiN, RegNetX32 = AnyNet with stem 32 and stages
(4, 32, 16, 1), (6, 80, 16, 1); one input channel, ten classes), times the same SGD training step (cross-entropy,
lr 0.01, no momentum) and eval-mode forward passes on random data, alternating with `netblocks bench` in the same run,
several rounds, and prints the medians and the ratio NetBlocks / PyTorch (> 1: NetBlocks is faster; for memory < 1:
NetBlocks uses less). Every measurement runs in a fresh process, so peak RSS is per configuration.

    /usr/bin/python3 bench/pytorch_side_by_side.py                     # every target configuration, 3 rounds
    /usr/bin/python3 bench/pytorch_side_by_side.py --rounds 5 --only train:vgg11/4:96
    /usr/bin/python3 bench/pytorch_side_by_side.py --quick              # the 96×96 training configurations only

Build NetBlocks first: dotnet build src/NetBlocks.Cli -c Release
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(ROOT, "src", "NetBlocks.Cli", "bin", "Release", "net10.0", "NetBlocks.Cli.dll")

# (mode, model, resize, batch)
TARGETS = [
    ("train", "vgg11/4", 96, 128),
    ("train", "nin", 96, 128),
    ("train", "regnetx32", 96, 128),
    ("train", "vgg11/4", 224, 128),
    ("train", "nin", 224, 128),
    ("infer", "vgg11/4", 96, 128),
    ("infer", "nin", 96, 128),
    ("infer", "regnetx32", 96, 128),
    ("infer", "vgg11/4", 96, 1),
    ("infer", "nin", 96, 1),
    ("infer", "regnetx32", 96, 1),
]


# ----------------------------------------------------------------------------------------------- the PyTorch models

def build_model(name, torch, nn):
    """d2l's networks as the book defines them (tools/d2l_models.py): lazy layers, materialised by the caller's first forward."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
    import d2l_models as d2l
    builders = {
        "vgg11/4": lambda: d2l.d2l_vgg(((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))),
        "nin": d2l.d2l_nin,
        "regnetx32": lambda: d2l.d2l_anynet(d2l.REGNETX32, 32),
    }
    if name not in builders:
        raise SystemExit(f"unknown model {name}")
    return builders[name]()


def torch_worker(mode, model_name, resize, batch, threads, steps, warmup):
    """Runs in a fresh process: times one configuration and prints one JSON line."""
    import torch
    from torch import nn
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = build_model(model_name, torch, nn)
    x = torch.randn(batch, 1, resize, resize)
    y = torch.randint(0, 10, (batch,))
    with torch.no_grad():
        net.eval()
        net(x[:1])  # materialise the lazy layers
    times = []
    if mode == "train":
        net.train()
        opt = torch.optim.SGD(net.parameters(), lr=0.01)
        loss_fn = nn.CrossEntropyLoss()
        for i in range(warmup + steps):
            t0 = time.perf_counter()
            opt.zero_grad()
            loss = loss_fn(net(x), y)
            loss.backward()
            opt.step()
            if i >= warmup:
                times.append(time.perf_counter() - t0)
    else:
        net.eval()
        with torch.no_grad():
            for i in range(warmup + steps):
                t0 = time.perf_counter()
                net(x)
                if i >= warmup:
                    times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(json.dumps({"images_per_s": batch / med, "median_step_s": med,
                      "peak_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


# --------------------------------------------------------------------------------------------------- the driver

def run_json(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def netblocks(mode, model, resize, batch, threads, steps, warmup):
    return run_json(["dotnet", CLI, "bench", mode, model, "--resize", str(resize), "--batch", str(batch),
                     "--threads", str(threads), "--steps", str(steps), "--warmup", str(warmup), "--json"])


def pytorch(mode, model, resize, batch, threads, steps, warmup):
    return run_json([sys.executable, os.path.abspath(__file__), "--worker", mode, model, str(resize), str(batch),
                     str(threads), str(steps), str(warmup)])


def gemm_torch(size, threads, reps=10):
    code = (f"import torch,time,statistics,json;torch.set_num_threads({threads});torch.manual_seed(0);"
            f"a=torch.rand({size},{size})-0.5;b=torch.rand({size},{size})-0.5;c=torch.mm(a,b);c=torch.mm(a,b);t=[]\n"
            f"for _ in range({reps}):\n t0=time.perf_counter();torch.mm(a,b,out=c);t.append(time.perf_counter()-t0)\n"
            f"m=statistics.median(t);print(json.dumps({{'gflops':2*{size}**3/m/1e9,'median_s':m}}))")
    return run_json([sys.executable, "-c", code])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="only the 96×96 training configurations and GEMM")
    ap.add_argument("--only", action="append", default=[], help="mode:model:resize[:batch], repeatable")
    ap.add_argument("--no-gemm", action="store_true")
    ap.add_argument("--worker", nargs=7, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        m, name, r, b, t, s, w = a.worker
        torch_worker(m, name, int(r), int(b), int(t), int(s), int(w))
        return
    if not os.path.exists(CLI):
        raise SystemExit(f"{CLI} not found: run `dotnet build src/NetBlocks.Cli -c Release` first")

    configs = TARGETS
    if a.quick:
        configs = [c for c in TARGETS if c[0] == "train" and c[2] == 96]
    if a.only:
        configs = []
        for o in a.only:
            p = o.split(":")
            configs.append((p[0], p[1], int(p[2]), int(p[3]) if len(p) > 3 else 128))

    results = {c: {"nb": [], "pt": [], "nb_mem": [], "pt_mem": []} for c in configs}
    gemm = {t: {"nb": [], "pt": []} for t in (1, 2)}
    for rnd in range(a.rounds):
        for c in configs:
            mode, model, resize, batch = c
            steps = a.steps if batch > 1 else max(a.steps, 20)
            order = [("nb", netblocks), ("pt", pytorch)] if rnd % 2 == 0 else [("pt", pytorch), ("nb", netblocks)]
            for key, fn in order:
                r = fn(mode, model, resize, batch, a.threads, steps, a.warmup)
                results[c][key].append(r["images_per_s"])
                results[c][key + "_mem"].append(r["peak_bytes"])
            nb, pt = results[c]["nb"][-1], results[c]["pt"][-1]
            print(f"round {rnd + 1}: {mode:5} {model:9} {resize:3} b{batch:<3}  NetBlocks {nb:8.1f}  PyTorch {pt:8.1f}  ({nb / pt:.2f}×)",
                  file=sys.stderr, flush=True)
        if not a.no_gemm:
            for t in (1, 2):
                for key in (["nb", "pt"] if rnd % 2 == 0 else ["pt", "nb"]):
                    if key == "nb":
                        gemm[t]["nb"].append(run_json(["dotnet", CLI, "bench", "gemm", "--size", "1024", "--threads", str(t), "--json"])["gflops"])
                    else:
                        gemm[t]["pt"].append(gemm_torch(1024, t)["gflops"])

    med = statistics.median
    print(f"\nNetBlocks / PyTorch, {a.threads} threads, median of {a.rounds} rounds (throughput: images/s; ratio > 1 = NetBlocks faster; "
          f"memory: peak RSS, ratio < 1 = NetBlocks smaller)\n")
    print("| mode | model | input | batch | NetBlocks img/s | PyTorch img/s | ratio | NetBlocks peak MiB | PyTorch peak MiB | memory ratio |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|---:|")
    for c in configs:
        mode, model, resize, batch = c
        r = results[c]
        nb, pt = med(r["nb"]), med(r["pt"])
        nm, pm = med(r["nb_mem"]) / 2**20, med(r["pt_mem"]) / 2**20
        extra = f" ({1000 * batch / nb:.1f} ms vs {1000 * batch / pt:.1f} ms)" if batch == 1 else ""
        print(f"| {mode} | {model} | {resize}×{resize} | {batch} | {nb:.1f} | {pt:.1f} | **{nb / pt:.2f}×**{extra} | {nm:.0f} | {pm:.0f} | {nm / pm:.2f} |")
    if not a.no_gemm:
        print("\n| GEMM 1024³ | NetBlocks GFLOP/s | PyTorch (OpenBLAS) GFLOP/s | % of OpenBLAS |")
        print("|---|---:|---:|---:|")
        for t in (1, 2):
            nb, pt = med(gemm[t]["nb"]), med(gemm[t]["pt"])
            print(f"| {t} thread{'s' if t > 1 else ''} | {nb:.1f} | {pt:.1f} | {100 * nb / pt:.0f}% |")


if __name__ == "__main__":
    main()
