#!/usr/bin/env bash
# Multi-node behaviour in a cluster in a box (box.sh): one case per argument.
#   box_test.sh AMORSIZE CASE
# Exits 77 (skipped) where the box cannot run: no root, no UTS namespaces, no cpuset cgroup.
set -uo pipefail
amorsize=$1 case=$2
here=$(cd "$(dirname "$0")" && pwd)
export AMORSIZE_BOX=$(mktemp -d /tmp/amorsize-box-test.XXXXXX)
work=$(mktemp -d)
box() { "$here/box.sh" "$@"; }
trap 'box stop >/dev/null 2>&1; rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }
box check || exit 77

# Most items running at once on each node, from the log's chunk timeline.
concurrency() {
  /usr/bin/python3 - "$1" <<'PY'
import h5py, sys
with h5py.File(sys.argv[1], "r") as f:
    runs = f["runs"]
    chunks = runs[sorted(runs.keys())[-1]]["chunks"][:]
most = {}
for node in sorted(set(int(n) for n in chunks["node"])):
    events = []
    for c in chunks[chunks["node"] == node]:
        events += [(float(c["start"]), 1), (float(c["end"]), -1)]
    level = peak = 0
    for _, step in sorted(events, key=lambda e: (e[0], e[1])):
        level += step
        peak = max(peak, level)
    most[node] = peak
print(" ".join(str(most[n]) for n in sorted(most)))
PY
}

# The planned workers per node, from bench --json.
workers() {
  /usr/bin/python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(" ".join(str(n["workers"]) for n in j["plan"]["nodes"]))' "$1"
}

# A box node's memory cgroup: its total_rss, its OOM kills (memory.oom_control), its peak
# total_rss sampled every 20 ms until killed.
memory_dir() {
  echo "/sys/fs/cgroup/memory$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup | sed 's:/$::')/amorsize-box-$1"
}
rss() { awk '$1 == "total_rss" {print $2}' "$(memory_dir "$1")/memory.stat" 2>/dev/null || echo 0; }
oom_kills() { awk '$1 == "oom_kill" {print $2}' "$(memory_dir "$1")/memory.oom_control" 2>/dev/null || echo 0; }
watch_peak() {
  local peak=0 now
  trap 'echo $peak; exit 0' TERM
  while :; do
    now=$(rss "$1")
    [ "${now:-0}" -gt "$peak" ] && peak=$now
    sleep 0.02
  done
}
json() {  # FILE KEY [INDEX]
  python3 -c 'import json, sys; v = json.load(open(sys.argv[1]))[sys.argv[2]]; print(v[int(sys.argv[3])] if len(sys.argv) > 3 else v)' "$@"
}
# Waits until NODE's total_rss passes MIB (a filler is resident), at most 20 s.
wait_rss() {
  local i
  for i in $(seq 1 400); do
    [ "$(rss "$1")" -gt $(($2 << 20)) ] && return 0
    sleep 0.05
  done
  fail "$1's total_rss never passed $2 MiB (it is $(rss "$1"))"
}

bench() {  # RANKS: one rank per node
  box mpirun -np "$1" --map-by node "$amorsize" bench --workload const:mean=2ms,n=3000 \
    --log run.h5 --json >bench.json 2>err.txt || fail "bench exit: $(tail -3 err.txt)"
  python3 -c 'import json, sys; assert json.load(open("bench.json"))["exactly_once"]' ||
    fail "not every item exactly once"
}

case $case in
two_nodes_two_cpus)
  # 2 nodes of 2 CPUs, one rank per node: 2 workers on each, 2 items at once on each.
  box start nodeA:0-1 nodeB:0-1 >/dev/null || fail "box start"
  bench 2
  [ "$(workers bench.json)" = "2 2" ] || fail "planned workers per node: $(workers bench.json)"
  [ "$(concurrency run.h5)" = "2 2" ] || fail "items at once per node: $(concurrency run.h5)"
  placed=$(python3 -c 'import json; print(" ".join("%d/%d" % (n["ranks"], n["threads"]) for n in json.load(open("bench.json"))["plan"]["nodes"]))')
  [ "$placed" = "1/2 1/2" ] || fail "ranks/threads per node in the plan: $placed"
  echo "2 nodes x 2 CPUs, 1 rank each: workers $(workers bench.json), at once $(concurrency run.h5), ranks/threads $placed"
  ;;
