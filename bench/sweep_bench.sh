#!/usr/bin/env bash
# A parameter sweep run again: what the per-task model and long-work-first buy.
#
#   bash bench/sweep_bench.sh [--np P] [--keep]          (about 1 minute)
#
# The sweep: 200 tasks `spin --size N --seed S` in shuffled order, N from 20 to 180, each
# burning N/2 ms of its own CPU (about 50 ms on average, 10 s in all), then one outlier of
# 4 s (N = 8000; 28% of the work), last in the file. (On 2 cores, two equal outliers at the end
# would each take a core at the same time, and their order would not matter.) spin is a small
# C program compiled here (bench/sweep/spin.c).
#   run 1   amorsize run --log LOG: no history, so it samples; the outliers start last.
#   run 2   the same file again: planned per task from the log, outliers started first.
#   run 3   a new file of the same command: 200 new lines (odd sizes, new seeds) and new
#           outlier (N = 7800), predicted from their nearest earlier lines.
#   GNU parallel -j P -k on the run-1 file, as a peer.
# Efficiency = max(work / cores, longest task) / makespan, the work being the tasks' CPU time
# by construction (N/2 ms each); amorsize's makespan is its own (--summary), and "wall" is
# the whole command from spawn to exit for both tools (mpirun's start-up included).
# Prediction error: every distinct line of the log predicted from all the others
# (leave-one-out, bench/task_prediction.cpp), for this sweep and for a second sweep of two
# parameters (`spin --rows R --cols C`, R*C/100 ms, 200 tasks, run once with --log).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NP=2
KEEP=0
while [ $# -gt 0 ]; do
  case $1 in
    --np) NP=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
AMORSIZE=$ROOT/build/apps/amorsize
PREDICT=$ROOT/build/bench/task_prediction
for b in "$AMORSIZE" "$PREDICT"; do
  [ -x "$b" ] || { echo "build first: cmake --build build ($b is missing)" >&2; exit 2; }
