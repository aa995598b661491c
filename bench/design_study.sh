#!/usr/bin/env bash
# Seed 003's design-space study and exercises (issue #14), every number and figure regenerated from the real store:
#   1. AnyNetX_A..E and RegNet, N models each in one MAC band, one cheap recipe: EDF report + the papers' claims (KS);
#   2. multi-fidelity: the first N_FIDELITY RegNet models again with a LONG_FACTOR× longer recipe (rank correlation);
#   3. VioNet: RegNet with one principle broken (widths, depths, groups, bottleneck), N models each: which matters most;
#   4. "design the perfect MLP": the mlp space in a small and a large MAC band: do the small MLPs' lessons carry over?
#   5. a 4-stage RegNetX search in regnetx32's band, then the best one, regnetx32 and regnetx32-resnet over SEEDS;
#   6. (PG_STORE set) the first N_PG RegNet models again in PostgreSQL with two worker processes: the same errors?
# Then bench/design_study_tables.py turns the JSON under $OUT/json into $OUT/study_tables.md (docs/DESIGN_SPACES.md).
#
# Every knob is a variable; the defaults are the study's recipe. The pilot (toy size, minutes):
#   N=3 N_FIDELITY=3 N_PG=2 LIMIT_TRAIN=500 LIMIT_VAL=200 FULL_EPOCHS=1 FULL_LIMIT_TRAIN=500 SEEDS="1" OUT=study-pilot bench/design_study.sh
# Sweeps already in the store are continued, not recreated, so an interrupted study resumes where it stopped.
# ROUND=K trains parts 1, 3 and 4 in rounds of K trials per sweep (see in_rounds); PARTS picks parts and their order.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-100}                          # models per space (part 1)
N_EXERCISE=${N_EXERCISE:-$N}         # models per sweep of the exercises (parts 3, 4 and the search of part 5)
N_FIDELITY=${N_FIDELITY:-30}         # RegNet models rerun with the long recipe
N_PG=${N_PG:-$N_FIDELITY}            # RegNet models rerun in PostgreSQL
EPOCHS=${EPOCHS:-1}                  # the cheap recipe: EPOCHS epochs on LIMIT_TRAIN images at RESIZE×RESIZE,
LONG_FACTOR=${LONG_FACTOR:-5}        #   error on LIMIT_VAL test images; the long recipe trains LONG_FACTOR× the epochs
RESIZE=${RESIZE:-28}
LIMIT_TRAIN=${LIMIT_TRAIN:-10000}
LIMIT_VAL=${LIMIT_VAL:-2000}
BATCH=${BATCH:-128}
LR=${LR:-0.05}
SEED=${SEED:-0}                      # sampler and training seed of every sweep
MACS=${MACS:-1M..4M}                 # the complexity band of A..E, RegNet and VioNet (one image at RESIZE)
MLP_SMALL_MACS=${MLP_SMALL_MACS:-50k..200k}
MLP_LARGE_MACS=${MLP_LARGE_MACS:-1M..3M}
MLP_WIDTHS=${MLP_WIDTHS:-8..256}      # base widths of both MLP sweeps (hidden width = base × m, m ∈ {0.5, 1, 2, 4})
X4_MACS=${X4_MACS:-2M..6M}           # the 4-stage search band (regnetx32 is 3.96M MACs at 28×28)
FULL_EPOCHS=${FULL_EPOCHS:-3}        # the three-seed comparison's recipe (all 60000 images unless FULL_LIMIT_TRAIN)
FULL_LIMIT_TRAIN=${FULL_LIMIT_TRAIN:-0}
SEEDS=${SEEDS:-"1 2 3"}
WORKERS=${WORKERS:-2}                # worker threads per `sweep run` (each trial on one kernel thread)
DATA=${DATA:-../shared/data/fashion-mnist}
OUT=${OUT:-study}
STORE=${STORE:-$OUT/study.db}
PG_STORE=${PG_STORE:-}               # postgres://user:pass@host:port/db to run part 6
NETBLOCKS=${NETBLOCKS:-}
PARTS=${PARTS:-"1 2 3 4 5 6"}        # which parts to run, in this order (e.g. PARTS="2 6" after part 1)

if [[ -z "$NETBLOCKS" ]]; then
  dotnet build src/NetBlocks.Cli -c Release -v q -nologo >/dev/null
  NETBLOCKS="dotnet src/NetBlocks.Cli/bin/Release/net10.0/NetBlocks.Cli.dll"
fi
nb() { $NETBLOCKS "$@"; }
mkdir -p "$OUT/json"
RECIPE=(--resize "$RESIZE" --limit-train "$LIMIT_TRAIN" --limit-val "$LIMIT_VAL" --batch "$BATCH" --lr "$LR" --seed "$SEED")

# create NAME STORE CREATE-OPTIONS…: creates the sweep unless the store has it.
create() {
  local name=$1 store=$2; shift 2
  if ! nb sweep status "$name" --store "$store" >/dev/null 2>&1; then
    nb sweep create "$name" "$@" --store "$store"
  fi
}

# train_sweep NAME STORE [RUN-OPTIONS…]: trains what is left of the sweep (or --max-trials K of it).
train_sweep() {
  local name=$1 store=$2; shift 2
  SECONDS=0
  nb sweep run "$name" --workers "$WORKERS" --threads 1 --data "$DATA" --store "$store" "$@"
  echo "$name: $SECONDS s of training in this call" | tee -a "$OUT/timings.txt"
}

# sweep NAME STORE CREATE-OPTIONS…: creates the sweep unless the store has it, then trains what is left.
sweep() { create "$@"; train_sweep "$1" "$2"; }

