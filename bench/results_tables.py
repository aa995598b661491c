#!/usr/bin/env python3
"""Markdown tables for docs/RESULTS.md from the JSON files bench/results.sh writes (no third-party packages).

    python3 bench/results_tables.py pair ten-vgg56            # per-epoch NetBlocks/PyTorch table of one run pair
    python3 bench/results_tables.py pair ten-vgg56 --epochs 5 # only the first five epochs
    python3 bench/results_tables.py seeds five-regnet32-s1 five-regnet32-s2 --with ten-regnet32 --epoch 5
    python3 bench/results_tables.py nb five-res32 ten-vgg56 five-res84 --epoch 5   # NetBlocks runs side by side
    python3 bench/results_tables.py chart ten-vgg56 --title "VGG-11/4 at 56×56" --out docs/results/ten-vgg56.svg

RESULTS (default /tmp/results) is the folder results.sh wrote. <name>.nb.json holds `netblocks train --json`'s final
object; <name>.pt.json one JSON line per epoch from bench/pytorch_train.py, then its summary.
"""
import argparse
import json
import os
import re
import statistics


def load(path):
    """The epochs of a run: the "epochs" list of the last JSON object in the file (a shell may have echoed other lines
    into it), or, for a run still going or stopped early, the per-epoch JSON lines (PyTorch) or the per-epoch progress
    lines of the .err file next to it (NetBlocks: "epoch 3/10: train loss …, 41.2 s, 1456.3 images/s")."""
    objs = [json.loads(line) for line in open(path) if line.startswith("{")] if os.path.exists(path) else []
    if objs and "epochs" in objs[-1]:
        return objs[-1]["epochs"]
    if objs:
        return [o for o in objs if "epoch" in o]
    err = path[:-len(".json")] + ".err"
    pattern = re.compile(r"epoch (\d+)/\d+: train loss ([\d.]+), train acc ([\d.]+), val loss ([\d.]+), val acc ([\d.]+), ([\d.]+) s, ([\d.]+) images/s")
    rows = []
    if os.path.exists(err):
        for m in pattern.finditer(open(err, errors="replace").read().replace("\r", "\n")):
            e, tl, ta, vl, va, sec, ips = m.groups()
            rows.append({"epoch": int(e), "train_loss": float(tl), "train_acc": float(ta), "val_loss": float(vl),
                         "val_acc": float(va), "seconds": float(sec), "images_per_s": float(ips)})
    if not rows:
        raise SystemExit(f"{path}: no epochs yet")
    return rows


def epochs(results, name, side):
    return load(os.path.join(results, f"{name}.{side}.json"))


