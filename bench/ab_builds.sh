#!/usr/bin/env bash
# Times two builds of netblocks on the same configurations, alternating old and new in every round, and prints the
# median images/s of each and the ratio new/old: the "no slowdown" check of a refactoring (issue #11). Run it on a
# quiet machine. Usage:
#   bench/ab_builds.sh OLD_CLI NEW_CLI [ROUNDS]        (OLD_CLI/NEW_CLI: a published NetBlocks.Cli executable)
# e.g. build the old commit with `git worktree add /tmp/old <commit> && dotnet publish /tmp/old/src/NetBlocks.Cli
# -c Release -o /tmp/oldbin` and this checkout with `dotnet publish src/NetBlocks.Cli -c Release -o /tmp/newbin`.
# AB_CONFIGS (one configuration a line, e.g. "infer regnetx32 --resize 96 --batch 1 --steps 100") replaces the list
# below. To time an option of one build against its absence, make OLD_CLI a wrapper that adds it (bench/no_fold.sh).
set -euo pipefail
old=$1 new=$2 rounds=${3:-3}
if [[ -n "${AB_CONFIGS:-}" ]]; then mapfile -t configs <<< "$AB_CONFIGS"; else configs=(
  "train vgg11/4 --resize 96"
  "train nin --resize 96"
  "train regnetx32 --resize 96"
  "train regnetx32 --resize 32"
  "infer vgg11/4 --resize 96 --batch 128"
  "infer nin --resize 96 --batch 128"
  "infer regnetx32 --resize 96 --batch 128"
  "infer regnetx32 --resize 96 --batch 1 --steps 100"
  "infer nin --resize 96 --batch 1 --steps 100"
); fi
rate() { "$1" bench $2 --threads 2 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["images_per_s"])'; }
printf '| configuration | old img/s | new img/s | new/old |\n|---|---:|---:|---:|\n'
for c in "${configs[@]}"; do
  o=(); n=()
  for ((r = 0; r < rounds; r++)); do
    o+=("$(rate "$old" "$c")"); n+=("$(rate "$new" "$c")")
  done
  python3 - "$c" "${o[*]}" "${n[*]}" <<'PY'
import statistics, sys
c, o, n = sys.argv[1], [float(v) for v in sys.argv[2].split()], [float(v) for v in sys.argv[3].split()]
mo, mn = statistics.median(o), statistics.median(n)
print(f"| {c} | {mo:.1f} ({min(o):.0f}–{max(o):.0f}) | {mn:.1f} ({min(n):.0f}–{max(n):.0f}) | {mn / mo:.3f} |")
PY
done
