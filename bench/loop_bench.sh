#!/usr/bin/env bash
# Repeated loops (build/bench/loop_bench, see loop_bench.cpp): CALLS calls in a row of a loop
# of 20 ms of work rising with the index, on 2 ranks (one per core of this machine), through
# an amorsize::Context, against a hand-written static block split and a fresh amorsize::run
# per call (RUN_CALLS of those: each costs tens of ms). Prints the JSON and a table.
#   bash bench/loop_bench.sh [CALLS] [RUN_CALLS]      (default 500, 50)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
calls=${1:-500}
run_calls=${2:-50}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1
export OMPI_MCA_btl=self,vader OMPI_MCA_mtl=^ofi,psm,psm2
out=$(mpirun -np 2 --bind-to none "$root/build/bench/loop_bench" "$calls" 2000 0.02 "$run_calls")
echo "$out"
/usr/bin/python3 - "$out" <<'PY'
import json, sys
j = json.loads(sys.argv[1])
print("| way | calls | first call | overhead per call (ms): p10 / median / p90 | efficiency: p10 / median / p90 |")
print("|---|---:|---:|---:|---:|")
names = {"context": "amorsize::Loop on a Context", "static": "static blocks (by hand)",
         "run": "a fresh amorsize::run per call"}
for k in ("context", "static", "run"):
    w = j[k]
    print("| %s | %d | %.1f ms | %.3f / %.3f / %.3f | %.3f / %.3f / %.3f |" % (
        names[k], w["calls"], 1e3 * w["first_s"], *w["overhead_ms"], *w["efficiency"]))
print("context: made in %.1f ms; its first run started an item on another rank %.2f ms after the call;"
      " the most any rank waited for a range per call: median %.3f ms, p90 %.3f ms"
      % (1e3 * j["context_setup_s"], 1e3 * j["first_remote_item_s"], j["context"]["max_wait_ms"][1],
         j["context"]["max_wait_ms"][2]))
PY
