#!/usr/bin/env bash
# Every configuration issue #15 sets a target for, side by side with every tuned CPU peer in one run
# (../shared/peers/side_by_side.py: NetBlocks, PyTorch 1.13, PyTorch 2.6, TorchSharp 0.107, ONNX Runtime 1.31.1;
# each in a fresh process, the engines' order rotating every round; malloc tuned, OpenBLAS on its own kernel).
# The harness's built-in list covers 96×96, 224×224 and inference; this adds the resolutions users train at on a
# CPU — vgg11/4 @56, nin @72, regnetx32 @32 (the README's main job) and @28 (the design study's resolution; the
# peers build only the seed's three networks, so regnetx32 stands for the study's 28×28 RegNets).
#
#   bash ../shared/peers/setup_peers.sh                       # once per machine, as root (~10 min)
#   dotnet publish src/NetBlocks.Cli -c Release -o /tmp/nb     # a published build: no `dotnet run` startup in the timing
#   NETBLOCKS=/tmp/nb/NetBlocks.Cli bench/peers.sh [ROUNDS] [extra side_by_side.py flags, e.g. --skip pytorch-2.6]
#   PEERS_CONFIGS="train:nin:72:128 infer:nin:96:1" bench/peers.sh 3          # a subset
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
nb=${NETBLOCKS:?set NETBLOCKS to a published NetBlocks.Cli (or \"dotnet path/NetBlocks.Cli.dll\")}
rounds=${1:-2}; shift || true
configs=${PEERS_CONFIGS:-"train:vgg11/4:96:128 train:nin:96:128 train:regnetx32:96:128
  train:vgg11/4:224:128 train:nin:224:128
  train:vgg11/4:56:128 train:nin:72:128 train:regnetx32:32:128 train:regnetx32:28:128
  infer:vgg11/4:96:128 infer:nin:96:128 infer:regnetx32:96:128
  infer:vgg11/4:96:1 infer:nin:96:1 infer:regnetx32:96:1"}
only=(); for c in $configs; do only+=(--only "$c"); done
exec /usr/bin/python3 "$here/../../shared/peers/side_by_side.py" "$nb" --rounds "$rounds" "${only[@]}" "$@"
