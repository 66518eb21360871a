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
*) fail "unknown case $case" ;;
esac
echo PASS