def pair(results, name, limit):
    nb, pt = epochs(results, name, "nb"), epochs(results, name, "pt")
    n = min(len(nb), len(pt), limit or 10**9)
    print("| epoch | NB train loss | PT train loss | NB train acc | PT train acc | NB val loss | PT val loss | NB val acc | PT val acc | NB s | PT s | NB img/s | PT img/s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for a, b in zip(nb[:n], pt[:n]):
        print(f"| {a['epoch']} | {a['train_loss']:.4f} | {b['train_loss']:.4f} | {a['train_acc']:.4f} | {b['train_acc']:.4f} | "
              f"{a['val_loss']:.4f} | {b['val_loss']:.4f} | {a['val_acc']:.4f} | {b['val_acc']:.4f} | "
              f"{a['seconds']:.0f} | {b['seconds']:.0f} | {a['images_per_s']:.0f} | {b['images_per_s']:.0f} |")
    last = n - 1
    tail = [a["val_acc"] for a in nb[max(0, n - 3):n]], [b["val_acc"] for b in pt[max(0, n - 3):n]]
    print()
    print(f"final val acc: NetBlocks {nb[last]['val_acc']:.4f}, PyTorch {pt[last]['val_acc']:.4f}, "
          f"difference {nb[last]['val_acc'] - pt[last]['val_acc']:+.4f}; mean of the last three epochs "
          f"{statistics.mean(tail[0]):.4f} vs {statistics.mean(tail[1]):.4f}; "
          f"best {max(a['val_acc'] for a in nb[:n]):.4f} vs {max(b['val_acc'] for b in pt[:n]):.4f}; "
          f"total seconds {sum(a['seconds'] for a in nb[:n]):.0f} vs {sum(b['seconds'] for b in pt[:n]):.0f}")


def seeds(results, names, epoch):
    print(f"| run | NB val acc | PT val acc | NB train loss | PT train loss |")
    print("|---|---:|---:|---:|---:|")
    nb_acc, pt_acc, nb_loss, pt_loss = [], [], [], []
    for name in names:
        a, b = epochs(results, name, "nb")[epoch - 1], epochs(results, name, "pt")[epoch - 1]
        nb_acc.append(a["val_acc"]); pt_acc.append(b["val_acc"])
        nb_loss.append(a["train_loss"]); pt_loss.append(b["train_loss"])
        print(f"| {name} | {a['val_acc']:.4f} | {b['val_acc']:.4f} | {a['train_loss']:.4f} | {b['train_loss']:.4f} |")
    if len(names) > 1:
        sd = statistics.stdev
        print(f"| mean ± sd | {statistics.mean(nb_acc):.4f} ± {sd(nb_acc):.4f} | {statistics.mean(pt_acc):.4f} ± {sd(pt_acc):.4f} | "
              f"{statistics.mean(nb_loss):.4f} ± {sd(nb_loss):.4f} | {statistics.mean(pt_loss):.4f} ± {sd(pt_loss):.4f} |")
        print(f"| range | {min(nb_acc):.4f}–{max(nb_acc):.4f} | {min(pt_acc):.4f}–{max(pt_acc):.4f} | | |")
        # Welch's t for the difference of the mean validation accuracies
        se = (sd(nb_acc) ** 2 / len(nb_acc) + sd(pt_acc) ** 2 / len(pt_acc)) ** 0.5
        diff = statistics.mean(nb_acc) - statistics.mean(pt_acc)
        print()
        print(f"difference of the means (NB − PT) {diff:+.4f}, standard error {se:.4f}, Welch t = {diff / se if se else float('inf'):.2f}")


def nb_runs(results, names, epoch):
    print("| run | epoch | train loss | train acc | val loss | val acc | s / epoch (mean) | img/s (mean) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in names:
        e = epochs(results, name, "nb")
        a = e[min(epoch, len(e)) - 1]
        k = min(epoch, len(e))
        print(f"| {name} | {a['epoch']} | {a['train_loss']:.4f} | {a['train_acc']:.4f} | {a['val_loss']:.4f} | {a['val_acc']:.4f} | "
              f"{statistics.mean(x['seconds'] for x in e[:k]):.0f} | {statistics.mean(x['images_per_s'] for x in e[:k]):.0f} |")


def chart(results, name, title, out):
    """An SVG of one pair: validation accuracy and train/validation loss per epoch, NetBlocks solid, PyTorch dashed."""
    nb, pt = epochs(results, name, "nb"), epochs(results, name, "pt")
    W, H, L, R, T, B = 720, 420, 60, 150, 40, 50
    n = max(len(nb), len(pt))
    ymax = max(1.0, max(e[k] for e in nb + pt for k in ("train_loss", "val_loss")))
    ymax = round(ymax + 0.05, 1)
    X = lambda e: L + (W - L - R) * (e - 1) / max(1, n - 1)
    Y = lambda v: T + (H - T - B) * (1 - v / ymax)
    out_lines = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
                 f'<rect width="{W}" height="{H}" fill="white"/>',
                 f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="15">{title}</text>']
    for i in range(0, int(round(ymax * 10)) + 1, 2):
        v = i / 10
        out_lines.append(f'<line x1="{L}" x2="{W - R}" y1="{Y(v):.1f}" y2="{Y(v):.1f}" stroke="#ddd"/>')
        out_lines.append(f'<text x="{L - 6}" y="{Y(v) + 4:.1f}" text-anchor="end">{v:.1f}</text>')
    for e in range(1, n + 1):
        out_lines.append(f'<text x="{X(e):.1f}" y="{H - B + 16}" text-anchor="middle">{e}</text>')
    out_lines.append(f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">epoch</text>')
    series = [("val_acc", "#2ca02c"), ("val_loss", "#ff7f0e"), ("train_loss", "#1f77b4")]
    legend_y = T + 10
    for key, color in series:
        for side, data, dash in (("NetBlocks", nb, ""), ("PyTorch", pt, ' stroke-dasharray="6,4"')):
            pts = " ".join(f"{X(e['epoch']):.1f},{Y(e[key]):.1f}" for e in data)
            out_lines.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
            for e in data:
                out_lines.append(f'<circle cx="{X(e["epoch"]):.1f}" cy="{Y(e[key]):.1f}" r="2.5" fill="{color}"/>')
            out_lines.append(f'<line x1="{W - R + 12}" x2="{W - R + 36}" y1="{legend_y}" y2="{legend_y}" stroke="{color}" stroke-width="2"{dash}/>')
            out_lines.append(f'<text x="{W - R + 42}" y="{legend_y + 4}">{key} {"PT" if side == "PyTorch" else "NB"}</text>')
            legend_y += 18
    out_lines.append(f'<rect x="{L}" y="{T}" width="{W - L - R}" height="{H - T - B}" fill="none" stroke="#444"/>')
    out_lines.append("</svg>")
    with open(out, "w") as f:
        f.write("\n".join(out_lines) + "\n")
    print(f"wrote {out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["pair", "seeds", "nb", "chart"])
    ap.add_argument("names", nargs="+")
    ap.add_argument("--with", dest="extra", nargs="*", default=[], help="seeds: more run pairs to include")
    ap.add_argument("--epoch", type=int, default=None)
    ap.add_argument("--epochs", type=int, default=None, help="pair: only the first N epochs")
    ap.add_argument("--results", default=os.environ.get("RESULTS", "/tmp/results"))
    ap.add_argument("--title", default="")
    ap.add_argument("--out", default=None, help="chart: the SVG file to write")
    a = ap.parse_args()
    if a.mode == "pair":
        for name in a.names:
            pair(a.results, name, a.epochs)
    elif a.mode == "seeds":
        seeds(a.results, a.extra + a.names, a.epoch or 1)
    elif a.mode == "chart":
        chart(a.results, a.names[0], a.title or a.names[0], a.out or a.names[0] + ".svg")
    else:
        nb_runs(a.results, a.names, a.epoch or 10**9)


if __name__ == "__main__":
    main()