report() { # report JSON-NAME SWEEP…
  local json=$1; shift
  nb sweep report "$@" --out "$OUT/report-$json" --json --store "$STORE" > "$OUT/json/report-$json.json"
}

echo "recipe: --epochs $EPOCHS ${RECIPE[*]}; band $MACS; N=$N, N_EXERCISE=$N_EXERCISE" | tee "$OUT/recipe.txt"

# in_rounds N SWEEP…: with ROUND=K, trains the sweeps K trials each in turn (each in its sampled order) until N, so a
# study stopped early leaves every sweep of a part with the same n; then (and without ROUND) each sweep to its end.
in_rounds() {
  local n=$1; shift
  if [[ -n "${ROUND:-}" ]]; then
    for ((done_ = 0; done_ < n; done_ += ROUND)); do
      for name in "$@"; do train_sweep "$name" "$STORE" --max-trials "$ROUND"; done
    done
  fi
  for name in "$@"; do train_sweep "$name" "$STORE"; done
}

# 1. the papers' design spaces, N models each.
part1() {
  local spaces=(anynetx-a anynetx-b anynetx-c anynetx-d anynetx-e regnet)
  for space in "${spaces[@]}"; do
    create "$space" "$STORE" --space "$space" --samples "$N" --macs "$MACS" --epochs "$EPOCHS" "${RECIPE[@]}"
  done
  in_rounds "$N" "${spaces[@]}"
  report spaces "${spaces[@]}"
  for pair in "anynetx-a anynetx-b" "anynetx-b anynetx-c" "anynetx-c anynetx-d" "anynetx-d anynetx-e" "anynetx-e regnet"; do
    set -- $pair
    nb sweep compare "$1" "$2" --json --store "$STORE" > "$OUT/json/compare-$1-$2.json"
  done
}

# 2. multi-fidelity: same space, band and seed with fewer samples = the first N_FIDELITY models of `regnet`
part2() {
  sweep regnet-long "$STORE" --space regnet --samples "$N_FIDELITY" --macs "$MACS" --epochs $((EPOCHS * LONG_FACTOR)) "${RECIPE[@]}"
  report fidelity regnet regnet-long
}

# 3. VioNet
part3() {
  local vs=(vionet-widths vionet-depths vionet-groups vionet-bottleneck)
  for v in "${vs[@]}"; do
    create "$v" "$STORE" --space "$v" --samples "$N_EXERCISE" --macs "$MACS" --epochs "$EPOCHS" "${RECIPE[@]}"
  done
  in_rounds "$N_EXERCISE" "${vs[@]}"
  report vionet regnet "${vs[@]}"
}

# 4. MLPs, small and large
part4() {
  create mlp-small "$STORE" --space mlp --widths "$MLP_WIDTHS" --samples "$N_EXERCISE" --macs "$MLP_SMALL_MACS" --epochs "$EPOCHS" "${RECIPE[@]}"
  create mlp-large "$STORE" --space mlp --widths "$MLP_WIDTHS" --samples "$N_EXERCISE" --macs "$MLP_LARGE_MACS" --epochs "$EPOCHS" "${RECIPE[@]}"
  in_rounds "$N_EXERCISE" mlp-small mlp-large
  report mlp mlp-small mlp-large
}

# 5. a 4-stage RegNetX that beats regnetx32: search, then SEEDS seeds of the best, regnetx32 and its ResNet-block twin
part5() {
  sweep regnetx-4stage "$STORE" --space regnet --stages 4 --widths 8..256 --samples "$N_EXERCISE" --macs "$X4_MACS" --epochs "$EPOCHS" "${RECIPE[@]}"
  report x4 regnetx-4stage
  local best
  best=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sweeps"][0]["best"][0]["spec"])' "$OUT/json/report-x4.json")
  echo "best 4-stage model of the search: $best" | tee -a "$OUT/recipe.txt"
  for s in $SEEDS; do            # seed by seed, so a study stopped early compares the three models on the same seeds
    for label in regnetx32 regnetx32-resnet best-4stage; do
      local model=$label; [[ $label == best-4stage ]] && model=$best
      local f="$OUT/json/train-$label-seed$s.json"
      [[ -s $f ]] && continue
      nb train "$model" --resize "$RESIZE" --epochs "$FULL_EPOCHS" --limit-train "$FULL_LIMIT_TRAIN" --seed "$s" \
        --data "$DATA" --out "$OUT/runs" --json > "$f.tmp" && mv "$f.tmp" "$f"
    done
  done
}

# 6. the same numbers from PostgreSQL and two worker processes (the first N_PG models of `regnet`)
part6() {
  [[ -n "$PG_STORE" ]] || { echo "part 6 skipped: PG_STORE is not set"; return; }
  if ! nb sweep status regnet-pg --store "$PG_STORE" >/dev/null 2>&1; then
    nb sweep create regnet-pg --space regnet --samples "$N_PG" --macs "$MACS" --epochs "$EPOCHS" "${RECIPE[@]}" --store "$PG_STORE"
  fi
  SECONDS=0
  nb sweep run regnet-pg --workers 1 --threads 1 --data "$DATA" --store "$PG_STORE" & local w1=$!
  nb sweep run regnet-pg --workers 1 --threads 1 --data "$DATA" --store "$PG_STORE" & local w2=$!
  wait "$w1" "$w2"
  echo "regnet-pg: $SECONDS s with two worker processes" | tee -a "$OUT/timings.txt"
  nb sweep report regnet-pg --out "$OUT/report-pg" --json --store "$PG_STORE" > "$OUT/json/report-pg.json"
}

for part in $PARTS; do "part$part"; done

python3 bench/design_study_tables.py "$OUT/json" "$OUT/study_tables.md"
echo "tables: $OUT/study_tables.md; figures: $OUT/report-*/"
