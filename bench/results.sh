#!/usr/bin/env bash
# Reproduces every run reported in docs/RESULTS.md: NetBlocks (`netblocks train`) and its PyTorch twin
# (bench/pytorch_train.py) on the full Fashion-MNIST (60,000 train / 10,000 test images, evaluated every epoch).
#
#   bench/results.sh                 # all runs, one after the other (67 min of runs on 2 shared cores, 2026-11-22)
#   bench/results.sh probe           # the throughput probes (2,560 train / 1,280 test images, 1 epoch)
#   bench/results.sh regnet vgg56    # only the named runs (names below)
#
# Runs are strictly sequential (the machine has 2 cores): each writes RESULTS/<name>.{nb,pt}.json (NetBlocks: the
# final --json object; PyTorch: one JSON line per epoch, then the summary), RESULTS/<name>.{nb,pt}.err (progress,
# timing) and, for NetBlocks, the run folder under RESULTS/runs/<name>/ with curves.png and metrics.csv.
# Environment: DATA (default ../shared/data/fashion-mnist), RESULTS (default /tmp/results), THREADS (default 2),
# PYTHON (default /usr/bin/python3: the interpreter with torch 1.13).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
DATA="${DATA:-$root/../shared/data/fashion-mnist}"
RESULTS="${RESULTS:-/tmp/results}"
THREADS="${THREADS:-2}"
PYTHON="${PYTHON:-/usr/bin/python3}"
mkdir -p "$RESULTS"

# NB_BIN: a folder with a prebuilt NetBlocks.Cli.dll (e.g. `dotnet build -c Release src/NetBlocks.Cli -o /tmp/nb-bin`),
# so that edits to the working tree during a long queue of runs cannot change the engine between runs.
if [ -n "${NB_BIN:-}" ]; then
    NB=(dotnet "$NB_BIN/NetBlocks.Cli.dll")
else
    dotnet build -c Release src/NetBlocks.Cli >"$RESULTS/build.log" 2>&1 || { echo "build failed, see $RESULTS/build.log"; exit 1; }
    NB=(dotnet "$root/src/NetBlocks.Cli/bin/Release/net10.0/NetBlocks.Cli.dll")
fi
log() { echo "$(date -u +%H:%M:%S) $*" | tee -a "$RESULTS/driver.log"; }

# nb NAME MODEL RESIZE EPOCHS [extra netblocks train options…]
nb() {
    local name=$1 model=$2 size=$3 epochs=$4; shift 4
    log "start nb $name: $model --resize $size --epochs $epochs $*"
    rm -rf "$RESULTS/runs/$name"
    /usr/bin/time -f "wall %e s" "${NB[@]}" train "$model" --resize "$size" --epochs "$epochs" --batch 128 \
        --threads "$THREADS" --data "$DATA" --out "$RESULTS/runs/$name" --json "$@" \
        >"$RESULTS/$name.nb.json" 2>"$RESULTS/$name.nb.err"
    log "end   nb $name (rc $?) $(tail -1 "$RESULTS/$name.nb.err")"
}

# pt NAME MODEL RESIZE EPOCHS [extra pytorch_train.py options…]
pt() {
    local name=$1 model=$2 size=$3 epochs=$4; shift 4
    log "start pt $name: $model --resize $size --epochs $epochs $*"
    /usr/bin/time -f "wall %e s" "$PYTHON" bench/pytorch_train.py "$model" --resize "$size" --epochs "$epochs" --batch 128 \
        --threads "$THREADS" --data "$DATA" "$@" \
        >"$RESULTS/$name.pt.json" 2>"$RESULTS/$name.pt.err"
    log "end   pt $name (rc $?) $(tail -1 "$RESULTS/$name.pt.err")"
}

