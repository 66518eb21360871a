#!/usr/bin/env bash
# One node of a cluster in a box (tests/cluster/box.sh) with both CPUs of this machine: the
# same work with one rank running 2 worker threads against 2 ranks of one worker each.
# Prints the medians of REPS interleaved repetitions: `amorsize bench` efficiency (and
# drawn_efficiency) and `amorsize run` tasks per second. Needs what the box needs (root,
# cgroup v1 cpuset, UTS namespaces).
#   bash bench/threads_vs_ranks.sh [REPS]      (default 5)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/box_node.sh"
seq 1 400 > tasks.txt
for rep in $(seq "$reps"); do
  for mode in threads ranks; do
    np=$([ $mode = threads ] && echo 1 || echo 2)
    box mpirun -np $np "$amorsize" bench --workload exp:mean=1ms,n=4000 --json >"bench-$mode-$rep.json"
    box mpirun -np $np "$amorsize" run --tasks tasks.txt --output out.txt --summary "run-$mode-$rep.json" \
      --quiet -- awk 'BEGIN { for (i = 0; i < 200000; i++) s += i; print ARGV[1] }' {}
  done
done
/usr/bin/python3 - "$reps" <<'PY'
import json, statistics, sys
reps = int(sys.argv[1])
def med(mode, kind, key):
    vals = []
    for r in range(1, reps + 1):
        j = json.load(open("%s-%s-%d.json" % (kind, mode, r)))
        vals.append(key(j))
    return statistics.median(vals), min(vals), max(vals)
print("| launch | bench efficiency | bench drawn_efficiency | run tasks/s |")
print("|---|---:|---:|---:|")
rows = {}
for mode, label in (("threads", "1 rank, 2 worker threads"), ("ranks", "2 ranks, 1 worker each")):
    e = med(mode, "bench", lambda j: j["efficiency"])
    d = med(mode, "bench", lambda j: j["drawn_efficiency"])
    t = med(mode, "run", lambda j: j["done"] / j["makespan_s"])
    rows[mode] = (e, d, t)
    print("| %s | %.3f (%.3f-%.3f) | %.3f (%.3f-%.3f) | %.0f (%.0f-%.0f) |" % ((label,) + e + d + t))
print("threads - ranks: efficiency %+.3f, drawn %+.3f, tasks/s ratio %.3f"
      % (rows["threads"][0][0] - rows["ranks"][0][0], rows["threads"][1][0] - rows["ranks"][1][0],
         rows["threads"][2][0] / rows["ranks"][2][0]))
PY
