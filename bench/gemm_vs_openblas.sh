#!/usr/bin/env bash
# SGEMM 1024³ of two NetBlocks builds and of OpenBLAS's own kernel (PyTorch 1.13's torch.mm, OPENBLAS_CORETYPE
# unset so that OpenBLAS picks its AVX-512 kernel, malloc tuned as the peers' harness does), alternating, at 1 and 2
# threads; one line per round: threads, old GFLOP/s, new GFLOP/s, OpenBLAS GFLOP/s (median of 10 after 3 warm-ups).
# Run it on a quiet machine:  bench/gemm_vs_openblas.sh OLD_CLI NEW_CLI [ROUNDS]
set -euo pipefail
old=$1 new=$2 rounds=${3:-5}
gflops() { "$1" bench gemm --size 1024 --threads "$2" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["gflops"])'; }
for th in 1 2; do
  for ((r = 0; r < rounds; r++)); do
    o=$(gflops "$old" "$th"); n=$(gflops "$new" "$th")
    b=$(env -u OPENBLAS_CORETYPE MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=10000000000 \
        OPENBLAS_NUM_THREADS="$th" OMP_NUM_THREADS="$th" /usr/bin/python3 - "$th" <<'PY'
import sys, time, torch
th = int(sys.argv[1]); torch.set_num_threads(th)
a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
for _ in range(3): torch.mm(a, b)
ts = []
for _ in range(10):
    t = time.perf_counter(); torch.mm(a, b); ts.append(time.perf_counter() - t)
ts.sort(); print(round(2 * 1024**3 / ts[5] / 1e9, 1))
PY
)
    echo "$th $o $n $b"
  done
done
