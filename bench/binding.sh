#!/usr/bin/env bash
# One node of a cluster in a box (tests/cluster/box.sh) with both CPUs of this machine, one
# rank running 2 worker threads: the same work with --bind compact (each worker, and its
# tasks, on a CPU of its own) against --bind none (the OS places them). Prints the medians and
# ranges of REPS interleaved repetitions: `amorsize bench` efficiency, wall-clock items and CPU
# items (--work cpu), and `amorsize run` tasks per second. Needs what the box needs (root,
# cgroup v1 cpuset, UTS namespaces).
#   bash bench/binding.sh [REPS]      (default 5)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/box_node.sh"
seq 1 400 > tasks.txt
for rep in $(seq "$reps"); do
  for bind in compact none; do
    box mpirun -np 1 "$amorsize" bench --workload exp:mean=1ms,n=4000 --bind $bind --json \
      >"wall-$bind-$rep.json"
    box mpirun -np 1 "$amorsize" bench --workload exp:mean=1ms,n=4000 --work cpu --bind $bind \
      --json >"cpu-$bind-$rep.json"
    box mpirun -np 1 "$amorsize" run --tasks tasks.txt --output out.txt --bind $bind \
      --summary "run-$bind-$rep.json" --quiet \
      -- awk 'BEGIN { for (i = 0; i < 200000; i++) s += i; print ARGV[1] }' {}
  done
done
/usr/bin/python3 - "$reps" <<'PY'
import json, statistics, sys
reps = int(sys.argv[1])
def med(kind, bind, key):
    vals = [key(json.load(open("%s-%s-%d.json" % (kind, bind, r)))) for r in range(1, reps + 1)]
    return statistics.median(vals), min(vals), max(vals)
print("| --bind | bench efficiency (wall items) | bench efficiency (--work cpu) | run tasks/s |")
print("|---|---:|---:|---:|")
rows = {}
for bind in ("compact", "none"):
    w = med("wall", bind, lambda j: j["efficiency"])
    c = med("cpu", bind, lambda j: j["drawn_efficiency"])
    t = med("run", bind, lambda j: j["done"] / j["makespan_s"])
    rows[bind] = (w, c, t)
    print("| %s | %.3f (%.3f-%.3f) | %.3f (%.3f-%.3f) | %.0f (%.0f-%.0f) |" % ((bind,) + w + c + t))
print("compact - none: efficiency %+.3f (wall items), %+.3f (cpu items); tasks/s ratio %.3f"
      % (rows["compact"][0][0] - rows["none"][0][0], rows["compact"][1][0] - rows["none"][1][0],
         rows["compact"][2][0] / rows["none"][2][0]))
PY