three_nodes_1_2_1)
  # Nodes of 1, 2 and 1 CPUs, rank 0 on the first, one rank per node. The last node also has a
  # memory limit (2 GiB) and a CPU quota (90% of a CPU): the box sets them in its cgroups.
  box start nodeA:0 nodeB:0-1 nodeC:1:2048:90 >/dev/null || fail "box start"
  bench 3
  [ "$(workers bench.json)" = "1 2 1" ] || fail "planned workers per node: $(workers bench.json)"
  set -- $(concurrency run.h5)
  [ "${2:-0}" = 2 ] || fail "the middle node ran ${2:-0} items at once, not 2 ($*)"
  memory=$(cat /sys/fs/cgroup/memory"$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)"/amorsize-box-nodeC/memory.limit_in_bytes 2>/dev/null)
  quota=$(cat /sys/fs/cgroup/cpu"$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ {print $3}' /proc/self/cgroup)"/amorsize-box-nodeC/cpu.cfs_quota_us 2>/dev/null)
  [ "$memory" = $((2048 << 20)) ] || fail "nodeC's memory limit is '$memory'"
  [ "$quota" = 90000 ] || fail "nodeC's CPU quota is '$quota'"
  echo "nodes of 1, 2, 1 CPUs: workers $(workers bench.json), at once $*; nodeC: 2 GiB, 90% of a CPU"
  ;;
run_tasks)
  # amorsize run, one rank per node on 2 nodes of 2 CPUs: each rank runs 2 tasks at once, and
  # the output is every task's, in order.
  box start nodeA:0-1 nodeB:0-1 >/dev/null || fail "box start"
  seq 1 24 > tasks.txt
  box mpirun -np 2 --map-by node "$amorsize" run --tasks tasks.txt --output out.txt --log run.h5 \
    --summary s.json -- sh -c 'sleep 0.2; echo "task $0 on $(hostname)"' {} 2>err.txt ||
    fail "run exit: $(tail -3 err.txt)"
  [ "$(cut -d' ' -f2 out.txt | tr '\n' ' ')" = "$(seq 1 24 | tr '\n' ' ')" ] || fail "output: $(head -3 out.txt)"
  grep -q "on nodeB" out.txt || fail "no task ran on nodeB"
  set -- $(concurrency run.h5)
  [ "$*" = "2 2" ] || fail "tasks at once per node: $*"
  echo "24 tasks, one rank on each of 2 nodes: $* at once; $(grep -c nodeB out.txt) on nodeB"
  ;;
binding)
  # 2 nodes of 2 CPUs, one rank each, 2 workers each: every task runs on a CPU of its own.
  # Each task writes its node, its CPUs (/proc/thread-self/status), OMP_NUM_THREADS and when it
  # ran; two tasks of one node that overlap in time must name two different single CPUs, and
  # every task's OMP_NUM_THREADS must be its count of CPUs. --bind none leaves them unbound.
  box start nodeA:0-1 nodeB:0-1 >/dev/null || fail "box start"
  seq 1 40 >tasks.txt
  task='s=$(date +%s.%N); sleep 0.1; echo "$0 $(hostname) $(awk "/Cpus_allowed_list/ {print \$2}" /proc/thread-self/status) ${OMP_NUM_THREADS:-unset} $s $(date +%s.%N)"'
  for bind in compact none; do
    box mpirun -np 2 --map-by node "$amorsize" run --tasks tasks.txt --output "$bind.txt" \
      --bind "$bind" -- sh -c "$task" {} 2>err.txt || fail "run --bind $bind: $(tail -3 err.txt)"
    [ "$(wc -l <"$bind.txt")" = 40 ] || fail "--bind $bind: $(wc -l <"$bind.txt") tasks"
  done
  /usr/bin/python3 - <<'PY' || fail "binding"
def tasks(path):
    out = []
    for line in open(path):
        n, host, cpus, omp, start, end = line.split()
        out.append((int(n), host, cpus, omp, float(start), float(end)))
    return out
def count(cpus):
    total = 0
    for part in cpus.split(","):
        a, _, b = part.partition("-")
        total += int(b or a) - int(a) + 1
    return total
