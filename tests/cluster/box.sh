#!/usr/bin/env bash
# A cluster in a box: several emulated nodes on one machine, for tests and benchmarks that only
# a real cluster would show (several hostnames, one rank per node, nodes of different sizes).
# A node is a process tree in its own UTS namespace (its own hostname) and its own cgroups:
# a cpuset (its CPUs), optionally a memory limit and a CPU quota. mpirun reaches the nodes
# through Open MPI's rsh launcher with this script as the agent. ../shared/CLUSTER-BOX.md.
#
#   box.sh start NODE...    NODE = NAME:CPUS[:MEMORY_MIB[:CPU_PERCENT]], e.g. nodeA:0-1 nodeB:1
#   box.sh mpirun ARGS...   mpirun across the nodes (add -np N --map-by node as you need)
#   box.sh slurm            a Slurm across the nodes: slurmctld here, one slurmd in each node
#                           (slurm/start-local-cluster.sh in the box's state directory); prints
#                           the SLURM_CONF to export
#   box.sh stop             ends what the box started: Slurm, processes, cgroups, state
#   box.sh check            exits 0 if this host can run a box, else 77 and says why
#
# The state lives in $AMORSIZE_BOX (default /tmp/amorsize-box; keep it under /tmp/amorsize-box*).
# One box runs at a time: `start` first removes what any killed box left behind (its Slurm
# daemons, processes, cgroups and state). Needs root, cgroup v1 cpuset (and memory and cpu when asked) and
# unshare; `check` says which is missing.
set -euo pipefail

box=${AMORSIZE_BOX:-/tmp/amorsize-box}
self=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
die() { echo "box.sh: $*" >&2; exit 2; }

# The caller's cgroup in a v1 controller, and where the box's cgroups go under it.
cgroup_of() { awk -F: -v c="$1" '$2 == c {print $3}' /proc/self/cgroup; }
cgroup_dir() {  # CONTROLLER NODE
  local base="/sys/fs/cgroup/$1$(cat "$box/cgroup-$1" 2>/dev/null || cgroup_of "$1")"
  echo "${base%/}/amorsize-box-$2"
}

check() {
  [ "$(id -u)" -eq 0 ] || { echo "SKIPPED: the box needs root"; return 77; }
  command -v unshare >/dev/null || { echo "SKIPPED: no unshare"; return 77; }
  unshare --uts true 2>/dev/null || { echo "SKIPPED: no UTS namespaces here"; return 77; }
  local cs="/sys/fs/cgroup/cpuset$(cgroup_of cpuset)"
  [ -w "$cs" ] || { echo "SKIPPED: no writable cgroup v1 cpuset controller"; return 77; }
  command -v mpirun >/dev/null || { echo "SKIPPED: no mpirun"; return 77; }
  return 0
}

