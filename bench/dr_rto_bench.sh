#!/usr/bin/env bash
# Disaster-recovery RTO per scenario (issue 5): runs the lab scenario test
# (test/integration/dr_scenario_test.sh, one fresh lab per run) RUNS times
# per scenario and summarizes two figures per scenario:
#   kill->write  from the failure (lab kill) to the first write accepted
#                through the framework names, the runbook started at once
#                (switchover: the longest time without an accepted write);
#   runbook RTO  what the runbook's report says (its start -> the new
#                region takes writes).
# Root required. Usage: bench/dr_rto_bench.sh [BUILD_DIR] [OUT_DIR] [RUNS] [SCENARIO...]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
OUT=${2:-bench/results/$(date -u +%F)/dr1}
RUNS=${3:-3}
shift 3 2>/dev/null || shift $#
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(full framework dbms switchover)
mkdir -p "$OUT"
{
  echo "# $(date -u +%FT%TZ) $(uname -r) nproc=$(nproc)"
  echo "# bench/dr_rto_bench.sh $BUILD $OUT $RUNS ${SCENARIOS[*]}"
} >"$OUT/README.txt"
: >"$OUT/results.txt"
for s in "${SCENARIOS[@]}"; do
  for run in $(seq 1 "$RUNS"); do
    if ! bash test/integration/dr_scenario_test.sh "$s" --build "$BUILD" --results "$OUT/results.txt" \
      >"$OUT/$s-$run.log" 2>&1; then
      echo "$s run $run: the scenario test failed (see $OUT/$s-$run.log)" | tee -a "$OUT/README.txt"
    fi
  done
done
python3 - "$OUT/results.txt" <<'PY' | tee "$OUT/summary.txt"
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    s, kill, rb = line.split()
    rows.setdefault(s, []).append((float(kill) if kill != "?" else None, float(rb)))
print("%-11s %4s %22s %22s" % ("scenario", "runs", "kill->write s (med/max)", "runbook RTO s (med/max)"))
for s, v in rows.items():
    k = [x for x, _ in v if x is not None]
    r = [y for _, y in v]
    print("%-11s %4d %14.1f / %5.1f %14.1f / %5.1f" % (s, len(v), statistics.median(k), max(k),
                                                   statistics.median(r), max(r)))
PY
