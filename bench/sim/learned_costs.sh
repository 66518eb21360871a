#!/usr/bin/env bash
# Item costs learned from a first run's log, at scale under SMPI: each workload runs twice on
# the same simulated cluster, the first with --log --record-items (sampling, items in index
# order), the second planning from that log (no sampling; the items that would end past the
# predicted makespan start first). Prints one Markdown row per run and JSON lines.
#
#   bash bench/sim/learned_costs.sh [--workers 4096] [--cores 32] [--workloads "pareto exp"]
#                                   [--mean 1ms] [--items-per-worker 1000] [--no-build]
#
# 4,096 ranks take 3-10 min of wall time per simulation here (one core); 64 ranks, seconds.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$here/common.sh"
workers=4096 cores=32 workloads="pareto exp" mean=1ms per_worker=1000 build=1
while [ $# -gt 0 ]; do
  case $1 in
    --workers) workers=$2; shift 2 ;;
    --cores) cores=$2; shift 2 ;;
    --workloads) workloads=$2; shift 2 ;;
    --mean) mean=$2; shift 2 ;;
    --items-per-worker) per_worker=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
build_dir="$root/build-smpi"
if [ "$build" = 1 ]; then smpi_build "$root" "$build_dir" > /dev/null || { echo "the SMPI build failed (see above)" >&2; exit 2; }; fi
exe="$build_dir/bench/sim/amorsize"
[ -x "$exe" ] || { echo "no SMPI build at $build_dir" >&2; exit 2; }
dir=$(mktemp -d /tmp/amorsize-learned-XXXXXX)
trap 'rm -rf "$dir"' EXIT
plat="$dir/plat"
"$here/make_platform.py" --nodes $((workers / cores)) --cores "$cores" --out "$plat" > /dev/null
n=$((workers * per_worker))
echo "| ranks | workload | run | planned from | started first | efficiency | makespan / bound |"
echo "|---:|---|---|---|---:|---:|---|"
for w in $workloads; do
  spec="$w:mean=$mean,n=$n"
  for run in 1 2; do
    t0=$(date +%s)
    smpirun -np "$workers" -platform "$plat.xml" -hostfile "$plat.hosts" "${AMORSIZE_SMPI_FLAGS[@]}" \
      "$exe" bench --workload "$spec" --json --log "$dir/$w.h5" --record-items \
      > "$dir/$w-$run.json" 2> "$dir/$w-$run.err"
    status=$?
    wall=$(( $(date +%s) - t0 ))
    if [ $status -ne 0 ]; then
      echo "| $workers | $spec | $run | ERR (exit $status): $(tail -c 300 "$dir/$w-$run.err" | tr '\n' ' ') |"
      continue
    fi
    /usr/bin/python3 - "$dir/$w-$run.json" "$workers" "$spec" "$run" "$wall" << 'PY'
import json, sys
path, workers, spec, run, wall = sys.argv[1:]
j = json.loads([l for l in open(path) if l.startswith("{")][-1])
reasons = j["plan"]["reasons"]
history = any("from history" in r for r in reasons)
first = next((r for r in reasons if r.startswith("started first")), "")
count = first.split(": ")[1].split(" item")[0] if first else "0"
print(f"| {workers} | {spec} | {run} | {'history' if history else 'sample'} | {count} "
      f"| {j['efficiency']:.3f} | {j['makespan_s']:.3f} / {j['lower_bound_s']:.3f} s |")
print(json.dumps({"workers": int(workers), "workload": spec, "run": int(run),
                  "efficiency": j["efficiency"], "makespan_s": j["makespan_s"],
                  "lower_bound_s": j["lower_bound_s"], "started_first": first,
                  "exactly_once": j.get("exactly_once"), "wall_s": int(wall)}), file=sys.stderr)
PY
  done
done
