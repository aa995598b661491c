#!/usr/bin/env bash
# A published netblocks with --no-fold appended: the "old" side of bench/ab_builds.sh when timing the inference plan
# (batch norm folded into the convolutions, issue #15) against the same build running the model as declared.
#   NETBLOCKS=/tmp/newbin/NetBlocks.Cli AB_CONFIGS="infer regnetx32 --resize 96" \
#     bench/ab_builds.sh bench/no_fold.sh /tmp/newbin/NetBlocks.Cli 3
exec "${NETBLOCKS:?set NETBLOCKS to a published NetBlocks.Cli}" "$@" --no-fold
