#!/usr/bin/env bash
# The one script to run on the GPU machine (issue #12): it has the NVIDIA driver but no .NET, so it runs a published,
# self-contained netblocks (docs/PERFORMANCE.md, "On a GPU machine": how to publish and carry it). In order, each result
# one JSON file under $OUT (its stderr beside it as NAME.log), stopping loudly at the first error:
#   devices.json           netblocks devices --json
#   verify.json            netblocks devices --verify --json (the CI's kernel checks on each GPU, within 1e-4)
#   train-MODEL-RES.json   netblocks bench train MODEL --resize RES --batch 128 --device cuda --json
#                          for vgg11/4 at 224 and 96, nin at 96, regnetx32 at 96
#   infer-MODEL-RES.json   netblocks bench infer, the same four at batch 128
#   gemm-4096.json         netblocks bench gemm --size 4096 (64 with SMOKE=1) --device cuda --json (the tiled SGEMM's GFLOP/s against
#                          the ~67 TFLOP/s fp32 ceiling, and its largest error against the CPU's product)
#   recipe.json            seed 002's VGG recipe end to end: netblocks train vgg11/4 --resize 224 --epochs 10
#                          --batch 128 --lr 0.05 --device cuda --json (every epoch's metrics, test accuracy included)
#   recipe-eval.json       netblocks eval of the recipe's model on the 10,000 test images, on the device
#   wall.json              each step's wall time in seconds (the recipe's is its end-to-end time)
#
#   NETBLOCKS=/path/to/netblocks DATA=/dir/with/the/four/.gz OUT=/dir/for/results bench/gpu.sh
#
# Optional: STAGES (default "verify bench recipe"; any of them, in that order, to split the work over several calls of
# at most 10 minutes each; devices.json is always written), RUNS (where the recipe's run folder goes, default $OUT/runs:
# its checkpoints hold ~170 MB of VGG weights, so point it outside a folder that is copied back), DEVICE (default cuda;
# cpu for a local check), SMOKE=1 (a check of the script itself in seconds: 1 timed step after none, batch 4, and the
# recipe on 8 training and 8 test images for 1 epoch; its figures mean nothing).
# With DEVICE=cpu the verification is skipped (there is nothing to verify) and verify.json says so.
# Every error stops the script at once with the failing command's exit code and the end of its log, with one exception:
# a verification that ran and found a check over its tolerance (exit 2) is a result, not a broken run; the script says
# so loudly, still measures (GPU time is scarce), and exits 2 at the end.
set -euo pipefail

NETBLOCKS="${NETBLOCKS:?set NETBLOCKS to the published netblocks binary}"
DATA="${DATA:?set DATA to the folder with the four Fashion-MNIST .gz files}"
OUT="${OUT:?set OUT to the folder the results go to}"
DEVICE="${DEVICE:-cuda}"
SMOKE="${SMOKE:-0}"
STAGES=" ${STAGES:-verify bench recipe} "
RUNS="${RUNS:-$OUT/runs}"
for s in $STAGES; do
  case "$s" in verify|bench|recipe) ;; *) echo "gpu.sh: unknown stage '$s' in STAGES (verify, bench, recipe)" >&2; exit 1;; esac
done

[ -x "$NETBLOCKS" ] || { echo "gpu.sh: NETBLOCKS=$NETBLOCKS is not an executable file" >&2; exit 1; }
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [ -f "$DATA/$f.gz" ] || [ -f "$DATA/$f" ] || { echo "gpu.sh: DATA=$DATA has no $f(.gz)" >&2; exit 1; }
done
mkdir -p "$OUT"
# A single-file netblocks unpacks its native libraries (SQLite) on first start; keep that out of a read-only home.
export DOTNET_BUNDLE_EXTRACT_BASE_DIR="${DOTNET_BUNDLE_EXTRACT_BASE_DIR:-${TMPDIR:-/tmp}/netblocks-bundle}"

