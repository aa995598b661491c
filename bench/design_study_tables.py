#!/usr/bin/env python3
"""Markdown tables of seed 003's design-space study from the JSON bench/design_study.sh writes (python3 stdlib only).

usage: design_study_tables.py JSON_DIR OUT.md

Reads, when present (a missing part is skipped with a note):
  compare-A-B.json   `netblocks sweep compare A B --json`: the papers' claims, one row per pair
  report-fidelity.json `sweep report regnet regnet-long --json`: Spearman rank correlation of the two recipes' errors
  report-vionet.json `sweep report regnet vionet-… --json`: which principle (c, d, g, b) matters most
  report-mlp.json    `sweep report mlp-small mlp-large --json`: do the small MLPs' parameter effects carry over?
  report-x4.json, train-LABEL-seedS.json: the 4-stage RegNetX search and the three-seed comparison
  report-pg.json     `sweep report regnet-pg --json` from PostgreSQL, paired with report-fidelity.json's regnet trials

Verdict rules (also written into the output):
  * "B is better" / "B is worse": KS p < ALPHA and B's EDF lies left / right of A's (ks_b_left vs ks_a_left).
  * claim "B improves on A": better → confirmed; worse → not confirmed; otherwise "cannot tell at this n".
  * claim "B ≈ A": no significant difference → confirmed if this n detects a KS distance of DETECTABLE or more
    (critical D = c(α)·√((n_A + n_B)/(n_A·n_B)) ≤ DETECTABLE), else "cannot tell at this n"; significant → not confirmed.
  * claim "B at least as good as A": as "≈", except that a significantly better B confirms it.
"""
import glob
import json
import math
import os
import re
import statistics
import sys

ALPHA = 0.05
C_ALPHA = 1.358  # √(−ln(α/2)/2) at α = 0.05, the KS critical-value constant
DETECTABLE = 0.2  # a study "can tell" two EDFs are alike when a KS distance of 0.2 would have been significant

CLAIMS = [  # (A, B, kind, what the paper says)
    ("anynetx-a", "anynetx-b", "same", "AnyNetX_B ≈ AnyNetX_A (sharing b costs nothing)"),
    ("anynetx-b", "anynetx-c", "same", "AnyNetX_C ≈ AnyNetX_B (sharing g costs nothing)"),
    ("anynetx-c", "anynetx-d", "better", "AnyNetX_D improves on C (non-decreasing widths)"),
    ("anynetx-d", "anynetx-e", "better", "AnyNetX_E improves on D (non-decreasing depths)"),
    ("anynetx-e", "regnet", "no-worse", "RegNet is at least as good as AnyNetX_E"),
]

VIONET = [("vionet-widths", "c", "widths non-decreasing"), ("vionet-depths", "d", "depths non-decreasing"),
          ("vionet-groups", "g", "one group width"), ("vionet-bottleneck", "b", "one bottleneck ratio")]


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_part(json_dir, name):
    """The parsed JSON file of one part of the study, or None when that part has not been run."""
    path = os.path.join(json_dir, name)
    return load(path) if os.path.exists(path) else None


def sweep_pair(json_dir, name):
    """The two sweeps of a two-sweep report, or None when that part has not been run."""
    rep = load_part(json_dir, name)
    return None if rep is None else (rep["sweeps"][0], rep["sweeps"][1])


def fmt(x, digits=3):
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    return f"{x:.{digits}f}"


def fmt_p(p):
    return "—" if p is None else (f"{p:.1e}" if p < 0.001 else f"{p:.3f}")


def critical_d(n_a, n_b):
    return C_ALPHA * math.sqrt((n_a + n_b) / (n_a * n_b)) if n_a and n_b else math.inf


def direction(c):
    """'better', 'worse' or None (not significant) for B against A."""
    if c["p"] is None or c["p"] >= ALPHA:
        return None
    if c["ks_b_left"] > c["ks_a_left"]:
        return "better"
    if c["ks_a_left"] > c["ks_b_left"]:
        return "worse"
    return None  # the EDFs cross: neither lies left


def verdict(kind, c):
    d = direction(c)
    detectable = critical_d(c["n_a"], c["n_b"]) <= DETECTABLE
    if kind == "better":
        return {"better": "confirmed", "worse": "not confirmed (worse)"}.get(d, "cannot tell at this n")
    if d == "worse":
        return "not confirmed (worse)"
    if d == "better":
        return "confirmed (better)" if kind == "no-worse" else "not confirmed (better)"
    return "confirmed" if detectable else "cannot tell at this n"


def ranks(values):
    order = sorted(range(len(values)), key=lambda i: values[i])
    r = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return r