bound = tasks("compact.txt")
pairs = 0
for t in bound:
    assert "-" not in t[2] and "," not in t[2], "task %d is not on one CPU: %s" % (t[0], t[2])
    assert t[3] == str(count(t[2])), "task %d: OMP_NUM_THREADS %s for CPUs %s" % (t[0], t[3], t[2])
    for u in bound:
        if u[0] <= t[0] or u[1] != t[1]:
            continue
        if t[4] < u[5] and u[4] < t[5]:
            pairs += 1
            assert t[2] != u[2], "tasks %d and %d ran at once on %s CPU %s" % (t[0], u[0], t[1], t[2])
assert pairs > 0, "no two tasks of a node ran at once"
for t in tasks("none.txt"):
    assert t[2] == "0-1" and t[3] == "unset", "--bind none: task %d on %s, OMP %s" % (t[0], t[2], t[3])
print("binding: 40 tasks each on one CPU; %d pairs of one node's tasks ran at once, on different CPUs; OMP_NUM_THREADS = 1 each; --bind none: 0-1" % pairs)
PY
  ;;
node_speed)
  # Two nodes of 1 CPU; nodeB (not rank 0's) gets half a CPU (a 50% quota). Items of fixed
  # CPU work (bench --work cpu) take twice as long there: its measured speed must be within
  # 20% of half nodeA's, its chunks smaller, and the run at least 0.85 efficient against the
  # speed-weighted bound (the drawn work over 1.5 CPUs).
  box start nodeA:0 nodeB:1::50 >/dev/null || fail "box start"
  box mpirun -np 2 --map-by node "$amorsize" bench --workload const:mean=2ms,n=3000 --work cpu \
    --log run.h5 --json >bench.json 2>err.txt || fail "bench exit: $(tail -3 err.txt)"
  /usr/bin/python3 - <<'PY' || fail "speed"
import h5py, json, statistics
j = json.load(open("bench.json"))
assert j["exactly_once"], "not every item once"
fast, slow = j["node_speeds"]
ratio = slow / fast
assert abs(ratio - 0.5) <= 0.1, "nodeB's speed is %.2f of nodeA's, not 0.5 +- 20%%" % ratio
with h5py.File("run.h5", "r") as f:
    run = f["runs"][sorted(f["runs"].keys())[-1]]
    chunks = run["chunks"][:]
    logged = [float(s) for s in run["nodes"][:]["speed"]]
assert abs(logged[1] - slow) < 1e-9, "the log's speed column has %s" % logged
sizes = [statistics.median(int(c) for c in chunks[chunks["node"] == n]["count"]) for n in (0, 1)]
assert sizes[1] < sizes[0], "nodeB's chunks (median %s) are not smaller than nodeA's (%s)" % (sizes[1], sizes[0])
bound = j["sum_item_s"] / 1.5
eff = bound / j["wall_s"]
assert eff >= 0.85, "efficiency %.3f against the speed-weighted bound" % eff
print("node speed: nodeB %.2f of nodeA (quota 50%%); median chunk %s items on nodeB, %s on nodeA; "
      "efficiency %.3f against the speed-weighted bound (%.2f s), %.3f against the unweighted" %
      (ratio, sizes[1], sizes[0], eff, bound, j["drawn_efficiency"]))
PY
  ;;