done
command -v parallel > /dev/null || { echo "GNU parallel is missing (apt-get install parallel)" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1 \
       OMPI_MCA_btl=self,vader OMPI_MCA_mtl='^ofi,psm,psm2'
DIR=$(mktemp -d /tmp/amorsize-sweep-XXXXXX)
[ "$KEEP" = 1 ] || trap 'rm -rf "$DIR"' EXIT
cc -O2 -o "$DIR/spin" "$ROOT/bench/sweep/spin.c"

/usr/bin/python3 - "$DIR" << 'EOF'
import random, sys
d = sys.argv[1]
r = random.Random(1)
def write(name, lines):
    open(f"{d}/{name}", "w").write("\n".join(lines) + "\n")
def sweep(sizes, outliers, seed):
    lines = [f"{d}/spin --size {s} --seed {(seed + i) % 97}" for i, s in enumerate(sizes)]
    r.shuffle(lines)
    return lines + [f"{d}/spin --size {o} --seed {seed}" for o in outliers]
write("sweep1.txt", sweep([r.randrange(20, 181, 2) for _ in range(200)], [8000], 1))
write("sweep3.txt", sweep([r.randrange(21, 181, 2) for _ in range(200)], [7800], 50))
grid = [f"{d}/spin --rows {r.randrange(10, 81)} --cols {r.randrange(10, 81)}" for _ in range(200)]
write("grid.txt", grid)
EOF

# The lower bound of a task file on NP cores, from the tasks' own CPU time.
bound() {
  /usr/bin/python3 - "$1" "$NP" << 'EOF'
import re, sys
ms = []
for line in open(sys.argv[1]):
    m = re.search(r"--size (\d+)", line)
    if m: ms.append(int(m.group(1)) / 2); continue
    m = re.search(r"--rows (\d+) --cols (\d+)", line)
    ms.append(int(m.group(1)) * int(m.group(2)) / 100)
print("%.4f %.4f" % (sum(ms) / 1000, max(max(ms) / 1000, sum(ms) / 1000 / int(sys.argv[2]))))
EOF
}

now() { date +%s.%N; }
amorsize_run() {  # file log name
  local t0 t1
  t0=$(now)
  mpirun -np "$NP" --oversubscribe --bind-to none "$AMORSIZE" run --tasks "$DIR/$1" \
    --output "$DIR/$3.out" --log "$DIR/$2" --summary "$DIR/$3.json" --explain --quiet \
    2> "$DIR/$3.err"
  t1=$(now)
  echo "$t0 $t1" > "$DIR/$3.wall"
}

amorsize_run sweep1.txt sweep.h5 run1
amorsize_run sweep1.txt sweep.h5 run2
amorsize_run sweep3.txt sweep.h5 run3
t0=$(now)
parallel --will-cite -j "$NP" -k < "$DIR/sweep1.txt" > "$DIR/parallel.out"
t1=$(now)
echo "$t0 $t1" > "$DIR/parallel.wall"
amorsize_run grid.txt grid.h5 grid

for f in run1 run2 run3 parallel; do
  [ "$(wc -l < "$DIR/$f.out")" = 201 ] || { echo "$f: $(wc -l < "$DIR/$f.out") output lines, not 201" >&2; exit 1; }
done
cmp -s "$DIR/run1.out" "$DIR/run2.out" || { echo "run 2's output differs from run 1's" >&2; exit 1; }
cmp -s "$DIR/run1.out" "$DIR/parallel.out" || { echo "parallel's output differs from run 1's" >&2; exit 1; }

/usr/bin/python3 - "$DIR" "$(bound "$DIR/sweep1.txt")" "$(bound "$DIR/sweep3.txt")" \
  "$("$PREDICT" "$DIR/sweep.h5")" "$("$PREDICT" "$DIR/grid.h5")" "$NP" << 'EOF'
import json, sys
d, b1, b3, loo1, loo2, np = sys.argv[1:7]
bounds = {"1": [float(x) for x in b1.split()], "3": [float(x) for x in b3.split()]}
def wall(name):
    t0, t1 = map(float, open(f"{d}/{name}.wall").read().split())
    return t1 - t0
print(f"sweep on {np} cores; bound = max(work / cores, longest task)\n")
print("| run | planned | makespan | efficiency | wall | wall efficiency |")
print("|---|---|---:|---:|---:|---:|")
rows = []
for name, file, what in [("run1", "1", "1: sampled"), ("run2", "1", "2: history, same lines"),
                         ("run3", "3", "3: history, new lines")]:
    s = json.load(open(f"{d}/{name}.json"))
    err = open(f"{d}/{name}.err").read()
    planned = "per task" if "planned per task" in err else "sampled" if "sampl" in err else "history"
    first = "started first" in err
    lb = bounds[file][1]
    print(f"| {what} | {planned}{', outliers first' if first else ''} | {s['makespan_s']:.2f} s "
          f"| {lb / s['makespan_s']:.3f} | {wall(name):.2f} s | {lb / wall(name):.3f} |")
    rows.append({"run": name, "makespan_s": s["makespan_s"], "wall_s": wall(name),
                 "bound_s": lb, "efficiency": lb / s["makespan_s"], "started_first": first})
lb = bounds["1"][1]
print(f"| GNU parallel -j{np} -k, run-1 file | - | - | - | {wall('parallel'):.2f} s "
      f"| {lb / wall('parallel'):.3f} |")
print()
a, b = json.loads(loo1), json.loads(loo2)
print("| prediction, leave-one-out | lines | median error | p90 error | mean confidence |")
print("|---|---:|---:|---:|---:|")
print(f"| sweep (`--size`, runs 1-3) | {a['predicted']} | {100 * a['median_error']:.1f}% "
      f"| {100 * a['p90_error']:.1f}% | {a['mean_confidence']:.2f} |")
print(f"| grid (`--rows --cols`, one run) | {b['predicted']} | {100 * b['median_error']:.1f}% "
      f"| {100 * b['p90_error']:.1f}% | {b['mean_confidence']:.2f} |")
print(json.dumps({"runs": rows, "parallel_wall_s": wall("parallel"), "loo_sweep": a,
                  "loo_grid": b}))
EOF