def spearman(x, y):
    """Spearman's ρ with average ranks for ties; None when n < 3 or a side is constant."""
    if len(x) < 3:
        return None
    rx, ry = ranks(x), ranks(y)
    mx, my = statistics.fmean(rx), statistics.fmean(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    return None if sxx == 0 or syy == 0 else sxy / math.sqrt(sxx * syy)


def fisher_ci(rho, n):
    """95% interval of Spearman's ρ by Fisher's z with Fieller's standard error 1.06/√(n−3)."""
    if rho is None or n <= 3 or abs(rho) >= 1:
        return None
    z, se = math.atanh(rho), 1.06 / math.sqrt(n - 3)
    return math.tanh(z - 1.96 * se), math.tanh(z + 1.96 * se)


def sweep_by_name(report, name):
    return next((s for s in report["sweeps"] if s["name"] == name), None)


def comparison_with(report, name):
    return next((c for c in report.get("comparisons", []) if c["b"] == name), None)


def claims_table(json_dir, out):
    out.append("## The papers' claims\n")
    out.append(f"KS test of B's error EDF against A's (exact p-value); α = {ALPHA}; \"≈\" claims are confirmed only when "
               f"the sample sizes detect a KS distance of {DETECTABLE} (critical D ≤ {DETECTABLE}).\n")
    out.append("| claim | A | B | n | median A | median B | KS | p | B's EDF | verdict |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    found = 0
    for a, b, kind, text in CLAIMS:
        path = os.path.join(json_dir, f"compare-{a}-{b}.json")
        if not os.path.exists(path):
            continue
        found += 1
        doc = load(path)
        c = doc["comparison"]
        sa, sb = doc["sweeps"]
        side = {"better": "left (better)", "worse": "right (worse)"}.get(direction(c), "no significant shift")
        out.append(f"| {text} | {a} | {b} | {c['n_a']} + {c['n_b']} | {fmt(sa['median_error'])} | {fmt(sb['median_error'])} "
                   f"| {fmt(c['ks'])} | {fmt_p(c['p'])} | {side} | {verdict(kind, c)} |")
    if not found:
        out.append("| (no compare-*.json) | | | | | | | | | |")
    out.append("")


def fidelity_table(json_dir, out):
    pair = sweep_pair(json_dir, "report-fidelity.json")
    if pair is None:
        return
    cheap, long_ = pair
    long_errors = {t["spec"]: t["error"] for t in long_["trials"] if t["error"] is not None}
    pairs = [(t["error"], long_errors[t["spec"]]) for t in cheap["trials"] if t["spec"] in long_errors and t["error"] is not None]
    rho = spearman([p[0] for p in pairs], [p[1] for p in pairs])
    ci = fisher_ci(rho, len(pairs))
    out.append("## Multi-fidelity: are cheap results reliable guidance?\n")
    out.append(f"The same models (paired by spec) trained with the cheap recipe ({cheap['name']}) and the longer one "
               f"({long_['name']}).\n")
    out.append("| models paired | Spearman ρ | 95% interval (Fisher z) | median error cheap | median error long |")
    out.append("|---|---|---|---|---|")
    interval = "—" if ci is None else f"{ci[0]:.2f} … {ci[1]:.2f}"
    cheap_paired = [p[0] for p in pairs]
    long_paired = [p[1] for p in pairs]
    out.append(f"| {len(pairs)} | {fmt(rho)} | {interval} | {fmt(statistics.median(cheap_paired) if pairs else None)} "
               f"| {fmt(statistics.median(long_paired) if pairs else None)} |\n")


def vionet_table(json_dir, out):
    rep = load_part(json_dir, "report-vionet.json")
    if rep is None:
        return
    base = rep["sweeps"][0]
    out.append("## VioNet: which principle matters most?\n")
    out.append(f"Each space breaks one principle of {base['name']} and keeps the others; KS against {base['name']}'s EDF. "
               "A principle matters when breaking it moves the EDF right (worse) significantly; the larger the KS, the more.\n")
    out.append("| principle broken | space | n | median error | Δ median vs RegNet | KS | p | EDF |")
    out.append("|---|---|---|---|---|---|---|---|")
    scored = []
    for name, letter, text in VIONET:
        s, c = sweep_by_name(rep, name), comparison_with(rep, name)
        if s is None or c is None:
            continue
        d = direction(c)
        side = {"better": "left (better)", "worse": "right (worse)"}.get(d, "no significant shift")
        delta = None if s["median_error"] is None or base["median_error"] is None else s["median_error"] - base["median_error"]
        out.append(f"| {letter}: {text} | {name} | {s['done']} | {fmt(s['median_error'])} | {fmt(delta)} | {fmt(c['ks'])} "
                   f"| {fmt_p(c['p'])} | {side} |")
        if d == "worse":
            scored.append((c["ks"], letter))
    if scored:
        scored.sort(reverse=True)
        order = " > ".join(f"{letter} (KS {ks:.3f})" for ks, letter in scored)
        out.append(f"\nMatters most: **{scored[0][1]}**; order among the significant ones: {order}.\n")
    else:
        out.append("\nMatters most: cannot tell at this n (no violation moves the EDF right significantly).\n")


def mlp_table(json_dir, out):
    pair = sweep_pair(json_dir, "report-mlp.json")
    if pair is None:
        return
    small, large = pair
    out.append("## Designing the MLP: do small MLPs' lessons extrapolate?\n")
    out.append(f"Spearman ρ of each design parameter with error, and its bootstrap best range, in {small['name']} and "
               f"{large['name']} (act: 0 = ReLU, 1 = sigmoid). A lesson carries over when ρ has the same sign in both.\n")
    out.append(f"| parameter | ρ {small['name']} | ρ {large['name']} | best range {small['name']} | best range {large['name']} | same sign |")
    out.append("|---|---|---|---|---|---|")
    ps = {p["name"]: p for p in small["parameters"]}
    pl = {p["name"]: p for p in large["parameters"]}
    for name in [n for n in ps if n in pl]:
        a, b = ps[name]["spearman"], pl[name]["spearman"]
        same = "—" if not a or not b else ("yes" if (a > 0) == (b > 0) else "no")  # None or 0: no sign to compare

        def rng(p):
            r = p.get("best_range")
            return "—" if not r else f"{fmt(r[0], 2)} … {fmt(r[1], 2)}"
        out.append(f"| {name} | {fmt(a)} | {fmt(b)} | {rng(ps[name])} | {rng(pl[name])} | {same} |")
    out.append(f"\nMedian error: {small['name']} {fmt(small['median_error'])}, {large['name']} {fmt(large['median_error'])}; "
               f"best: {fmt(small['min_error'])} ({small['best'][0]['spec'] if small['best'] else '—'}), "
               f"{fmt(large['min_error'])} ({large['best'][0]['spec'] if large['best'] else '—'}).\n")


def find_val_acc(node):
    """The final validation accuracy in `netblocks train --json` output (searched breadth-first)."""
    queue = [node]
    while queue:
        n = queue.pop(0)
        if isinstance(n, dict):
            if isinstance(n.get("val_acc"), (int, float)):
                return float(n["val_acc"])
            queue.extend(n.values())
    return None


def x4_table(json_dir, out):
    runs = {}
    for path in sorted(glob.glob(os.path.join(json_dir, "train-*-seed*.json"))):
        m = re.match(r"train-(.+)-seed(\d+)\.json$", os.path.basename(path))
        doc = load(path)
        acc = find_val_acc(doc)
        if m and acc is not None:
            runs.setdefault(m.group(1), []).append((int(m.group(2)), acc, doc.get("model")))
    if not runs:
        return
    out.append("## A 4-stage RegNetX against regnetx32 (three seeds)\n")
    x4 = load_part(json_dir, "report-x4.json")
    if x4 is not None:
        s = x4["sweeps"][0]
        out.append(f"Search: {s['done']} models of {s['name']}, best error {fmt(s['min_error'])} ({s['best'][0]['spec'] if s['best'] else '—'}).\n")
    out.append("| model | seeds | val acc per seed | mean | sd |")
    out.append("|---|---|---|---|---|")
    for label, rs in runs.items():
        accs = [a for _, a, _ in sorted(rs)]
        sd = statistics.stdev(accs) if len(accs) > 1 else None
        model = rs[0][2] or label
        out.append(f"| {label} (`{model}`) | {len(accs)} | {', '.join(f'{a:.4f}' for a in accs)} | {statistics.fmean(accs):.4f} | {fmt(sd, 4)} |")
    out.append("")


def pg_table(json_dir, out):
    pg_report, sqlite_report = load_part(json_dir, "report-pg.json"), load_part(json_dir, "report-fidelity.json")
    if pg_report is None or sqlite_report is None:
        return
    pg = pg_report["sweeps"][0]
    lite = {t["spec"]: t["error"] for t in sqlite_report["sweeps"][0]["trials"]}
    pairs = [(lite[t["spec"]], t["error"]) for t in pg["trials"] if t["spec"] in lite]
    same = sum(1 for a, b in pairs if a == b)
    worst = max((abs(a - b) for a, b in pairs), default=None)
    out.append("## PostgreSQL and two worker processes\n")
    out.append("| models paired (by spec) | identical errors | max abs difference |")
    out.append("|---|---|---|")
    out.append(f"| {len(pairs)} of {pg['done']} | {same} | {fmt(worst, 6)} |\n")


def main(argv):
    if len(argv) != 3:
        print("usage: design_study_tables.py JSON_DIR OUT.md", file=sys.stderr)
        return 2
    json_dir, out_path = argv[1], argv[2]
    if not os.path.isdir(json_dir):
        print(f"error: {json_dir} is not a folder (run bench/design_study.sh first)", file=sys.stderr)
        return 1
    out = ["# Design-space study: tables\n", "Written by bench/design_study_tables.py from the JSON of `netblocks sweep report/compare`.\n"]
    recipe = os.path.join(os.path.dirname(os.path.abspath(json_dir)), "recipe.txt")
    if os.path.exists(recipe):
        with open(recipe, encoding="utf-8") as f:
            out.extend(f"- {line.strip()}" for line in f if line.strip())
        out.append("")
    try:
        for part in (claims_table, fidelity_table, vionet_table, mlp_table, x4_table, pg_table):
            part(json_dir, out)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as e:  # ValueError covers malformed JSON
        print(f"error: a JSON file in {json_dir} is not what `netblocks sweep report/compare --json` writes ({e!r})", file=sys.stderr)
        return 1
    tmp = out_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(out))
    os.replace(tmp, out_path)
    print(f"wrote {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
