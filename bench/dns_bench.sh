#!/usr/bin/env bash
# Dynamic DNS update latency against a local BIND 9 (issue 5): runs
# dns_update_bench RUNS times (200 updates each, plus 50 whole
# `tandemctl dns set` processes) and keeps the raw output.
# Usage: bench/dns_bench.sh [BUILD_DIR] [OUT_DIR] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
OUT=${2:-bench/results/$(date -u +%F)/dns1}
RUNS=${3:-3}
mkdir -p "$OUT"
{
  echo "# $(date -u +%FT%TZ) $(uname -r) nproc=$(nproc) $(named -v)"
  echo "# $BUILD/bench/dns_update_bench --updates 200 --tandemctl $BUILD/src/exe/tandemctl --ctl-runs 50 --json"
} >"$OUT/README.txt"
for run in $(seq 1 "$RUNS"); do
  "$BUILD/bench/dns_update_bench" --updates 200 --tandemctl "$BUILD/src/exe/tandemctl" \
    --ctl-runs 50 --json >>"$OUT/results.jsonl" 2>>"$OUT/summary.txt"
  echo "--- run $run done" >>"$OUT/summary.txt"
done
cat "$OUT/summary.txt"