# Stops the box's Slurm, kills every process in the box's cgroups and removes them: this box's,
# and whatever a killed box left behind (any /tmp/amorsize-box* state, any amorsize-box-* cgroup).
clean() {
  local controller dir slurm
  for slurm in "$box/slurm" /tmp/amorsize-box*/slurm; do
    [ -d "$slurm" ] && "$(dirname "$self")/../../slurm/stop-local-cluster.sh" "$slurm" >/dev/null 2>&1
  done
  for controller in cpuset memory cpu; do
    for dir in /sys/fs/cgroup/$controller/*/amorsize-box-* /sys/fs/cgroup/$controller/amorsize-box-*; do
      [ -d "$dir" ] || continue
      for _ in 1 2 3 4 5; do
        local pids
        pids=$(cat "$dir/cgroup.procs" 2>/dev/null || true)
        [ -z "$pids" ] && break
        kill -9 $pids 2>/dev/null || true
        sleep 0.2
      done
      rmdir "$dir" 2>/dev/null || true
    done
  done
  # One box at a time: the state of any other is a killed run's.
  for dir in /tmp/amorsize-box*; do
    [ -d "$dir" ] && [ "$dir" != "$box" ] && rm -rf "$dir"
  done
  rm -rf "$box"
}

start() {
  (($#)) || die "start needs at least one NODE (NAME:CPUS[:MEMORY_MIB[:CPU_PERCENT]])"
  check || exit 77
  clean
  mkdir -p "$box"
  local controller
  for controller in cpuset memory cpu; do cgroup_of "$controller" >"$box/cgroup-$controller"; done
  : >"$box/hostfile"
  local spec name cpus mem pct n slots
  for spec in "$@"; do
    IFS=: read -r name cpus mem pct <<<"$spec"
    [[ $name =~ ^[a-zA-Z][a-zA-Z0-9-]*$ ]] || die "bad node name in '$spec'"
    [[ $cpus =~ ^[0-9][0-9,-]*$ ]] || die "bad CPU list in '$spec' (like 0-1 or 0,2)"
    [ "$name" != "$(hostname)" ] || die "a node may not be called like this host ($name)"
    echo "$cpus" >"$box/cpus-$name"
    [ -n "${mem:-}" ] && echo "$mem" >"$box/memory-$name"
    [ -n "${pct:-}" ] && echo "$pct" >"$box/cpu-$name"
    slots=0
    for n in $(echo "$cpus" | tr ',' ' '); do
      if [[ $n == *-* ]]; then slots=$((slots + ${n#*-} - ${n%-*} + 1)); else slots=$((slots + 1)); fi
    done
    echo "$name slots=$slots" >>"$box/hostfile"
  done
  echo "box: $(wc -l <"$box/hostfile") nodes in $box: $(tr '\n' ' ' <"$box/hostfile")"
}

# Open MPI's rsh agent: `agent [ssh options] HOST command...`. Joins HOST's cgroups (made on
# first use), then runs the command in a UTS namespace named HOST.
agent() {
  while [[ ${1:-} == -* ]]; do
    case $1 in -o|-p|-l|-i|-F) shift 2 ;; *) shift ;; esac
  done
  local host=$1
  shift
  [ -f "$box/cpus-$host" ] || die "no node '$host' in the box"
  local dir parent
  dir=$(cgroup_dir cpuset "$host")
  if [ ! -d "$dir" ]; then
    mkdir "$dir"
    parent=$(dirname "$dir")
    cat "$parent/cpuset.mems" >"$dir/cpuset.mems"
    cat "$box/cpus-$host" >"$dir/cpuset.cpus"
  fi
  echo $$ >"$dir/cgroup.procs"
  if [ -f "$box/memory-$host" ]; then
    dir=$(cgroup_dir memory "$host")
    mkdir -p "$dir"
    echo $(($(cat "$box/memory-$host") << 20)) >"$dir/memory.limit_in_bytes"
    echo $$ >"$dir/cgroup.procs"
  fi
  if [ -f "$box/cpu-$host" ]; then
    dir=$(cgroup_dir cpu "$host")
    mkdir -p "$dir"
    echo 100000 >"$dir/cpu.cfs_period_us"
    echo $(($(cat "$box/cpu-$host") * 1000)) >"$dir/cpu.cfs_quota_us"
    echo $$ >"$dir/cgroup.procs"
  fi
  # Open MPI passes the remote command as ssh would: words for a shell on the node.
  exec unshare --uts sh -c 'hostname "$0"; eval "$1"' "$host" "$*"
}

slurm() {
  [ -f "$box/hostfile" ] || die "no box: run 'box.sh start NODE...' first"
  local nodes
  nodes=$(awk '{sub("slots=", "", $2); printf "%s=%s ", $1, $2}' "$box/hostfile")
  AMORSIZE_SLURM_NODES=$nodes AMORSIZE_SLURM_PORT=${AMORSIZE_SLURM_PORT:-7837} \
    "$(dirname "$self")/../../slurm/start-local-cluster.sh" "$box/slurm" >&2 ||
    die "the Slurm cluster did not start (logs in $box/slurm/log)"
  echo "$box/slurm/etc/slurm.conf"
}

run_mpirun() {
  [ -f "$box/hostfile" ] || die "no box: run 'box.sh start NODE...' first"
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 AMORSIZE_BOX=$box \
    exec mpirun --hostfile "$box/hostfile" --mca plm_rsh_agent "$self agent" \
    --mca plm_rsh_no_tree_spawn 1 --mca pml ob1 --mca btl self,vader,tcp \
    --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo --bind-to none "$@"
}

case ${1:-} in
  start) shift; start "$@" ;;
  mpirun) shift; run_mpirun "$@" ;;
  slurm) slurm ;;
  agent) shift; agent "$@" ;;
  stop) clean ;;
  check) check ;;
  *) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; [ -n "${1:-}" ] && exit 2; exit 0 ;;
esac