memory_drill)
  # Two nodes with 512 MiB of real memory each. The first 16 tasks take 2 MiB, so the sample
  # sees small items (the tasks come on stdin: a source of unknown size is sampled from its
  # start, where a task file would be sampled all over); the other 64 take 70 MiB for 0.15 s. On nodeB a filler holds 410 MiB for
  # 6 s from the start: with it, one task fits (430 + 70 < 512) and two do not (570). So nodeB
  # must be held to one task at a time while the filler lives, and gets two again after.
  # The control run, with --memory-threshold 1 (pressure never read), shows that without the
  # hold the node runs out of memory.
  hold=$3
  box start nodeA:0-1:512 nodeB:0-1:512 >/dev/null || fail "box start"
  { for i in $(seq 1 16); do echo "$i 2"; done; for i in $(seq 17 80); do echo "$i 70"; done; } >tasks.txt
  drill() {  # OUT [amorsize run options]: the drill with a fresh filler on nodeB
    local out=$1
    shift
    oom_before=$(oom_kills nodeB)
    box agent nodeB "$hold" 410 6 &
    filler=$!
    wait_rss nodeB 400
    watch_peak nodeB >"$out.peak" &
    local watcher=$!
    box mpirun -np 2 --map-by node "$amorsize" run --output "$out" \
      --summary "$out.json" "$@" -- sh -c "set -- \$0; $hold \$2 0.15 && echo \$1" {} \
      <tasks.txt 2>"$out.err"
    echo $? >"$out.status"
    kill $watcher 2>/dev/null
    wait $watcher
    wait $filler 2>/dev/null  # the control's filler may be the one OOM-killed
    oom_after=$(oom_kills nodeB)
    echo $((oom_after - oom_before)) >"$out.oom"
  }
  drill out.txt
  [ "$(cat out.txt.status)" = 0 ] || fail "run exit $(cat out.txt.status): $(tail -3 out.txt.err)"
  [ "$(tr '\n' ' ' <out.txt)" = "$(seq 1 80 | tr '\n' ' ')" ] ||
    fail "not every task's output once and in order: $(tr '\n' ' ' <out.txt | head -c 300)"
  events=$(json out.txt.json pressure_events)
  seconds=$(json out.txt.json pressure_seconds 1)
  [ "$events" -gt 0 ] || fail "no pressure events"
  [ "$(cat out.txt.oom)" = 0 ] || fail "$(cat out.txt.oom) process(es) OOM-killed on nodeB"
  peak=$(cat out.txt.peak)
  [ "$peak" -lt $((512 << 20)) ] || fail "nodeB's peak total_rss $peak reached its limit"
  echo "drill: 80 tasks once and in order in $(printf %.1f "$(json out.txt.json makespan_s)") s;" \
    "nodeB: $events pressure event(s), $(printf %.1f "$seconds") s under pressure, peak" \
    "total_rss $((peak >> 20)) MiB of 512 MiB, 0 OOM kills"
  drill control.txt --memory-threshold 1
  [ "$(cat control.txt.oom)" -gt 0 ] ||
    fail "the control run (no hold) did not run out of memory: the drill proves nothing"
  echo "control (--memory-threshold 1): $(cat control.txt.oom) OOM kill(s) on nodeB, exit" \
    "$(cat control.txt.status)"
  ;;
memory_never_returns)
  # Memory that never comes back: on both nodes a filler holds 420 MiB of 512 MiB for longer
  # than the run. 100 tasks of 0.3 s (4 MiB each) on 2 x 2 workers take 7.5 s without
  # pressure. The rule: each node gets one task at a time, a warning after 5 s, its full share
  # again after --memory-release (10 s here), so the run ends, well within 60 s of 7.5 s.
  hold=$3
  box start nodeA:0-1:512 nodeB:0-1:512 >/dev/null || fail "box start"
  { box agent nodeA "$hold" 420 120 & } 2>/dev/null  # box stop ends them
  { box agent nodeB "$hold" 420 120 & } 2>/dev/null
  wait_rss nodeA 410
  wait_rss nodeB 410
  seq 1 100 >tasks.txt
  began=$(date +%s.%N)
  box mpirun -np 2 --map-by node "$amorsize" run --tasks tasks.txt --output out.txt \
    --summary s.json --memory-release 10s -- sh -c "$hold 4 0.3 && echo \$0" {} 2>err.txt ||
    fail "run exit $?: $(tail -3 err.txt)"
  took=$(python3 -c "import time; print(round(time.time() - $began, 1))")
  [ "$(tr '\n' ' ' <out.txt)" = "$(seq 1 100 | tr '\n' ' ')" ] || fail "not every task once"
  for node in "node 0 (nodeA)" "node 1 (nodeB)"; do
    warned="warning: $node has been under memory pressure for 5 s: 8[0-9]% of its memory"
    grep -q "$warned in use, threshold 80%; it gets one chunk at a time" err.txt ||
      fail "no 5 s warning for $node: $(grep warning err.txt | head -3)"
    grep -q "warning: $node is still under memory pressure after 10 s" err.txt ||
      fail "no release of $node: $(grep warning err.txt | head -3)"
  done
  python3 -c "import sys; sys.exit(0 if $took <= 7.5 + 60 else 1)" || fail "took $took s"
  echo "never returns: 100 tasks once in $took s (7.5 s without pressure);" \
    "$(json s.json pressure_releases) nodes released; seconds under pressure per node:" \
    "$(python3 -c 'import json; print(" ".join("%.1f" % s for s in json.load(open("s.json"))["pressure_seconds"]))')"
  grep warning err.txt
  ;;
*) fail "unknown case $case" ;;
esac
echo PASS