if [ "$SMOKE" = 1 ]; then
  BATCH=4; GEMM_SIZE=64; STEPS=(--steps 1 --warmup 0); RECIPE=(--epochs 1 --batch 4 --limit-train 8 --limit-val 8)
else
  BATCH=128; GEMM_SIZE=4096; STEPS=(); RECIPE=(--epochs 10 --batch 128)
fi

log() { echo "[gpu.sh $(date -u +%H:%M:%S)] $*" >&2; }
declare -a WALL=()

# step NAME ARGS...: runs netblocks ARGS, its stdout into $OUT/NAME.json and stderr into $OUT/NAME.log; on failure
# prints the log's end and stops the script with the command's exit code (unless that code is $TOLERATE).
TOLERATE=none
VERIFY_FAILED=0
step() {
  local name="$1"; shift
  log "$name: netblocks $*"
  local start end rc=0
  start=$(date +%s.%N)
  "$NETBLOCKS" "$@" > "$OUT/$name.json" 2> "$OUT/$name.log" || rc=$?
  end=$(date +%s.%N)
  WALL+=("\"$name\": $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')")
  if [ "$rc" -ne 0 ] && [ "$rc" = "$TOLERATE" ]; then
    log "FAILED CHECKS: $name exited with $rc; see $OUT/$name.json. Measuring on regardless; the script will exit $rc"
    VERIFY_FAILED=$rc
  elif [ "$rc" -ne 0 ]; then
    log "FAILED: $name exited with $rc; the end of $OUT/$name.log:"
    tail -n 30 "$OUT/$name.log" >&2
    write_wall
    exit "$rc"
  fi
  [ -s "$OUT/$name.json" ] || { log "FAILED: $name printed no JSON"; write_wall; exit 1; }
}

write_wall() { (IFS=,; echo "{${WALL[*]}}") > "$OUT/wall.json"; }

has() { [[ "$STAGES" == *" $1 "* ]]; }

step devices devices --json
if ! has verify; then
  :
elif [ "$DEVICE" = cpu ]; then
  log "verify: skipped (DEVICE=cpu: no CUDA device to verify)"
  echo '{"skipped": "DEVICE=cpu"}' > "$OUT/verify.json"
else
  TOLERATE=2 step verify devices --verify --json
fi

has bench && for config in "vgg11/4 224" "vgg11/4 96" "nin 96" "regnetx32 96"; do
  read -r model res <<< "$config"
  tag="${model//\//-}-$res"
  step "train-$tag" bench train "$model" --resize "$res" --batch "$BATCH" "${STEPS[@]}" --device "$DEVICE" --json
done
has bench && for config in "vgg11/4 224" "vgg11/4 96" "nin 96" "regnetx32 96"; do
  read -r model res <<< "$config"
  tag="${model//\//-}-$res"
  step "infer-$tag" bench infer "$model" --resize "$res" --batch "$BATCH" "${STEPS[@]}" --device "$DEVICE" --json
done

has bench && step "gemm-$GEMM_SIZE" bench gemm --size "$GEMM_SIZE" --steps 5 --device "$DEVICE" --json

if has recipe; then
  step recipe train vgg11/4 --resize 224 --lr 0.05 "${RECIPE[@]}" --data "$DATA" --out "$RUNS" --device "$DEVICE" --json
  checkpoint=$(sed -n 's/.*"checkpoint":"\([^"]*\)".*/\1/p' "$OUT/recipe.json" | tail -n 1)
  [ -n "$checkpoint" ] || { log "FAILED: recipe.json names no checkpoint"; write_wall; exit 1; }
  eval_limit=(); [ "$SMOKE" = 1 ] && eval_limit=(--limit 8)
  step recipe-eval eval "$checkpoint" --data "$DATA" "${eval_limit[@]}" --device "$DEVICE" --json
fi

write_wall
if [ "$VERIFY_FAILED" -ne 0 ]; then
  log "done, but the device verification FAILED (see $OUT/verify.json): results in $OUT"
  exit "$VERIFY_FAILED"
fi
log "done: results in $OUT"