run() {
    case "$1" in
        probe)
            for cfg in "vgg11/4 56" "nin 96" "regnetx32 32" "regnetx32 48"; do
                set -- $cfg; local t="probe-${1/\//-}-$2"
                nb "$t" "$1" "$2" 1 --limit-train 2560 --limit-val 1280 --seed 0
                pt "$t" "$1" "$2" 1 --limit-train 2560 --limit-val 1280 --seed 0
            done
            nb probe-vgg11-4-84 vgg11/4 84 1 --limit-train 2560 --limit-val 1280 --seed 0 ;;
        # 3. RegNetX32 (seed 003), lr 0.05 at 32x32 (2 epochs), and a second seed (1 epoch) for the run-to-run noise
        regnet)       nb regnet32-s0 regnetx32 32 2 --lr 0.05 --seed 0; pt regnet32-s0 regnetx32 32 2 --lr 0.05 --seed 0 ;;
        regnet-seed1) nb regnet32-s1 regnetx32 32 1 --lr 0.05 --seed 1; pt regnet32-s1 regnetx32 32 1 --lr 0.05 --seed 1 ;;
        # 1. VGG-11/4 (seed 000), lr 0.01, at 56
        vgg56)        nb vgg56 vgg11/4 56 1 --lr 0.01 --seed 0 ;;
        vgg56-pt)     pt vgg56 vgg11/4 56 1 --lr 0.01 --seed 0 ;;
        # 4. the resolution exercise at the learning rate of seed 002's 224/96 answers (0.05): lr 0.01 stays at chance
        #    for the whole first epoch (run vgg56 above)
        res32)        nb res32 vgg11/4 32 1 --lr 0.05 --seed 0 ;;
        res56)        nb res56 vgg11/4 56 1 --lr 0.05 --seed 0 ;;
        res84)        nb res84 vgg11/4 84 1 --lr 0.05 --seed 0 ;;
        res56-pt)     pt res56 vgg11/4 56 1 --lr 0.05 --seed 0 ;;   # the PyTorch twin of res56: a VGG pair that learns
        res56-seed1)  nb res56-s1 vgg11/4 56 1 --lr 0.05 --seed 1; pt res56-s1 vgg11/4 56 1 --lr 0.05 --seed 1 ;;  # its noise
        res56-seed2)  nb res56-s2 vgg11/4 56 1 --lr 0.05 --seed 2; pt res56-s2 vgg11/4 56 1 --lr 0.05 --seed 2 ;;
        # 2. NiN (seed 004), lr 0.05, at 72 (>= 67, NiN's minimum)
        nin)          nb nin72 nin 72 1 --lr 0.05 --seed 0; pt nin72 nin 72 1 --lr 0.05 --seed 0 ;;
        # deviation from the seed (lr 0.1 instead of 0.05), to see whether NiN leaves chance level in one epoch
        nin-lr0.1)    nb nin72-lr0.1 nin 72 1 --lr 0.1 --seed 0; pt nin72-lr0.1 nin 72 1 --lr 0.1 --seed 0 ;;
        # The ten-epoch pairs (the seeds' epoch count), one run at a time on an otherwise idle machine
        ten-regnet)   nb ten-regnet32 regnetx32 32 10 --lr 0.05 --seed 0; pt ten-regnet32 regnetx32 32 10 --lr 0.05 --seed 0 ;;
        ten-vgg56)    nb ten-vgg56 vgg11/4 56 10 --lr 0.05 --seed 0; pt ten-vgg56 vgg11/4 56 10 --lr 0.05 --seed 0 ;;
        ten-nin72)    nb ten-nin72 nin 72 10 --lr 0.1 --seed 0; pt ten-nin72 nin 72 10 --lr 0.1 --seed 0 ;;
        ten-vgg56-pt) pt ten-vgg56 vgg11/4 56 10 --lr 0.05 --seed 0 ;;   # the PyTorch half alone
        ten-nin72-nb) nb ten-nin72 nin 72 10 --lr 0.1 --seed 0 ;;         # the halves alone (they ran side by side)
        ten-nin72-pt) pt ten-nin72 nin 72 10 --lr 0.1 --seed 0 ;;
        # the resolution exercise past the plateau: 32 and 84 for three epochs (the 56 run's first three epochs are the
        # ten-vgg56 run's: constant lr, same seed)
        three-res32)  nb three-res32 vgg11/4 32 3 --lr 0.05 --seed 0 ;;
        three-res84)  nb three-res84 vgg11/4 84 3 --lr 0.05 --seed 0 ;;
        # run-to-run noise: RegNetX32 at 32 with two more seeds per framework, three epochs (seed 0 is ten-regnet)
        three-regnet-s1) nb three-regnet32-s1 regnetx32 32 3 --lr 0.05 --seed 1; pt three-regnet32-s1 regnetx32 32 3 --lr 0.05 --seed 1 ;;
        three-regnet-s2) nb three-regnet32-s2 regnetx32 32 3 --lr 0.05 --seed 2; pt three-regnet32-s2 regnetx32 32 3 --lr 0.05 --seed 2 ;;
        # the same seed-0 RegNetX32 recipe on a later engine (run it with NB_BIN pointing at that build): the first three
        # epochs of ten-regnet32, to see whether the kernel work changed the training results
        engine-check) nb engine-check-regnet32 regnetx32 32 3 --lr 0.05 --seed 0 ;;
        *) echo "unknown run: $1"; exit 2 ;;
    esac
}

if [ $# -eq 0 ]; then
    set -- regnet vgg56 vgg56-pt res32 res56 nin res84 regnet-seed1 res56-pt nin-lr0.1 res56-seed1 res56-seed2
fi
for r in "$@"; do run "$r"; done
log "all done"
