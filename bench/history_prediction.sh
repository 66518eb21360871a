#!/usr/bin/env bash
# Prediction quality: runs one workload RUNS times with --log and prints, per run, the plan's
# predicted makespan next to the measured one, and whether the plan came from history.
# The target: error under 15% from the second run on.
#   bench/history_prediction.sh [--np P] [--workload SPEC] [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
np=3 runs=5 workload="exp:mean=1ms,n=3000"
while [ $# -gt 0 ]; do
  case $1 in
    --np) np=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --workload) workload=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1 \
       OMPI_MCA_btl=self,vader OMPI_MCA_mtl='^ofi,psm,psm2'
log=$(mktemp -d)/history.h5
echo "workload $workload, $runs runs on -np $np, log $log"
printf '%4s %-8s %12s %12s %8s %6s\n' run plan predicted measured error eff
for r in $(seq 1 "$runs"); do
  mpirun -np "$np" --oversubscribe --bind-to none build/apps/amorsize bench \
    --workload "$workload" --log "$log" --json |
    /usr/bin/python3 -c '
import json, sys
r = int(sys.argv[1]); j = json.loads(sys.stdin.readline()); p = j["plan"]
pred = p["predicted_makespan_seconds"] or 0; meas = j["makespan_s"]
src = "history" if any("from history" in x for x in p["reasons"]) else "sampled"
print("%4d %-8s %11.3fs %11.3fs %7.1f%% %6.3f" % (r, src, pred, meas, 100 * (meas - pred) / meas, j["efficiency"]))
' "$r"
done
